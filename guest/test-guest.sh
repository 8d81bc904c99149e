#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the guest kernel and initramfs under plain QEMU (no lguest yet) on a
# machine shaped like the lguest platform: microvm with no ACPI, 8259 PICs,
# the 8254 PIT, the UART at 0x3f8, a CPU without a local APIC, and
# virtio-mmio devices that QEMU announces on the kernel command line as
# virtio_mmio.device=... entries.  The devices:
#
#   vda   virtio-blk, an ext2 image made here holding run.sh and a file of
#         random bytes; init mounts it (lguest.disk) and runs run.sh
#         (lguest.run), which prints "guest-test: ..." lines on the console
#   vdb   virtio-blk, a blank raw image that run.sh writes to
#   rng   virtio-rng fed from the host's /dev/urandom
#   net   virtio-net on QEMU's user network (guest 10.0.2.15, host 10.0.2.2)
#   hvc0  virtio-console whose output goes to a file
#
# The host then checks what came back: the lines on the console, the bytes
# on vdb, the hvc0 file, the TCP stream, QEMU ending by itself.  Output is
# TAP; the exit status is 1 if a test failed.  Files in $BUILD/guest/test/.
#
#   usage: test-guest.sh [BZIMAGE [INITRAMFS]]
#
# Environment: BUILD (build), QEMU (qemu-system-x86_64), GUEST_CPU
# (max,-apic), GUEST_TIMEOUT (seconds for the whole boot, 120).
set -uo pipefail

BUILD=${BUILD:-build}
kernel=${1:-$BUILD/guest/bzImage}
initramfs=${2:-$BUILD/guest/initramfs.cpio.gz}
QEMU=${QEMU:-qemu-system-x86_64}
GUEST_CPU=${GUEST_CPU:-max,-apic}
GUEST_TIMEOUT=${GUEST_TIMEOUT:-120}
work=$BUILD/guest/test
console=$work/console.log

# ok, not_ok and check, as every test script here has them.
. "$(dirname "$0")/../tests/lib/tap.sh"

for file in "$kernel" "$initramfs"; do
	if [[ ! -f $file ]]; then
		echo "not ok 1 - $file is missing (make guest)"
		exit 1
	fi
done
for tool in "$QEMU" mke2fs busybox; do
	if ! command -v "$tool" >/dev/null; then
		echo "not ok 1 - $tool is not installed"
		exit 1
	fi
done

rm -rf "$work"
mkdir -p "$work/disk"

# Everything the guest must echo back is random, chosen now.
random_hex() {
	od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'
}
token=$(random_hex 8)
run_status=$((0x$(random_hex 1) % 100 + 1))
tcp_port=$((20000 + 0x$(random_hex 2) % 30000))
head -c 65536 /dev/urandom >"$work/disk/data.bin"
data_sha256=$(sha256sum "$work/disk/data.bin" | cut -d' ' -f1)
disk_magic="lguest-guest-test $token"

# The script init runs from the ext2 disk.  It checks that vdb is the
# scratch disk (by its virtio serial) before writing to it.
cat >"$work/disk/run.sh" <<EOF
#!/bin/sh
# Written by guest/test-guest.sh for one run.
say() {
	echo "guest-test: \$*"
}
# Keep kernel messages from splitting our lines on the console.
dmesg -n 1
say "release \$(uname -r)"
say "data-sha256 \$(sha256sum /disk/data.bin | cut -d' ' -f1)"
say "virtio-devices \$(ls /sys/bus/virtio/devices | wc -l)"
for dev in /sys/bus/virtio/devices/*; do
	say "virtio-driver \$(basename "\$(readlink "\$dev/driver")")"
done
say "virtio-irq-chips \$(grep virtio /proc/interrupts | awk '{ print \$3 }' | sort -u | tr '\n' ' ')"
if [ "\$(cat /sys/block/vdb/serial)" = scratch ]; then
	printf '%s\n' "$disk_magic" | dd of=/dev/vdb bs=512 conv=sync,fsync 2>/dev/null
	say "vdb-written \$?"
fi
head -c 64 /dev/hwrng >/tmp/rng &
rng_pid=\$!
( sleep 10; kill \$rng_pid 2>/dev/null ) &
wait \$rng_pid
say "rng-current \$(cat /sys/class/misc/hw_random/rng_current)"
say "rng-bytes \$(wc -c </tmp/rng) \$(od -An -tx1 -v /tmp/rng | tr -d ' \n')"
if [ "\$(cat /sys/block/vdb/serial)" = scratch ]; then
	dd if=/tmp/rng of=/dev/vdb bs=512 seek=1 conv=sync,fsync 2>/dev/null
fi
echo "hvc0 $token" >/dev/hvc0
say "ip \$(ip -4 -o addr show dev eth0 | awk '{ print \$4 }')"
if ping -c 1 -W 5 10.0.2.2 >/dev/null; then
	say "ping ok"
else
	say "ping failed"
fi
echo "tcp $token" | timeout 10 nc 10.0.2.2 $tcp_port
say "tcp-sent \$?"
exit $run_status
EOF
chmod +x "$work/disk/run.sh"

if ! mke2fs -q -F -t ext2 -d "$work/disk" "$work/disk.ext2" 8M >"$work/mke2fs.log" 2>&1; then
	echo "not ok 1 - mke2fs could not make the test disk"
	exit 1
fi
truncate -s 1M "$work/scratch.img"

# The host end of the TCP test: QEMU's user network maps the guest's
# 10.0.2.2:port to the host's 127.0.0.1:port.
busybox nc -l -p "$tcp_port" >"$work/tcp.out" 2>/dev/null &
nc_pid=$!

cmdline="console=ttyS0 panic=-1 lguest.ip=10.0.2.15/24 lguest.gw=10.0.2.2"
cmdline+=" lguest.disk=/dev/vda lguest.run=/disk/run.sh lguest.end=reboot"
# With no ACPI and no keyboard controller, the kernel's default reboot
# falls through to jumping into the firmware, which boots the guest again
# without QEMU noticing; a triple fault is a reset that -no-reboot turns
# into QEMU's exit.
cmdline+=" reboot=triple"
start=$(date +%s.%N)
timeout "$GUEST_TIMEOUT" "$QEMU" \
	-M microvm,acpi=off,pic=on,pit=on,rtc=off,ioapic2=off \
	-cpu "$GUEST_CPU" -m 64 -nographic -no-reboot \
	-kernel "$kernel" -initrd "$initramfs" -append "$cmdline" \
	-drive id=disk0,file="$work/disk.ext2",format=raw,if=none \
	-device virtio-blk-device,drive=disk0,serial=test \
	-drive id=disk1,file="$work/scratch.img",format=raw,if=none \
	-device virtio-blk-device,drive=disk1,serial=scratch \
	-object rng-random,id=rng0,filename=/dev/urandom \
	-device virtio-rng-device,rng=rng0 \
	-netdev user,id=net0 -device virtio-net-device,netdev=net0 \
	-chardev file,id=hvc0,path="$work/hvc0.out" \
	-device virtio-serial-device -device virtconsole,chardev=hvc0 \
	</dev/null >"$console" 2>&1 &
qemu_pid=$!

# Watch the console for the readiness line to time the boot.
ready_wall=
while kill -0 "$qemu_pid" 2>/dev/null; do
	if [[ -z $ready_wall ]] && grep -aq '^lguest-guest: ready' "$console"; then
		ready_wall=$(echo "$(date +%s.%N) - $start" | bc)
	fi
	sleep 0.05
done
wait "$qemu_pid"
qemu_status=$?
end_wall=$(echo "$(date +%s.%N) - $start" | bc)
kill "$nc_pid" 2>/dev/null
wait "$nc_pid" 2>/dev/null

# The serial console ends lines with \r\n.
tr -d '\r' <"$console" >"$console.txt"
# guest_says KEY: the rest of the first "guest-test: KEY ..." line.
guest_says() {
	sed -n "s/^guest-test: $1 //p" "$console.txt" | head -n 1
}

check "QEMU ended by itself with status 0 (status $qemu_status after $end_wall s)" \
	test "$qemu_status" -eq 0
boots=$(grep -c 'Linux version [0-9]' "$console.txt")
check "the guest booted once ($boots)" test "$boots" -eq 1
uptime=$(sed -n 's/^lguest-guest: up after \([0-9.]*\) s$/\1/p' "$console.txt" | head -n 1)
check "guest printed 'lguest-guest: ready' (uptime ${uptime:-?} s, ${ready_wall:-?} s wall)" \
	test -n "$ready_wall"

announced=$(grep -ao 'virtio_mmio.device=[^ ]*' "$console.txt" | sort -u | wc -l)
check "guest found 5 virtio devices ($announced announced on the command line)" \
	test "$(guest_says virtio-devices)" = 5 -a "$announced" -eq 5
drivers=$(sed -n 's/^guest-test: virtio-driver //p' "$console.txt" | sort | tr '\n' ' ')
check "virtio drivers bound: ${drivers:-none}" \
	test "$drivers" = "virtio_blk virtio_blk virtio_console virtio_net virtio_rng "
if [[ $GUEST_CPU == *-apic* ]]; then
	chips=$(guest_says virtio-irq-chips)
	check "no local APIC: virtio interrupts come through the 8259 PIC ($chips)" \
		test "$chips" = "XT-PIC "
fi

check "init ran /disk/run.sh from the ext2 disk and reported its status $run_status" \
	grep -qx "lguest-guest: /disk/run.sh exited with status $run_status" "$console.txt"
release=$(cat "$BUILD/guest/kernel.release" 2>/dev/null)
check "uname -r in the guest is the built kernel's release ($release)" \
	test -n "$release" -a "$(guest_says release)" = "$release"
check "sha256sum of a file on the disk matches the host's" \
	test "$(guest_says data-sha256)" = "$data_sha256"

check "bytes the guest wrote to vdb read back on the host" \
	test "$(head -c ${#disk_magic} "$work/scratch.img")" = "$disk_magic"
rng=$(guest_says rng-bytes)
rng_hex=${rng#* }
on_disk=$(od -An -tx1 -v -j 512 -N 64 "$work/scratch.img" | tr -d ' \n')
check "/dev/hwrng is virtio_rng.0 and gave 64 bytes, not all zero ($(guest_says rng-current))" \
	test "$(guest_says rng-current)" = virtio_rng.0 -a "${rng%% *}" = 64 -a \
	"${#rng_hex}" = 128 -a -n "${rng_hex//0/}"
check "the hwrng bytes on vdb match what the guest printed" \
	test -n "$rng_hex" -a "$on_disk" = "$rng_hex"

check "a line written to /dev/hvc0 reached the host" \
	grep -qx "hvc0 $token" <(tr -d '\r' <"$work/hvc0.out")
check "lguest.ip set eth0 to 10.0.2.15/24" \
	test "$(guest_says ip)" = 10.0.2.15/24
check "the guest pinged the gateway" \
	test "$(guest_says ping)" = ok
check "a TCP stream from the guest reached the host" \
	grep -qx "tcp $token" "$work/tcp.out"
check "init ended the guest with lguest-poweroff" \
	grep -qx "lguest-guest: poweroff (status $run_status)" "$console.txt"

echo "1..$n"
if [[ $tap_failed -ne 0 ]]; then
	echo "# console log: $console"
	exit 1
fi
