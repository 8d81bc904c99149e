#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run inside Debian's stock kernel under lguest by the stock suite
# (lguest.run=/test/stock-probe.sh lguest.end=shell): say what the guest
# sees, one "stock-test: " line per fact, for the test VM to check.  The
# shell follows; the suite ends the guest from there with lguest-exit.
# Parameters from the kernel command line: stock.token=T (echoed back),
# stock.a=A stock.b=B (their sum is printed).

. /test/guest-lib.sh

SAY_AS=stock-test

say "token $(param stock.token)"
say "uname $(uname -r)"
# The timer must tick (PIT on IRQ 0 through the PIC): sleep needs it.
before=$(awk '$1 == "0:" { print $2 }' /proc/interrupts)
sleep 1
after=$(awk '$1 == "0:" { print $2 }' /proc/interrupts)
say "timer $before $after $(awk '$1 == "0:" { print $3 }' /proc/interrupts)"
say "nproc $(nproc)"
# Each CPU's local APIC timer, when there are APICs: LOC per CPU, before
# and after a second in which every CPU is kept busy (Debian's kernel is
# tickless: an idle CPU takes no timer interrupts at all).
loc() {
	awk -v n="$(nproc)" '$1 == "LOC:" {
		s = $2; for (i = 3; i <= n + 1; i++) s = s " " $i; print s }' \
		/proc/interrupts
}
before=$(loc)
cpu=0
while [ $cpu -lt "$(nproc)" ]; do
	taskset "$(printf %x $((1 << cpu)))" timeout 1 sh -c 'while :; do :; done' &
	cpu=$((cpu + 1))
done
wait
say "loc $before / $(loc)"
say "clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
say "sum $(($(param stock.a) + $(param stock.b)))"
exit 0
