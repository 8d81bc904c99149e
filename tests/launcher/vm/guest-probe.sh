#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run inside the lguest guest by the launcher suite (lguest.run=): report
# what the guest sees, one "launcher-test: " line per fact, for the test
# VM to check.  Parameters from the kernel command line:
#   launcher.token=T    echo T back (proves the command line and console)
#   launcher.status=N   exit with status N (default 0); init hands it to
#                       the launcher through the exit port (0xf4)

. /test/guest-lib.sh

SAY_AS=launcher-test

say "token $(param launcher.token)"
say "uname $(uname -r)"
# The timer must tick (PIT on IRQ 0 through the PIC): sleep needs it.
before=$(awk '$1 == "0:" { print $2 }' /proc/interrupts)
sleep 1
after=$(awk '$1 == "0:" { print $2 }' /proc/interrupts)
say "timer $before $after $(awk '$1 == "0:" { print $3 }' /proc/interrupts)"
say "uart $(awk '$1 == "4:" { print $2, $3 }' /proc/interrupts)"
say "serial $(cat /proc/tty/driver/serial 2>/dev/null | grep '^0:' | cut -d' ' -f2)"
if [ -e /dev/hwrng ]; then
	say "rng $(head -c 16 /dev/hwrng | od -An -tx1 | tr -d ' \n')"
fi
if [ -e /dev/vda ]; then
	say "vda $(head -c 65536 /dev/vda | md5sum | cut -d' ' -f1)"
	# 64 KiB of fresh random bytes into the third 64 KiB of the disk: the
	# host compares the file's bytes there with this checksum.
	head -c 65536 /dev/urandom >/tmp/vda-data
	if dd if=/tmp/vda-data of=/dev/vda bs=65536 seek=2 count=1 \
		conv=notrunc,fsync 2>/dev/null && sync; then
		say "vda write ok $(md5sum </tmp/vda-data | cut -d' ' -f1)"
	else
		say "vda write failed"
	fi
fi
# Time: the TSC frequency the launcher passed (tsc_early_khz=), the one
# the kernel settled on (its last "tsc: Detected N.NNN MHz ..." line, in
# kHz), how often it failed to calibrate against the PIT, and the
# clocksource it runs on.
say "tsc-arg $(param tsc_early_khz)"
say "tsc-khz $(dmesg | sed -n 's/.*tsc: Detected \([0-9]*\)\.\([0-9]*\) MHz.*/\1\2/p' | tail -1)"
say "tsc-pit-failures $(dmesg | grep -c 'Unable to calibrate against PIT')"
say "tsc-unstable $(dmesg | sed -n 's/.*[Mm]arking TSC unstable due to //p' | head -1)"
say "clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
say "clocksources $(cat /sys/devices/system/clocksource/clocksource0/available_clocksource)"
status=$(param launcher.status)
exit "${status:-0}"
