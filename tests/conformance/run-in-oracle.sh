#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# run-in-oracle.sh [--no-build] [--edu] [NAME|PATTERN...]
#
# Builds every conformance case into one static program and runs it inside
# the real Linux 6.12 of the oracle (../shared/oracle/run-in-kernel.sh,
# relative to the repository root), then prints the totals. Arguments
# select cases by name or fnmatch(3) pattern, as for the programs.
# --edu boots a q35 machine with an Intel IOMMU and QEMU's edu device bound
# to vfio-pci (its name in $EDU_BDF), which the device cases (conf_device.c,
# 'dev_*') need; without it they skip. The mock IOMMU of IOMMU_TEST_CMD
# does not come up next to the Intel IOMMU (MOCK_DOMAIN fails with EINVAL),
# so with --edu and no NAME|PATTERN only the 'dev_*' cases run.
#
# Env: ORACLE_SCRIPTS (default <repo>/../shared/oracle), CC (default gcc),
#      CONF_BUILD_DIR (default a temporary directory), CONF_TIMEOUT (900 s).
# Exit status: 0 when every case passed and the kernel logged no splat.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
oracle=${ORACLE_SCRIPTS:-$repo/../shared/oracle}
cc=${CC:-gcc}
build=1
edu=()
while [ $# -gt 0 ]; do
	case $1 in
	--no-build) build=0 ;;
	--edu) edu=(--edu) ;;
	*) break ;;
	esac
	shift
done
if [ ${#edu[@]} -gt 0 ] && [ $# -eq 0 ]; then
	set -- 'dev_*'
fi

if [ -n "${CONF_BUILD_DIR:-}" ]; then
	out=$CONF_BUILD_DIR
	mkdir -p "$out" || exit 2
else
	out=$(mktemp -d /tmp/uiommufd-conformance.XXXXXX) || exit 2
	trap 'rm -rf "$out"' EXIT
fi
prog=$out/conformance-all
log=$out/oracle.log

if [ "$build" = 1 ] || [ ! -x "$prog" ]; then
	# shellcheck disable=SC2046
	"$cc" -static -O1 -g -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
		-I "$repo/include" -I "$here" -o "$prog" \
		"$here/conformance.c" $(ls "$here"/conf_*.c) || exit 2
fi

bash "$oracle/run-in-kernel.sh" ${edu[@]+"${edu[@]}"} \
	--timeout "${CONF_TIMEOUT:-900}" "$prog" "$@" | tee "$log"
rc=${PIPESTATUS[0]}

passed=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n1)
failed=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n1)
skipped=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log" | tail -n1)
echo "oracle (Linux $(sed -n 's/^ORACLE-START:.* kernel \([^ ]*\).*/\1/p' \
	"$log" | head -n1)): ${passed:-0} passed, ${failed:-0} failed," \
	"${skipped:-0} skipped (program exit status $rc)"
if grep -q '^ORACLE-DMESG-BEGIN' "$log"; then
	echo "oracle: the kernel logged a splat during the run (see above)"
	[ "$rc" = 0 ] && rc=1
fi
if [ -z "$passed" ] && [ "$rc" = 0 ]; then
	rc=1
fi
exit "$rc"
