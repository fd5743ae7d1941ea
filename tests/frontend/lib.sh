# SPDX-License-Identifier: BSD-3-Clause
# A small harness for shell tests: each case is a function; the summary
# lines are cmocka's, which scripts/summarize-tests counts.
#   run_case NAME         runs function NAME
#   skip_case REASON      inside a case: skip it, saying why
set -u
passed=0 failed=0 skipped=0 failed_names=""
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

skip_case() {
	echo "skip: $*"
	return 77
}

run_case() {
	local name=$1 rc
	echo "[ RUN      ] $name"
	( set -e; "$name" ) >"$tmp/case.log" 2>&1
	rc=$?
	sed 's/^/    /' "$tmp/case.log"
	if [ $rc = 0 ]; then
		echo "[       OK ] $name"
		passed=$((passed + 1))
	elif [ $rc = 77 ]; then
		echo "[  SKIPPED ] $name"
		skipped=$((skipped + 1))
	else
		echo "[  FAILED  ] $name"
		failed=$((failed + 1))
		failed_names="$failed_names $name"
	fi
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
	if [ "$2" != "$3" ]; then
		echo "$1: expected '$2', got '$3'"
		return 1
	fi
}

# expect_match WHAT PATTERN TEXT (grep -E)
expect_match() {
	if ! printf '%s\n' "$3" | grep -qE -- "$2"; then
		echo "$1: '$3' does not match /$2/"
		return 1
	fi
}

finish() {
	echo "[==========] $((passed + failed + skipped)) test(s) run."
	echo "[  PASSED  ] $passed test(s)."
	[ $skipped = 0 ] || echo "[  SKIPPED ] $skipped test(s), listed above."
	if [ $failed != 0 ]; then
		echo "[  FAILED  ] $failed test(s), listed below:"
		for n in $failed_names; do echo "[  FAILED  ] $n"; done
		exit 1
	fi
	exit 0
}
