#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run inside the lguest guest by the net suite (lguest.run=), on a guest
# started with --tunnet=HOST: the guest's half of the network checks.
#   1. ping the host;
#   2. receive net.bytes bytes from the host over TCP (netxfer recv on
#      port 5001), then send net.bytes bytes (seed net.seed) to the host's
#      port 5002, and print both results (with their md5s);
#   3. optionally (net.udp=SECONDS) receive 64-byte UDP datagrams on port
#      5003, then send them to the host's port 5004 for as long;
#   4. two seconds of silence, then the results, with what the kernel said
#      while its console was quiet.
# Every result is one "net-test: " line on the console for the suite.

. /test/guest-lib.sh

SAY_AS=net-test

host=$(param net.host)
bytes=$(param net.bytes)
seed=$(param net.seed)
udp=$(param net.udp)

say "address $(ip -4 addr show dev eth0 | sed -n 's/.*inet \([0-9.]*\).*/\1/p')"
say "mac $(cat /sys/class/net/eth0/address)"
say "features $(cat /sys/class/net/eth0/device/features 2>/dev/null)"
if ping -c 3 -W 10 "$host" >/tmp/ping.out 2>&1; then
	say "ping ok $(tail -1 /tmp/ping.out)"
else
	say "ping failed: $(tail -2 /tmp/ping.out | tr '\n' ' ')"
fi

# The transfers, then a quiet moment before the results: the suite counts
# the launcher's system calls over the transfers, and every byte printed
# on the serial console is an exit to the launcher and a write(2) by it.
# That includes the kernel's own messages (a loaded machine makes it say
# things about its clocks), so the console takes only emergencies while
# the transfers run; what the kernel said meanwhile is printed afterwards,
# where the suite's warning checks see it.  A panic or an oops still
# reaches the console at once: they raise the console's level themselves.
dmesg -c >/dev/null
dmesg -n 1
if [ -n "$bytes" ]; then
	say "tcp listening"
	tcp_in=$(netxfer recv 5001 2>&1)
	tcp_out=$(netxfer send "$host" 5002 -n "$bytes" -s "$seed" 2>&1)
fi
if [ -n "$udp" ]; then
	udp_in=$(udpblast recv 5003 "$udp" 2>&1)
	udp_out=$(udpblast send "$host" 5004 "$udp" 2>&1)
fi
sleep 2
dmesg -n 7
dmesg -c | while IFS= read -r line; do say "kmsg $line"; done
[ -z "$bytes" ] || say "tcp in $tcp_in"
[ -z "$bytes" ] || say "tcp out $tcp_out"
[ -z "$udp" ] || say "udp in $(echo $udp_in)"
[ -z "$udp" ] || say "udp out $(echo $udp_out)"
say "interrupts $(awk '/virtio/ { print $1, $2 }' /proc/interrupts | tr '\n' ' ')"
say "done"
