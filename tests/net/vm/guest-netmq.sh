#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run inside the lguest guest by the netmq suite (lguest.run=), on a guest
# started with --tunnet=HOST --queues=N: the guest's half of the
# multiqueue checks.
#   1. switch eth0 to mq.queues queue pairs (setqueues: ethtool -L, which
#      busybox lacks) and say what the driver reports;
#   2. receive mq.flows TCP streams at once from the host (netxfer recv on
#      ports 6000, 6001, ...);
#   3. then send mq.flows streams of mq.bytes bytes at once to the host's
#      ports 6100, 6101, ... (seed mq.seed + flow number);
#   4. print every result (with its md5) and the driver's per-queue
#      packet counters.
# Every result is one "netmq: " line on the console for the suite.

. /test/guest-lib.sh

SAY_AS=netmq

host=$(param mq.host)
queues=$(param mq.queues)
flows=$(param mq.flows)
bytes=$(param mq.bytes)
seed=$(param mq.seed)

say "address $(ip -4 addr show dev eth0 | sed -n 's/.*inet \([0-9.]*\).*/\1/p')"
say "before $(setqueues eth0 2>&1)"
say "channels $(setqueues eth0 "$queues" 2>&1)"

i=0
while [ $i -lt "$flows" ]; do
	netxfer recv $((6000 + i)) >/tmp/in.$i 2>&1 &
	i=$((i + 1))
done
say "listening"
wait
i=0
while [ $i -lt "$flows" ]; do
	netxfer send "$host" $((6100 + i)) -n "$bytes" -s $((seed + i)) \
		>/tmp/out.$i 2>&1 &
	i=$((i + 1))
done
wait

i=0
while [ $i -lt "$flows" ]; do
	say "in $i $(cat /tmp/in.$i)"
	say "out $i $(cat /tmp/out.$i)"
	i=$((i + 1))
done
setqueues eth0 -s 2>&1 | while read -r line; do
	say "stat $line"
done
say "done"
