#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run inside the lguest guest by the strict suite (lguest.run=), the
# launcher in --virtio-strict with every virtio device it has: work for
# each of Linux's drivers, so that strict mode sees them all at their
# ordinary business.  Our lines go out through hvc0 (--console=virtio).
#   strict.token=T     put T in the lines, so the suite knows they are ours
#   strict.host=IP     the host's end of the tap, to ping
# Block: 1 MiB of fresh random bytes written at 1 MiB into /dev/vda and
# read back (the suite compares the file's bytes with the checksum);
# rng: 4 KiB from /dev/hwrng (the virtio rng is the current one);
# its driver unbound and bound again (a reset and a second probe);
# network: pings of 56 and 1400 bytes to the host; console: a line the
# suite types on the launcher's stdin comes back.

. /test/guest-lib.sh

SAY_AS=strict-test
tok=$(param strict.token)
host=$(param strict.host)

say "token $tok"
say "rng $(cat /sys/class/misc/hw_random/rng_current 2>/dev/null) $(head -c 4096 /dev/hwrng | wc -c)"
head -c 1048576 /dev/urandom >/tmp/data
if dd if=/tmp/data of=/dev/vda bs=65536 seek=16 conv=notrunc,fsync 2>/dev/null &&
   sync && { echo 3 2>/dev/null >/proc/sys/vm/drop_caches || true; } &&
   [ "$(dd if=/dev/vda bs=65536 skip=16 count=16 2>/dev/null | md5sum)" = "$(md5sum </tmp/data)" ]; then
	say "vda ok $(md5sum </tmp/data | cut -d' ' -f1)"
else
	say "vda failed"
fi
if ping -c 5 -W 5 "$host" >/dev/null 2>&1 && ping -c 5 -s 1400 -W 5 "$host" >/dev/null 2>&1; then
	say "ping ok"
else
	say "ping failed"
fi
# The rng's driver unbound and bound again: a reset, the queue torn down
# and a second probe, under the same eyes.
drv=/sys/bus/virtio/drivers/virtio_rng
dev=$(ls -d $drv/virtio* 2>/dev/null | head -1)
dev=${dev##*/}
if [ -n "$dev" ] && echo "$dev" >$drv/unbind && echo "$dev" >$drv/bind; then
	say "rng rebound $(head -c 1024 /dev/hwrng | wc -c)"
else
	say "rng rebind failed ($dev)"
fi
say "hvc ready $tok"
read -r line </dev/hvc0
say "hvc-input $line"
exit 0
