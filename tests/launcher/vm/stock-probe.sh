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
# Which CPU a process pinned to each CPU ran on (field 39 of its stat), and
# the per-CPU timer counts (LOC, and IRQ 0's) around a second in which
# every CPU is kept busy (Debian's kernel is tickless: an idle CPU takes
# no timer interrupts at all).
counts() {
	awk -v n="$(nproc)" -v key="$1" '$1 == key {
		s = $2; for (i = 3; i <= n + 1; i++) s = s " " $i; print s }' \
		/proc/interrupts
}
on=
loc=$(counts LOC:)
irq0=$(counts 0:)
cpu=0
while [ $cpu -lt "$(nproc)" ]; do
	mask=$(printf %x $((1 << cpu)))
	on="$on $(taskset $mask cut -d' ' -f39 /proc/self/stat)"
	taskset $mask timeout 1 sh -c 'while :; do :; done' &
	cpu=$((cpu + 1))
done
wait
say "ran-on$on"
say "loc $loc / $(counts LOC:)"
say "irq0 $irq0 / $(counts 0:)"
say "clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
say "sum $(($(param stock.a) + $(param stock.b)))"
exit 0
