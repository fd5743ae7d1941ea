#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# An unmodified QEMU (Debian's 7.2, no iommufd backend: VFIO groups and
# /dev/vfio/vfio) under uiommufd-run gives a guest our emulated edu with
# -device vfio-pci,host=BDF; edu_guest checks it from inside the guest:
# config, MMIO registers, interrupt status, and 4 KiB DMAs that must land in
# guest memory (through our IOMMU domain, which QEMU filled with MAP_DMA).
# Usage: test_qemu_edu.sh RUNNER EDU_GUEST
R=$1 GUEST=$2
. "$(dirname "$0")/../frontend/lib.sh"

BDF=0000:00:04.0
HARNESS=$(dirname "$0")/run-edu-guest.sh

qemu_guest_sees_edu() {
	local rc=0

	bash "$HARNESS" --guest "$GUEST" --timeout 240 \
		--wrapper "$R --device edu,name=$BDF --" \
		-- -device vfio-pci,host=$BDF >"$tmp/console" 2>&1 || rc=$?
	if [ "$rc" = 77 ]; then
		skip_case "$(tail -n 1 "$tmp/console")"
		return 77
	fi
	cat "$tmp/console"
	expect_eq "harness exit" 0 "$rc"
	# Our edu takes a full-buffer DMA (QEMU 7.2's own aborts on it).
	expect_match "4 KiB DMA" '^ok - DMA round trip: 0 of 4096 bytes differ$' \
		"$(cat "$tmp/console")"
	expect_match "verdict" '^EDU-GUEST: PASS' "$(cat "$tmp/console")"
}

run_case qemu_guest_sees_edu
finish
