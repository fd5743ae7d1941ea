#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Builds the kernel's own iommufd selftests (iommufd and iommufd_fail_nth)
# from Debian's linux-source-6.12 (../shared/oracle/build-selftests.sh:
# source only, never committed) and runs them, unmodified, under
# uiommufd-run.
#
# The gate: every test that passes in the real Linux 6.12
# (../shared/oracle/kernel-pass-NAME.txt) must pass here, except those
# tests/selftest/exempt-NAME.txt lists, each with its reason (a later
# issue, or a documented difference). A test exempted for lack of
# CAP_SYS_RESOURCE is exempt only where the process lacks it. Ends with
# "N passed, N failed, N skipped" over the tests that must pass, of both
# programs.
# Usage: run-kernel-selftest.sh BUILDDIR (a gcc build, plain or ASan+UBSan)
set -u
cd "$(dirname "$0")/../.."
B=${1:-build}
ORACLE=../shared/oracle
export ORACLE_DIR=${ORACLE_DIR:-/var/tmp/uiommufd-oracle}

skip() {
	echo "kernel selftest skipped: $*"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
}

[ -x "$ORACLE/build-selftests.sh" ] || skip "$ORACLE/build-selftests.sh not found"
[ -x "$B/tools/uiommufd-run" ] || { echo "no $B/tools/uiommufd-run: build first"; echo "0 passed, 1 failed"; exit 1; }
# 21 of the tests map MAP_HUGETLB buffers.
if [ "$(cat /proc/sys/vm/nr_hugepages)" -lt 256 ]; then
	echo 256 >/proc/sys/vm/nr_hugepages 2>/dev/null ||
		skip "cannot reserve 256 huge pages (needs root)"
fi
bash "$ORACLE/build-selftests.sh" >/tmp/uiommufd-selftest-build.log 2>&1 ||
	{ cat /tmp/uiommufd-selftest-build.log; echo "0 passed, 1 failed"; exit 1; }

# A sanitized (gcc) build: its shim needs the ASan runtime loaded first,
# and a leak or error report fails the gate. The harness runs each test in
# a forked child that ends with _exit(), which LeakSanitizer ignores: the
# shim has it check there too (UIOMMUFD_LSAN_AT_EXIT).
san_env=()
if readelf -d "$B/preload/libuiommufd-preload.so" 2>/dev/null | grep -q 'libasan'; then
	san_env=("LD_PRELOAD=$(gcc -print-file-name=libasan.so)"
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
		UIOMMUFD_LSAN_AT_EXIT=1)
fi

cap_eff=$(awk '/^CapEff/ {print $2}' /proc/self/status)
has_sys_resource=$(((0x$cap_eff >> 24) & 1))
passed=0 failed=0 nexempt=0

# gate NAME: runs $ORACLE_DIR/bin/NAME and counts what must pass.
gate() {
	local name=$1 exempt=tests/selftest/exempt-$1.txt log start
	log=$(mktemp)
	start=$(date +%s)
	env "${san_env[@]}" timeout 600 "$B/tools/uiommufd-run" -- "$ORACLE_DIR/bin/$name" >"$log" 2>&1
	grep -E '^# Totals' "$log" |
		sed "s/^# /kernel selftest $name under uiommufd-run: /; s/\$/ ($(($(date +%s) - start)) s)/"
	# A SKIP is not a pass: "ok N name # SKIP ..." does not match.
	grep -E '^ok ' "$log" | sed 's/^ok [0-9]* //' | sort >"$log.pass"

	# Exempt names; the capability one only without the capability.
	: >"$log.exempt"
	if [ -f "$exempt" ]; then
		while IFS=$'\t' read -r t reason; do
			[ -n "$t" ] || continue
			if [[ $reason == *needs-cap-sys-resource* ]] && [ "$has_sys_resource" = 1 ]; then
				continue
			fi
			echo "$t"
		done <"$exempt" | sort >"$log.exempt"
	fi
	comm -23 <(sort "$ORACLE/kernel-pass-$name.txt") "$log.exempt" >"$log.must"

	while read -r t; do
		if grep -qxF "$t" "$log.pass"; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
			echo "FAILED (passes in Linux 6.12): $name $t"
			awk -v T="$t" '$0 ~ "#  RUN           "T" " {p=1; next} p && /^(not )?ok / {exit} p' "$log" | sed 's/^/    /'
		fi
	done <"$log.must"
	# A sanitizer's report fails the run even where the tests passed.
	if grep -qE '^(SUMMARY: (Address|Leak|UndefinedBehavior)Sanitizer|==[0-9]+==ERROR)|runtime error:' "$log"; then
		failed=$((failed + 1))
		echo "FAILED: $name: sanitizer report:"
		grep -E -A20 '==[0-9]+==ERROR|runtime error:' "$log" | head -60 | sed 's/^/    /'
	fi
	nexempt=$((nexempt + $(wc -l <"$log.exempt")))
	rm -f "$log" "$log.pass" "$log.exempt" "$log.must"
}

gate iommufd
gate iommufd_fail_nth
echo "exempt for now: $nexempt (see tests/selftest/exempt-*.txt)"
echo "$passed passed, $failed failed, 0 skipped"
[ $failed = 0 ]
