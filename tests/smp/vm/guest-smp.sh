#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run inside an SMP lguest guest by the smp suite (lguest.run=): what the
# guest sees of its CPUs, one "smp-test: " line per fact, for the test VM
# to check.  Parameters from the kernel command line:
#   smp.quick=1     only the CPU count and a command on each CPU (the
#                   4-CPU boot)
#   smp.rounds=N    tlbstress rounds (default 1000)
#   smp.console=N   instead of the CPU checks: N numbered lines from each
#                   CPU at once on the console
#   smp.host=IP     instead of the CPU checks: steer the network card's
#                   interrupt to CPU 1, receive smp.bytes bytes from the
#                   host on port 6000 and send as many (seed smp.seed)
#                   to IP port 6100, with the IRQ's counts per CPU

. /test/guest-lib.sh

SAY_AS=smp-test
ncpus=$(nproc)
# The kernel's console messages (a CPU coming up, SysRq's backtraces)
# would land in the middle of our lines: keep them in the log, and say the
# bad ones at the end.
dmesg -n 1

# The per-CPU columns of /proc/interrupts line $1 ("LOC:", "TLB:", "0:").
irq_counts() {
	awk -v key="$1" -v n="$ncpus" '$1 == key {
		s = $2; for (i = 3; i <= n + 1; i++) s = s " " $i; print s }' \
		/proc/interrupts
}

# Which CPU a process pinned to CPU $1 ran on (field 39 of its stat).
ran_on() {
	taskset "$(printf %x $((1 << $1)))" cut -d' ' -f39 /proc/self/stat
}

say "nproc $ncpus"
say "cpuinfo $(grep -c '^processor' /proc/cpuinfo)"
say "online $(cat /sys/devices/system/cpu/online)"
on=
cpu=0
while [ $cpu -lt "$ncpus" ]; do
	on="$on $(ran_on $cpu)"
	cpu=$((cpu + 1))
done
say "ran-on$on"

host=$(param smp.host)
lines=$(param smp.console)
if [ -n "$lines" ]; then
	# Both CPUs write to the console at once, smp.console numbered lines
	# each, through the same tty and 8250 driver: none may go missing.
	for cpu in 0 1; do
		taskset "$((cpu + 1))" sh -c "i=0
			while [ \$i -lt $lines ]; do
				echo 'smp-console: cpu $cpu line '\$i' of $lines, padded to a typical console line'
				i=\$((i + 1))
			done" &
	done
	wait
elif [ -n "$host" ]; then
	irq=$(awk '/virtio0/ { sub(":", "", $1); print $1; exit }' /proc/interrupts)
	echo 2 >/proc/irq/$irq/smp_affinity
	say "net-irq $irq $(cat /proc/irq/$irq/smp_affinity)"
	before=$(irq_counts "$irq:")
	say "listening"
	netxfer recv 6000 >/tmp/in 2>&1
	netxfer send "$host" 6100 -n "$(param smp.bytes)" -s "$(param smp.seed)" \
		>/tmp/out 2>&1
	say "net-irq-counts $before / $(irq_counts "$irq:")"
	say "in $(cat /tmp/in)"
	say "out $(cat /tmp/out)"
elif [ "$(param smp.quick)" != 1 ]; then
	# Each CPU's local APIC timer ticks ("LOC"), and the UART's IRQ 4
	# arrives through the I/O APIC.  (The PIT's IRQ 0 need not exist: a
	# guest with the TSC-deadline timer never sets the PIT up.)
	before=$(irq_counts LOC:)
	sleep 2
	say "loc $before / $(irq_counts LOC:)"
	say "irq4 $(awk -v n="$ncpus" '$1 == "4:" {
		s = $(n + 2); for (i = n + 3; i <= NF; i++) s = s " " $i; print s }' \
		/proc/interrupts)"

	# The rest needs a second CPU; a guest with one (--apic) stops here.
	if [ "$ncpus" -gt 1 ]; then
		# TLB shootdowns between the two CPUs (tests/smp/vm/tlbstress.c).
		before=$(irq_counts TLB:)
		rounds=$(param smp.rounds)
		timeout 120 tlbstress "${rounds:-1000}" 0 1 >/tmp/tlbstress 2>&1
		status=$?
		say "tlbstress $(cat /tmp/tlbstress) (status $status)"
		say "tlb $before / $(irq_counts TLB:)"

		# CPU 1 offline (the kernel moves everything off it and parks it)
		# and back (INIT and start-up IPIs again).
		echo 0 >/sys/devices/system/cpu/cpu1/online
		say "offline $(cat /sys/devices/system/cpu/online) $(nproc)"
		echo 1 >/sys/devices/system/cpu/cpu1/online
		say "online-again $(cat /sys/devices/system/cpu/online) $(nproc) $(ran_on 1)"

		# SysRq 'l': a backtrace from every CPU, the others' by NMI IPI.
		# SysRq prints its own "sysrq: Show backtrace..." on the console
		# whatever dmesg -n says, so the lines above must be out first (a CI
		# run found it in the middle of online-again's line).
		console_drain
		echo l >/proc/sysrq-trigger
		sleep 1
		say "nmi-backtraces $(dmesg | sed -n 's/.*NMI backtrace for cpu \([0-9]*\).*/\1/p' | sort -u | tr '\n' ' ')"
	fi
fi
say "clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
# How many bytes the 8250 driver has sent so far, to hold against what
# the launcher wrote (-v) if a line ever goes missing on the way.
say "serial-tx $(sed -n 's/^0:.* tx:\([0-9]*\).*/\1/p' /proc/tty/driver/serial)"
dmesg | grep -E 'WARNING:|BUG:|Oops|Kernel panic|unstable|verification failure' |
while read -r line; do
	say "kernel $line"
done
say "done"
