#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# examples/vfio_type1, an unmodified VFIO type1 user, under uiommufd-run with
# no group: the shim serves /dev/vfio/vfio, the program makes the compat
# IOAS itself (IOMMU_IOAS_ALLOC + IOMMU_VFIO_IOAS SET), then SET_IOMMU,
# GET_INFO with its capability chain, MAP_DMA, UNMAP_DMA and UNMAP_ALL.
# Its output must be what Linux 6.12 prints for the same run.
# Usage: test_vfio_type1.sh RUNNER VFIO_TYPE1
R=$1 PROG=$2
. "$(dirname "$0")/lib.sh"

# The program's stdout in Linux 6.12 (CONFIG_IOMMUFD_VFIO_CONTAINER=y, no
# device attached to the compat IOAS), from
#   run-in-kernel.sh vfio_type1
kernel_transcript() {
	cat <<'EOF'
open /dev/vfio/vfio -> ok
VFIO_GET_API_VERSION -> 0 (VFIO_API_VERSION)
VFIO_CHECK_EXTENSION(VFIO_TYPE1v2_IOMMU) -> 1
no group given: creating the compat IOAS as group attach would
IOMMU_IOAS_ALLOC -> ioas 1
IOMMU_VFIO_IOAS(SET, ioas 1) -> ok: it is the compat IOAS
VFIO_SET_IOMMU(VFIO_TYPE1v2_IOMMU) -> ok
VFIO_IOMMU_GET_INFO(argsz 24) -> argsz 72, flags 0x3 PGSIZES CAPS, cap_offset 0
VFIO_IOMMU_GET_INFO(argsz 72) -> argsz 72, flags 0x3 PGSIZES CAPS, cap_offset 24
  iova_pgsizes 0xfffffffffffff000, smallest 0x1000
  cap DMA_AVAIL v1: 4294967295 mappings available
  cap IOVA_RANGE v1: 1 range(s)
    [0, 0xffffffffffffffff]
mmap anonymous buffer of 0x100000 bytes -> ok
VFIO_IOMMU_MAP_DMA(iova 0x100000, size 0x100000, READ|WRITE) -> ok
VFIO_IOMMU_UNMAP_DMA(iova 0x100000, size 0x100000) -> size 0x100000
VFIO_CHECK_EXTENSION(VFIO_UNMAP_ALL) -> 1
VFIO_IOMMU_MAP_DMA(iova 0x100000, size 0x80000, READ|WRITE) -> ok
VFIO_IOMMU_MAP_DMA(iova 0x200000, size 0x80000, READ|WRITE) -> ok
VFIO_IOMMU_UNMAP_DMA(VFIO_DMA_UNMAP_FLAG_ALL) -> size 0x100000
done
EOF
}

# run ARGS...: the program under the runner; sets out, err and rc.
run() {
	out=$("$R" -- "$PROG" "$@" 2>"$tmp/err") && rc=0 || rc=$?
	err=$(cat "$tmp/err")
}

# The steps that matter, one by one, so that a failure says which.
compat_ioas_no_group() {
	run
	[ "$rc" = 0 ] || echo "stderr: $err"
	expect_eq "exit" 0 "$rc"
	expect_eq "stderr" "" "$err"
	expect_match "container" '^open /dev/vfio/vfio -> ok$' "$out"
	expect_match "api version" '^VFIO_GET_API_VERSION -> 0 \(VFIO_API_VERSION\)$' "$out"
	expect_match "type1v2" '^VFIO_CHECK_EXTENSION\(VFIO_TYPE1v2_IOMMU\) -> 1$' "$out"
	expect_match "ioas alloc" '^IOMMU_IOAS_ALLOC -> ioas [1-9][0-9]*$' "$out"
	expect_match "compat set" '^IOMMU_VFIO_IOAS\(SET, ioas [1-9][0-9]*\) -> ok' "$out"
	expect_match "set iommu" '^VFIO_SET_IOMMU\(VFIO_TYPE1v2_IOMMU\) -> ok$' "$out"
	# argsz protocol: the bare struct gets no chain but the size needed.
	expect_match "info probe" '^VFIO_IOMMU_GET_INFO\(argsz 24\) -> argsz 72, flags 0x3 PGSIZES CAPS, cap_offset 0$' "$out"
	expect_match "info full" '^VFIO_IOMMU_GET_INFO\(argsz 72\) -> argsz 72, flags 0x3 PGSIZES CAPS, cap_offset 24$' "$out"
	expect_match "page sizes" '^  iova_pgsizes 0xfffffffffffff000, smallest 0x1000$' "$out"
	expect_match "dma avail" '^  cap DMA_AVAIL v1: 4294967295 mappings available$' "$out"
	expect_match "iova ranges" '^  cap IOVA_RANGE v1: 1 range\(s\)$' "$out"
	expect_match "iova range" '^    \[0, 0xffffffffffffffff\]$' "$out"
	expect_match "map" '^VFIO_IOMMU_MAP_DMA\(iova 0x100000, size 0x100000, READ\|WRITE\) -> ok$' "$out"
	expect_match "unmap" '^VFIO_IOMMU_UNMAP_DMA\(iova 0x100000, size 0x100000\) -> size 0x100000$' "$out"
	expect_match "unmap all ext" '^VFIO_CHECK_EXTENSION\(VFIO_UNMAP_ALL\) -> 1$' "$out"
	expect_match "unmap all" '^VFIO_IOMMU_UNMAP_DMA\(VFIO_DMA_UNMAP_FLAG_ALL\) -> size 0x100000$' "$out"
	expect_eq "last line" "done" "$(printf '%s\n' "$out" | tail -1)"
}

# And the whole transcript, line for line, as the kernel's.
same_as_kernel() {
	run
	kernel_transcript >"$tmp/kernel"
	printf '%s\n' "$out" >"$tmp/shim"
	if ! diff -u "$tmp/kernel" "$tmp/shim"; then
		echo "differs from Linux 6.12 (- kernel, + under uiommufd-run); exit $rc, stderr: $err"
		return 1
	fi
	expect_eq "exit" 0 "$rc"
}

usage_errors() {
	run --bogus
	expect_eq "exit" 2 "$rc"
	expect_eq "stdout" "" "$out"
	expect_match "usage" '^usage: vfio_type1 \[/dev/vfio/N \| --bdf BDF\]$' "$err"
	run a b
	expect_eq "exit two groups" 2 "$rc"
	run --bdf
	expect_eq "exit --bdf alone" 2 "$rc"
	# A BDF of the form $NAME comes from the environment.
	# shellcheck disable=SC2016
	run --bdf '$UIOMMUFD_NO_SUCH_VARIABLE'
	expect_eq "exit unset variable" 2 "$rc"
	expect_match "message" 'UIOMMUFD_NO_SUCH_VARIABLE is not set in the environment' "$err"
}

run_case compat_ioas_no_group
run_case same_as_kernel
run_case usage_errors
finish
