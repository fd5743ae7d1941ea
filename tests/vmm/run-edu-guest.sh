#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Boots a Linux guest under QEMU whose /init is edu_guest, which checks an edu
# PCI device (1234:11e8) from inside the guest: registers, factorial, the
# interrupt status register and DMA to guest RAM. Exits 0 when the guest
# prints "EDU-GUEST: PASS", 1 otherwise, 77 (skip) when there is no guest
# kernel, no QEMU or no way to build a static guest program, 2 on usage
# errors.
#
# Usage: run-edu-guest.sh [OPTIONS] [-- DEVICE_ARGS...]
#   --kernel BZIMAGE    guest kernel; else $EDU_GUEST_KERNEL, else the newest
#                       /boot/vmlinuz-*, else the oracle's 6.12 bzImage
#   --guest BINARY      static edu_guest (meson's); else edu_guest.c beside
#                       this script is built with "cc -static"
#   --guest-args "..."  edu_guest's options, e.g. "--dma-size 4095"
#   --timeout S         seconds for the whole boot (default 300)
#   --wrapper "CMD..."  command prefix for QEMU, word-split (default
#                       $EDU_QEMU_WRAPPER), e.g.
#                       "uiommufd-run --device edu,name=0000:00:04.0 --"
#   --keep-console F    also copy the guest console to F
#   DEVICE_ARGS         QEMU arguments giving the guest its edu (default
#                       $EDU_QEMU_DEVICE, else "-device edu")
#
# QEMU's own edu (7.2) cannot DMA its whole 4096-byte buffer (an off-by-one
# in its range check aborts QEMU), so with the default "-device edu" and no
# --guest-args the guest runs with --dma-size 4095; any other device gets
# the full 4096.
#
# Env: EDU_ACCEL=kvm|tcg forces an accelerator (default: KVM when /dev/kvm
# can boot a stock kernel, else TCG), EDU_GUEST_MEM (default 256M: all of it
# below the edu's 28-bit DMA mask), EDU_QEMU (default qemu-system-x86_64),
# EDU_APPEND (extra kernel command line).
set -u
here=$(cd "$(dirname "$0")" && pwd)

KERNEL=${EDU_GUEST_KERNEL:-}
GUEST=""
GUEST_ARGS=""
GUEST_ARGS_SET=0
TIMEOUT=300
WRAPPER=${EDU_QEMU_WRAPPER:-}
KEEP=""
QEMU=${EDU_QEMU:-qemu-system-x86_64}
MEM=${EDU_GUEST_MEM:-256M}
ORACLE_KERNEL=${ORACLE_DIR:-/var/tmp/uiommufd-oracle}/linux-source-6.12/arch/x86/boot/bzImage

usage() {
	sed -n '3,/^set -u$/s/^# \{0,1\}//p' "$0" >&2
	exit 2
}
skip() {
	echo "run-edu-guest: SKIP: $*"
	exit 77
}

while [ $# -gt 0 ]; do
	case $1 in
	--kernel | --guest | --guest-args | --timeout | --wrapper | --keep-console)
		[ $# -ge 2 ] || usage
		case $1 in
		--kernel) KERNEL=$2 ;;
		--guest) GUEST=$2 ;;
		--guest-args) GUEST_ARGS=$2 GUEST_ARGS_SET=1 ;;
		--timeout) TIMEOUT=$2 ;;
		--wrapper) WRAPPER=$2 ;;
		--keep-console) KEEP=$2 ;;
		esac
		shift 2
		;;
	--)
		shift
		break
		;;
	-h | --help) usage ;;
	*) usage ;;
	esac
done
if [ $# -gt 0 ]; then
	DEVICE=("$@")
else
	read -r -a DEVICE <<<"${EDU_QEMU_DEVICE:--device edu}"
fi
if [ "$GUEST_ARGS_SET" = 0 ] && [ "${DEVICE[*]}" = "-device edu" ]; then
	GUEST_ARGS="--dma-size 4095"
fi
read -r -a WRAP <<<"$WRAPPER"

# The kernel: asked for, else Debian's newest, else the oracle's build.
if [ -z "$KERNEL" ]; then
	KERNEL=$(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n1)
	[ -n "$KERNEL" ] || KERNEL=$ORACLE_KERNEL
fi
[ -r "$KERNEL" ] || skip "no guest kernel (tried ${EDU_GUEST_KERNEL:-/boot/vmlinuz-*, $ORACLE_KERNEL}; apt-get install linux-image-amd64)"
command -v "$QEMU" >/dev/null || skip "$QEMU not found"

tmp=$(mktemp -d /tmp/run-edu-guest.XXXXXX) || exit 1
qpid=""
tpid=""
cleanup() {
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null
	[ -n "$tpid" ] && kill "$tpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "$GUEST" ]; then
	GUEST=$tmp/edu_guest
	cc=${CC:-cc}
	command -v "$cc" >/dev/null || skip "no C compiler ($cc) to build edu_guest"
	"$cc" -std=gnu11 -O2 -Wall -Wextra -static -o "$GUEST" "$here/edu_guest.c" 2>"$tmp/cc.err" ||
		skip "cannot build a static edu_guest: $(head -n3 "$tmp/cc.err")"
fi
[ -f "$GUEST" ] || { echo "run-edu-guest: no such guest program: $GUEST" >&2; exit 2; }
if readelf -l "$GUEST" 2>/dev/null | grep -q 'program interpreter'; then
	echo "run-edu-guest: $GUEST is dynamically linked; it cannot be the guest's /init" >&2
	exit 2
fi

# The initramfs holds only /init (and the mount points it uses).
root=$tmp/root
mkdir -p "$root"/{dev,proc,sys} && cp "$GUEST" "$root/init" && chmod 755 "$root/init" || exit 1
(cd "$root" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1) >"$tmp/initrd.gz" || exit 1

accel=${EDU_ACCEL:-auto}
if [ "$accel" = auto ]; then
	if ! (exec 3<>/dev/kvm) 2>/dev/null; then
		accel=tcg
	elif [ -d /sys/module/kvm_pvm ] && [ ! -d /sys/module/kvm_intel ] && [ ! -d /sys/module/kvm_amd ]; then
		# Nested PVM's /dev/kvm boots only PVM-enabled guest kernels.
		accel=tcg
	else
		accel=kvm-try
	fi
fi

# boot ACCEL: runs QEMU, streams the console (CRs stripped), sets qrc.
# "kvm-try" gives up (returns 1) if the guest does not start in 30 s.
boot() {
	local args=(-accel tcg -cpu max) i
	[ "$1" != tcg ] && args=(-accel kvm -cpu host)
	echo "run-edu-guest: $(basename "$KERNEL"), ${1%-try}, device: ${DEVICE[*]}${WRAP[*]:+, under: ${WRAP[*]}}, guest args: ${GUEST_ARGS:-none}"
	: >"$tmp/raw"
	start=$(date +%s%N)
	# -net none and sercon-port=0 keep iPXE/SeaBIOS noise off the console;
	# -no-reboot with panic=-1 ends QEMU if the guest panics.
	timeout -k 10 "$TIMEOUT" "${WRAP[@]}" "$QEMU" "${args[@]}" -m "$MEM" -smp 1 \
		-nographic -no-reboot -net none -fw_cfg name=etc/sercon-port,string=0 \
		-kernel "$KERNEL" -initrd "$tmp/initrd.gz" \
		-append "console=ttyS0 quiet loglevel=3 panic=-1 ${EDU_APPEND:-} -- $GUEST_ARGS" \
		"${DEVICE[@]}" </dev/null >"$tmp/raw" 2>"$tmp/qemu.err" &
	qpid=$!
	tail -n +1 -s 0.2 -f --pid="$qpid" "$tmp/raw" | tr -d '\r' &
	tpid=$!
	if [ "$1" = kvm-try ]; then
		for ((i = 0; i < 150; i++)); do
			grep -q 'EDU-GUEST: start' "$tmp/raw" && break
			kill -0 "$qpid" 2>/dev/null || break
			sleep 0.2
		done
		if ! grep -q 'EDU-GUEST: start' "$tmp/raw"; then
			kill "$qpid" 2>/dev/null
			wait "$qpid" 2>/dev/null
			wait "$tpid" 2>/dev/null
			qpid="" tpid=""
			echo "run-edu-guest: KVM guest did not start; retrying under TCG"
			return 1
		fi
	fi
	# Quietly: a QEMU that aborts is reported below, not by bash.
	wait "$qpid" 2>/dev/null
	qrc=$?
	qpid=""
	wait "$tpid" 2>/dev/null
	tpid=""
	secs=$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
	return 0
}
boot "$accel" || boot tcg

tr -d '\r' <"$tmp/raw" >"$tmp/console"
[ -n "$KEEP" ] && cp "$tmp/console" "$KEEP"
# QEMU's own messages, without the register dump a hardware error adds.
grep -v sercon-port "$tmp/qemu.err" >"$tmp/qemu.msg"
n=$(wc -l <"$tmp/qemu.msg")
if [ "$n" -gt 0 ]; then
	echo "run-edu-guest: QEMU said:"
	head -n 5 "$tmp/qemu.msg" | sed 's/^/| /'
	[ "$n" -gt 5 ] && echo "| ($((n - 5)) more lines)"
fi
if grep -q '^EDU-GUEST: PASS' "$tmp/console"; then
	echo "run-edu-guest: PASS in ${secs}s"
	exit 0
fi
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	why="timed out after ${TIMEOUT}s"
elif grep -q '^EDU-GUEST: FAIL' "$tmp/console"; then
	why="the guest's checks failed"
else
	why="no EDU-GUEST verdict (boot failure, guest or QEMU crash; QEMU exit status $qrc"
	[ "$qrc" -gt 128 ] && why="$why, signal $(kill -l $((qrc - 128)) 2>/dev/null)"
	why="$why)"
fi
echo "run-edu-guest: FAIL: $why; console tail:"
tail -n 40 "$tmp/console" | sed 's/^/| /'
exit 1
