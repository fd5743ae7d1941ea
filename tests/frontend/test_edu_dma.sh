#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# examples/edu-dma, a userspace driver for an edu device on the VFIO cdev
# path, under uiommufd-run with an emulated edu: its stdout must be what it
# prints in Linux 6.12 against QEMU's edu behind an emulated Intel IOMMU
# (edu_dma.kernel.out, recorded with run-in-kernel.sh --edu), in both
# interrupt modes; the trace shows the IOMMU faults of its fault demo.
# Usage: test_edu_dma.sh RUNNER EDU_DMA KERNEL_TRANSCRIPT
R=$1 PROG=$2 KERNEL=$3
. "$(dirname "$0")/lib.sh"

BDF=0000:00:04.0

# run RUNNER_ARGS... -- PROGRAM_ARGS...: sets out, err and rc.
run() {
	out=$("$R" "$@" 2>"$tmp/err") && rc=0 || rc=$?
	err=$(cat "$tmp/err")
}

same_as_kernel_msi() {
	run --device edu,name=$BDF -- "$PROG" --bdf $BDF
	printf '%s\n' "$out" >"$tmp/ours"
	if ! diff -u "$KERNEL" "$tmp/ours"; then
		echo "differs from Linux 6.12 (- kernel, + ours); exit $rc, stderr: $err"
		return 1
	fi
	expect_eq "exit" 0 "$rc"
	expect_eq "stderr" "" "$err"
}

# INTx differs from the MSI run in the one line that names the index.
same_as_kernel_intx() {
	run --device edu,name=$BDF -- "$PROG" --bdf $BDF --irq intx
	sed 's/VFIO_DEVICE_SET_IRQS(MSI, eventfd)/VFIO_DEVICE_SET_IRQS(INTx, eventfd)/' \
		"$KERNEL" >"$tmp/kernel"
	printf '%s\n' "$out" >"$tmp/ours"
	if ! diff -u "$tmp/kernel" "$tmp/ours"; then
		echo "differs from Linux 6.12 (- kernel, + ours); exit $rc, stderr: $err"
		return 1
	fi
	expect_eq "exit" 0 "$rc"
}

# The device is found from $EDU_BDF and by its cdev path too.
found_by_env_and_cdev() {
	EDU_BDF=$BDF run --device edu,name=$BDF -- "$PROG"
	expect_eq "exit via EDU_BDF" 0 "$rc"
	run --device edu -- "$PROG" /dev/vfio/devices/vfio0
	expect_eq "exit via cdev path" 0 "$rc"
}

# --trace decodes the device ioctls and region accesses and logs each
# IOMMU fault of the demo, as a kernel logs DMAR faults.
trace_shows_faults() {
	run --trace --device edu,name=$BDF -- "$PROG" --bdf $BDF
	expect_eq "exit" 0 "$rc"
	expect_match "bind" '^ioctl\([0-9]+, VFIO_DEVICE_BIND_IOMMUFD, .*out_devid=1' "$err"
	expect_match "attach" '^ioctl\([0-9]+, VFIO_DEVICE_ATTACH_IOMMUFD_PT, .*=> \{pt_id=3\}\) = 0$' "$err"
	expect_match "bar write" '^pwrite64\([0-9]+, BAR0\+0x98, 4\) = 4$' "$err"
	expect_match "config read" '^pread64\([0-9]+, CONFIG\+0x0, 4\) = 4$' "$err"
	expect_match "write fault" "^uiommufd: IOMMU fault: device $BDF DMA write at IOVA 0x200000" "$err"
	expect_match "read fault" "^uiommufd: IOMMU fault: device $BDF DMA read at IOVA 0x200000" "$err"
}

# Without a device there is nothing to find; a bad spec stops the runner.
no_device() {
	run -- "$PROG" --bdf $BDF
	expect_eq "exit without device" 1 "$rc"
	run --device nosuch -- "$PROG" --bdf $BDF
	expect_eq "exit bad model" 125 "$rc"
	expect_match "message" "unknown device model 'nosuch'" "$err"
	run --device edu,name=0000:00:40.0 -- "$PROG"
	expect_eq "exit bad name" 125 "$rc"
	expect_match "name message" 'bad PCI name' "$err"
	run --device edu,name=$BDF --device edu,name=$BDF -- "$PROG"
	expect_eq "exit name twice" 125 "$rc"
	expect_match "taken message" 'already taken' "$err"
}

run_case same_as_kernel_msi
run_case same_as_kernel_intx
run_case found_by_env_and_cdev
run_case trace_shows_faults
run_case no_device
finish
