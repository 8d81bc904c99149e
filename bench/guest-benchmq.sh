#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run inside the lguest guest by the bench-netmq suite (lguest.run=): the
# guest's half of the tap/macvtap and 1/N queue pair benchmark; and by
# bench-netsmp, TCP only (bm.udp=0), for one CPU and one pair against two
# and two.
#
# The guest runs bm.rounds rounds of the phases in bm.phases, in that
# order in odd rounds and backwards in even ones (the suite walks the
# same order, so a phase's neighbours alternate too).  A phase is
#   1   one flow: bm.bytes over TCP each way, 64-byte UDP each way;
#   qN  bm.flows flows at once on N queue pairs (setqueues first, our
#       ethtool -L): bm.mqbytes per TCP flow each way, bm.flows UDP
#       senders each way.
# With bm.mq=1 (a card with several pairs) phase 1 also runs on one pair.
# Each phase: receive the host's TCP flows (ports 5100+i), send ours
# (to the host's 5200+i), count the host's datagrams (5300+i) for bm.udp
# seconds, send ours (to 5400+i) for bm.udp seconds (no UDP with
# bm.udp=0).  The host waits for each "listening" line before it sends
# and has its receivers up before we send.  Every result is one
# "benchmq: R PHASE ..." line.

. /test/guest-lib.sh

SAY_AS=benchmq

host=$(param bm.host)
bytes=$(param bm.bytes)
mqbytes=$(param bm.mqbytes)
flows=$(param bm.flows)
udp=$(param bm.udp)
rounds=$(param bm.rounds)
# The phases come comma-separated: the kernel command line splits words.
phases=$(param bm.phases | tr ',' ' ')
mq=$(param bm.mq)

# phase R P: one phase of round R.
phase() {
	r=$1 p=$2
	case $p in
	1)	n=1 size=$bytes pairs=1 ;;
	q*)	n=$flows size=$mqbytes pairs=${p#q} ;;
	esac
	[ "$mq" = 1 ] && say "$r $p queues $(setqueues eth0 "$pairs" 2>&1)"

	i=0
	while [ $i -lt $n ]; do
		netxfer recv $((5100 + i)) >/tmp/in.$i 2>&1 &
		i=$((i + 1))
	done
	say "$r $p listening tcp"
	wait
	i=0
	while [ $i -lt $n ]; do
		netxfer send "$host" $((5200 + i)) -n "$size" -s $((r * 100 + i)) \
			>/tmp/out.$i 2>&1 &
		i=$((i + 1))
	done
	wait
	i=0
	while [ $i -lt $n ]; do
		say "$r $p tcp-in $i $(tr '\n' ' ' </tmp/in.$i)"
		say "$r $p tcp-out $i $(tr '\n' ' ' </tmp/out.$i)"
		i=$((i + 1))
	done
	# bm.udp=0: TCP only (bench-netsmp).
	[ "${udp:-0}" -gt 0 ] || return

	i=0
	while [ $i -lt $n ]; do
		udpblast recv $((5300 + i)) "$udp" >/tmp/in.$i 2>&1 &
		i=$((i + 1))
	done
	say "$r $p listening udp"
	wait
	i=0
	while [ $i -lt $n ]; do
		udpblast send "$host" $((5400 + i)) "$udp" >/tmp/out.$i 2>&1 &
		i=$((i + 1))
	done
	wait
	i=0
	while [ $i -lt $n ]; do
		say "$r $p udp-in $i $(tr '\n' ' ' </tmp/in.$i)"
		say "$r $p udp-out $i $(tr '\n' ' ' </tmp/out.$i)"
		i=$((i + 1))
	done
}

say "address $(ip -4 addr show dev eth0 | sed -n 's/.*inet \([0-9.]*\).*/\1/p')"
say "cpus $(nproc) online $(cat /sys/devices/system/cpu/online)"
r=1
while [ "$r" -le "${rounds:-1}" ]; do
	order=$phases
	[ $((r % 2)) -eq 0 ] && order=$(echo $phases | awk '{ for (i = NF; i > 0; i--) printf "%s ", $i }')
	for p in $order; do
		phase $r $p
	done
	r=$((r + 1))
done
[ "$mq" = 1 ] && setqueues eth0 -s 2>&1 | while read -r line; do
	say "stat $line"
done
say "done"
