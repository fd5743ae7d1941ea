#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Builds the kernel's own iommufd selftest from Debian's linux-source-6.12
# (../shared/oracle/build-selftests.sh: source only, never committed) and
# runs it, unmodified, under uiommufd-run.
#
# The gate: every test that passes in the real Linux 6.12
# (../shared/oracle/kernel-pass-iommufd.txt) must pass here, except those
# tests/selftest/exempt-iommufd.txt lists, each with its reason (a later
# issue, or a documented difference). A test exempted for lack of
# CAP_SYS_RESOURCE is exempt only where the process lacks it. Ends with
# "N passed, N failed, N skipped" over the tests that must pass.
# Usage: run-kernel-selftest.sh BUILDDIR
set -u
cd "$(dirname "$0")/../.."
B=${1:-build}
ORACLE=../shared/oracle
EXEMPT=tests/selftest/exempt-iommufd.txt
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

log=$(mktemp)
timeout 600 "$B/tools/uiommufd-run" -- "$ORACLE_DIR/bin/iommufd" >"$log" 2>&1
grep -E '^# Totals' "$log" | sed 's/^# /kernel selftest iommufd under uiommufd-run: /'
grep -E '^ok ' "$log" | sed 's/^ok [0-9]* //' | sort >"$log.pass"

# Exempt names; the capability one only without the capability.
cap_eff=$(awk '/^CapEff/ {print $2}' /proc/self/status)
has_sys_resource=$(((0x$cap_eff >> 24) & 1))
while IFS=$'\t' read -r t reason; do
	[ -n "$t" ] || continue
	if [[ $reason == *needs-cap-sys-resource* ]] && [ "$has_sys_resource" = 1 ]; then
		continue
	fi
	echo "$t"
done <"$EXEMPT" | sort >"$log.exempt"
comm -23 <(sort "$ORACLE/kernel-pass-iommufd.txt") "$log.exempt" >"$log.must"

passed=0 failed=0
while read -r t; do
	if grep -qxF "$t" "$log.pass"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAILED (passes in Linux 6.12): $t"
		awk -v T="$t" '$0 ~ "#  RUN           "T" " {p=1; next} p && /^(not )?ok / {exit} p' "$log" | sed 's/^/    /'
	fi
done <"$log.must"
echo "exempt for now: $(wc -l <"$log.exempt") (see $EXEMPT)"
rm -f "$log" "$log.pass" "$log.exempt" "$log.must"
echo "$passed passed, $failed failed, 0 skipped"
[ $failed = 0 ]
