#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run inside a two-CPU lguest guest by the bench-ipi suite (lguest.run=):
# the guest's half of the IPI round-trip benchmark.  ipiping
# (bench/ipiping.c) bounces a token between two pinned processes for
# ipi.secs seconds (default 1) in three settings, one line each:
#   "ipi: pipe-0-1 ..."   a byte over two pipes, CPU 0 <-> CPU 1
#   "ipi: futex-0-1 ..."  a shared futex word, CPU 0 <-> CPU 1
#   "ipi: pipe-0-0 ..."   the pipes with both ends on CPU 0: no IPI, the
#                         baseline that tells what the IPIs cost
# each followed by "ipis X", the reschedule and call-function interrupts
# (/proc/interrupts RES and CAL, every CPU) per round trip over the run,
# warm-up included: about 2 shows each hop woke an idle CPU by IPI, as
# the benchmark means it to.

. /test/guest-lib.sh

SAY_AS=ipi
secs=$(param ipi.secs)
# Kernel messages would land inside our lines (guest-smp.sh does the same).
dmesg -n 1

# The RES and CAL counts of /proc/interrupts, summed over the CPUs.
ipi_count() {
	awk '$1 == "RES:" || $1 == "CAL:" {
		for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i }
	     END { print s + 0 }' /proc/interrupts
}

say "cpus $(nproc) online $(cat /sys/devices/system/cpu/online)"
for run in pipe:0:1 futex:0:1 pipe:0:0; do
	mode=${run%%:*} cpus=${run#*:}
	a=${cpus%:*} b=${cpus#*:}
	before=$(ipi_count)
	# A lost wakeup would hang a side for good: the timeout bounds it.
	line=$(timeout 120 ipiping -m "$mode" -t "${secs:-1}" "$a" "$b" 2>&1)
	status=$?
	after=$(ipi_count)
	# The warm-up's 100 round trips are in the counts too.
	ipis=$(echo "$line" | awk -v d=$((after - before)) '
		{ for (i = 1; i < NF; i++) if ($(i + 1) == "round") n = $i }
		END { if (n > 0) printf "%.2f", d / (n + 100) }')
	say "$mode-$a-$b $line (status $status) ipis ${ipis:--}"
done
say "done"
