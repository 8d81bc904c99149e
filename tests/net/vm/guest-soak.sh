#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run inside the lguest guest by the soak suite (lguest.run=): keep the
# network busy both ways until soak.secs have passed.  soak.flows TCP
# receivers (ports 5100+i, one connection after another) take what the
# host sends, and as many senders push soak.bytes at a time to the host's
# ports 5200+i, retrying while the host is not listening.  At the end one
# "soak: done in IN out OUT" line counts the transfers that completed
# each way; the guest then powers off.

. /test/guest-lib.sh

host=$(param soak.host)
secs=$(param soak.secs)
flows=$(param soak.flows)
bytes=$(param soak.bytes)
end=$(($(cut -d. -f1 /proc/uptime) + secs))

# loop KIND I: transfers of one kind on flow I until the time is up; each
# completed one adds a line to /tmp/KIND.I.
loop() {
	while left=$((end - $(cut -d. -f1 /proc/uptime))) && [ $left -gt 0 ]; do
		case $1 in
		in)	timeout $((left + 10)) netxfer recv $((5100 + $2)) ;;
		out)	netxfer send -r 5 "$host" $((5200 + $2)) -n "$bytes" ;;
		esac >/tmp/last.$1.$2 2>&1 && echo >>/tmp/$1.$2
	done
}

i=0
while [ $i -lt "$flows" ]; do
	loop in $i &
	loop out $i &
	i=$((i + 1))
done
echo "soak: running $flows flows each way for $secs s"
wait
# The guest's clock after the load: still the TSC (H:442).
echo "soak: clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
echo "soak: done in $(cat /tmp/in.* 2>/dev/null | wc -l) out $(cat /tmp/out.* 2>/dev/null | wc -l)"
