#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# uiommufd-run as a user meets it: options, errors, exit status, the
# environment it sets, refusing static programs, and unmodified system
# programs that look at /dev/iommu or never touch it.
# Usage: test_runner.sh RUNNER NO_IOMMU_PROG HELLO_C
R=$1 NO_IOMMU=$2 HELLO_C=$3
. "$(dirname "$0")/lib.sh"
# System programs are not ours to leak-check under a sanitized shim.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

help() {
	out=$("$R" --help) && rc=0 || rc=$?
	expect_eq "exit" 0 $rc
	expect_match "usage" '^Usage: uiommufd-run \[OPTIONS\] \[--\] PROGRAM' "$out"
	expect_match "trace option" '--trace' "$out"
	expect_eq "-h" "$out" "$("$R" -h)"
}

version() {
	out=$("$R" --version) && rc=0 || rc=$?
	expect_eq "exit" 0 $rc
	expect_match "version" '^uiommufd-run [0-9]+\.[0-9]+\.[0-9]+$' "$out"
	expect_eq "-V" "$out" "$("$R" -V)"
}

bad_options() {
	err=$("$R" --bogus -- true 2>&1 >/dev/null) && rc=0 || rc=$?
	expect_eq "exit" 125 $rc
	expect_match "message" "unknown option '--bogus'" "$err"
	expect_match "hint" "Try 'uiommufd-run --help'" "$err"
	err=$("$R" -x true 2>&1 >/dev/null) && rc=0 || rc=$?
	expect_eq "exit -x" 125 $rc
	expect_match "message -x" "unknown option '-x'" "$err"
	err=$("$R" 2>&1 >/dev/null) && rc=0 || rc=$?
	expect_eq "exit no program" 125 $rc
	expect_match "no program" "no PROGRAM given" "$err"
	err=$("$R" --trace -- 2>&1 >/dev/null) && rc=0 || rc=$?
	expect_eq "exit only --" 125 $rc
}

not_found() {
	err=$("$R" -- no-such-program-uiommufd 2>&1) && rc=0 || rc=$?
	expect_eq "exit" 127 $rc
	expect_match "message" "no-such-program-uiommufd: command not found" "$err"
	err=$("$R" -- /nonexistent/prog 2>&1) && rc=0 || rc=$?
	expect_eq "exit path" 127 $rc
	printf 'x' > "$tmp/notexec"; chmod 644 "$tmp/notexec"
	err=$("$R" -- "$tmp/notexec" 2>&1) && rc=0 || rc=$?
	expect_eq "exit not executable" 126 $rc
	expect_match "message" "cannot run" "$err"
}

static_refused() {
	cc=${CC:-cc}
	# shellcheck disable=SC2086
	$cc -static -o "$tmp/static_hello" "$HELLO_C" 2>"$tmp/cc.err" ||
		skip_case "cannot link a static program here: $(head -1 "$tmp/cc.err")"
	"$tmp/static_hello" >/dev/null
	out=$("$R" -- "$tmp/static_hello" 2>"$tmp/err") && rc=0 || rc=$?
	expect_eq "exit" 126 $rc
	expect_eq "did not run" "" "$out"
	expect_match "message" "static_hello is statically linked: the shim is loaded with LD_PRELOAD" "$(cat "$tmp/err")"
	if $cc -static-pie -fPIE -o "$tmp/static_pie" "$HELLO_C" 2>/dev/null; then
		out=$("$R" -- "$tmp/static_pie" 2>"$tmp/err") && rc=0 || rc=$?
		expect_eq "exit static-pie" 126 $rc
		expect_match "message" "statically linked" "$(cat "$tmp/err")"
	fi
	# The dynamic build of the same program runs.
	$cc -o "$tmp/dyn_hello" "$HELLO_C"
	expect_eq "dynamic" "hello" "$("$R" -- "$tmp/dyn_hello")"
}

other_unsupported() {
	# An ELF for another machine: a bare header saying aarch64.
	printf '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000\002\000\267\000' >"$tmp/arm64"
	head -c 46 /dev/zero >>"$tmp/arm64"
	chmod +x "$tmp/arm64"
	err=$("$R" -- "$tmp/arm64" 2>&1) && rc=0 || rc=$?
	expect_eq "exit foreign ELF" 126 $rc
	expect_match "message" "is not an x86-64 program" "$err"
	# Set-user-ID to someone else: the loader would drop LD_PRELOAD.
	[ "$(id -u)" = 0 ] || skip_case "needs root to make a set-user-ID copy for another user"
	${CC:-cc} -o "$tmp/suid_hello" "$HELLO_C"
	chown nobody "$tmp/suid_hello" && chmod 4755 "$tmp/suid_hello"
	err=$("$R" -- "$tmp/suid_hello" 2>&1) && rc=0 || rc=$?
	expect_eq "exit set-user-ID" 126 $rc
	expect_match "message" "is set-user-ID or set-group-ID" "$err"
}

exit_status() {
	"$R" -- sh -c 'exit 7' && rc=0 || rc=$?
	expect_eq "exit code" 7 $rc
	"$R" -- sh -c 'kill -TERM $$' && rc=0 || rc=$?
	expect_eq "killed by SIGTERM" 143 $rc
}

arguments() {
	expect_eq "after --" "--trace|b c" "$("$R" -- sh -c 'echo "$1|$2"' x --trace "b c")"
	expect_eq "without --" "ok" "$("$R" sh -c 'echo ok')"
	# Options after PROGRAM are PROGRAM's, and no trace was asked for.
	expect_eq "program's options" "" "$("$R" sh -c 'echo "$UIOMMUFD_TRACE"' --trace)"
}

environment() {
	lp=$("$R" -- sh -c 'echo "$LD_PRELOAD"')
	expect_match "shim preloaded" '(^|:)/[^: ]*/libuiommufd-preload\.so$' "$lp"
	base=${LD_PRELOAD:+$LD_PRELOAD:}
	lp2=$(LD_PRELOAD="${base}libm.so.6" "$R" -- sh -c 'echo "$LD_PRELOAD"')
	expect_match "appended" "libm\\.so\\.6:/[^: ]*/libuiommufd-preload\\.so$" "$lp2"
	lp3=$("$R" -- "$R" -- sh -c 'echo "$LD_PRELOAD"')
	expect_eq "not twice" "$lp" "$lp3"
	expect_eq "--trace" 1 "$("$R" --trace -- sh -c 'echo "$UIOMMUFD_TRACE"')"
	err=$(UIOMMUFD_PRELOAD=/nonexistent/lib.so "$R" -- true 2>&1) && rc=0 || rc=$?
	expect_eq "bad UIOMMUFD_PRELOAD" 125 $rc
	expect_match "message" "UIOMMUFD_PRELOAD=/nonexistent/lib.so: no such file" "$err"
}

system_programs_see_the_node() {
	expect_eq "stat(1)" "character special file 666" \
		"$("$R" -- stat -c '%F %a' /dev/iommu)"
	"$R" -- test -c /dev/iommu
	"$R" -- test -r /dev/iommu -a -w /dev/iommu
	out=$("$R" -- ls -l /dev/iommu)
	expect_match "ls -l" '^crw-rw-rw- 1 root root 10, 257 ' "$out"
}

untouched_without_iommu() {
	direct=$("$NO_IOMMU")
	shimmed=$("$R" -- "$NO_IOMMU")
	if [ "$direct" != "$shimmed" ]; then
		diff <(echo "$direct") <(echo "$shimmed")
		return 1
	fi
	[ -n "$direct" ]
	# And ordinary tools, with pipes, redirections and subshells.
	expect_eq "shell" "$(sh -c 'echo a | tr a b; ls -d / /tmp; wc -c </etc/hostname' 2>&1)" \
		"$("$R" -- sh -c 'echo a | tr a b; ls -d / /tmp; wc -c </etc/hostname' 2>&1)"
}

run_case help
run_case version
run_case bad_options
run_case not_found
run_case static_refused
run_case other_unsupported
run_case exit_status
run_case arguments
run_case environment
run_case system_programs_see_the_node
run_case untouched_without_iommu
finish
