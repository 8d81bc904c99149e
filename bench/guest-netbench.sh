#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run inside the lguest guest by the bench-net suite (lguest.run=), on a
# guest started with --tunnet=HOST: the guest's half of the network
# benchmark.  For each of bench.rounds rounds:
#   1. receive a TCP stream from the host (netxfer recv on port 5001);
#   2. send bench.bytes bytes to the host's port 5002;
#   3. count 64-byte UDP datagrams arriving on port 5003 for bench.udp
#      seconds (udpblast recv);
#   4. send 64-byte datagrams to the host's port 5004 for bench.udp
#      seconds (udpblast send).
# The host drives it: it waits for each "listening" line before it sends,
# and has its own receivers up before the guest sends.  One
# "netbench: R PHASE ..." line per result on the console; the suite takes
# the numbers from the host's ends, the md5s and received counts from here.
# Unlike guest-net.sh this does not ping: a boot costs a minute of TCG
# time, so one guest does every round of one backend.

. /test/guest-lib.sh

SAY_AS=netbench

host=$(param bench.host)
bytes=$(param bench.bytes)
udp=$(param bench.udp)
rounds=$(param bench.rounds)

say "address $(ip -4 addr show dev eth0 | sed -n 's/.*inet \([0-9.]*\).*/\1/p')"
r=1
while [ "$r" -le "${rounds:-1}" ]; do
	say "$r listening tcp"
	say "$r tcp-in $(netxfer recv 5001 2>&1 | tr '\n' ' ')"
	say "$r tcp-out $(netxfer send "$host" 5002 -n "$bytes" -s "$r" 2>&1 | tr '\n' ' ')"
	say "$r listening udp"
	say "$r udp-in $(udpblast recv 5003 "$udp" 2>&1 | tr '\n' ' ')"
	say "$r udp-out $(udpblast send "$host" 5004 "$udp" 2>&1 | tr '\n' ' ')"
	r=$((r + 1))
done
say "interrupts $(awk '/virtio/ { print $1, $2 }' /proc/interrupts | tr '\n' ' ')"
say "done"
