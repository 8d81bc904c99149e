# SPDX-License-Identifier: GPL-2.0
# lguest-timeout: 600
# lguest-seconds: 175
#
# soak: two lg.ko guests, each on a tap of its own with --queues=4 and the
# vring backend, move TCP both ways on every pair at once for soak.secs
# (kernel command line of the test VM; 60 in `make check`, 300 in `make
# soak`, SOAK_SECS=N for another).  Two guests on the two virtual CPUs
# under sustained load is where rare failures show: a guest killed or
# rebooted mid-traffic, or the test VM's own kernel resetting, which
# run-suite.sh reports with the registers from QEMU's log.  This is how
# QEMU's multi-threaded TCG bug was found (Documentation/lguest.rst): it
# failed every run of this suite.
# Checks: each guest comes up, moves data both ways, keeps the TSC as its
# clocksource and, once its time is up, powers off (status 0) with no
# "guest killed" or "rebooted" line; the test VM's kernel logs no warning
# meanwhile.  Run by /init with busybox
# ash.

. /suites/lib-net.sh

T=/tmp/soak
mkdir -p $T
SECS=$(param soak.secs)
SECS=${SECS:-60}
# soak.guests=1 runs guest a alone; soak.backend=copy the launcher's copy
# backend; soak.queues=N another pair count.
GUESTS=$(param soak.guests)
[ "$GUESTS" = 1 ] && GUESTS=a || GUESTS="a b"
BACKEND=$(param soak.backend)
BACKEND=${BACKEND:-vring}
QUEUES=$(param soak.queues)
QUEUES=${QUEUES:-4}
FLOWS=4
BYTES=4M

modprobe tun 2>$T/modprobe.err
for m in vringfd lg tun_vring; do
	insmod /lib/lguest/$m.ko 2>>$T/modprobe.err
done
if [ -c /dev/lguest ] && [ -c /dev/tun_vring ] && [ -c /dev/net/tun ]; then
	ok "soak: tun, vringfd.ko, lg.ko and tun_vring.ko load"
else
	not_ok "soak: tun, vringfd.ko, lg.ko and tun_vring.ko load"
	show $T/modprobe.err 5
	exit 0
fi
echo "# soak: guests $GUESTS, $BACKEND backend, $QUEUES pairs, $FLOWS flows each way each, for $SECS s"

# launch G NET: guest G (a or b) on a tap at NET.1, the guest at NET.2.
launch() {
	$LGUEST --net-backend=$BACKEND --queues=$QUEUES 64m $KERNEL \
		--initrd=$INITRD --tunnet=$2.1 \
		lguest.run=/test/guest-soak.sh soak.host=$2.1 soak.secs=$SECS \
		soak.flows=$FLOWS soak.bytes=$BYTES \
		</dev/null >$T/$1.out 2>&1 &
	eval "pid_$1=$! net_$1=$2"
}

# host_loop G KIND I: the host's half of flow I of guest G, until the file
# $T/G.end exists; a completed transfer adds a line to $T/G.KIND.I.
host_loop() {
	eval "net=\$net_$1"
	while [ ! -e $T/$1.end ]; do
		case $2 in
		in)	timeout 60 netxfer recv $((5200 + $3)) ;;
		out)	timeout 60 netxfer send -r 5 $net.2 $((5100 + $3)) -n $BYTES ;;
		esac >$T/$1.last.$2.$3 2>&1 && echo >>$T/$1.$2.$3
		[ -e $T/$1.end ] || sleep 0.1
	done
}

dmesg_before=$(dmesg | wc -l)
launch a 192.168.1
[ "$GUESTS" = a ] || launch b 192.168.2
for g in $GUESTS; do
	if wait_for_line "^soak: running" 300 $T/$g.out; then
		ok "guest $g boots and starts its traffic"
	else
		not_ok "guest $g boots and starts its traffic"
		show_ends $T/$g.out 20
	fi
	i=0
	while [ $i -lt $FLOWS ]; do
		host_loop $g in $i &
		host_loop $g out $i &
		i=$((i + 1))
	done
done

for g in $GUESTS; do
	eval "pid=\$pid_$g"
	wait $pid
	status=$?
	: >$T/$g.end
	tr -d '\r' <$T/$g.out >$T/$g.txt
	moved=$(cat $T/$g.in.* $T/$g.out.* 2>/dev/null | wc -l)
	echo "# guest $g: $(grep '^soak: done' $T/$g.txt); host side: $moved transfers"
	if [ $status = 0 ] && grep -q '^soak: done' $T/$g.txt &&
	   ! grep -q '^lguest: guest killed\|^lguest: guest rebooted' $T/$g.txt; then
		ok "guest $g ran its $SECS s and powered off (status 0)"
	else
		not_ok "guest $g ran its $SECS s and powered off (status $status)"
		grep '^lguest: ' $T/$g.txt | sed 's/^/#   /' | tail -5
		show_ends $T/$g.out 15
	fi
	clock=$(sed -n 's/^soak: clocksource //p' $T/$g.txt)
	unstable=$(grep -i 'unstable' $T/$g.txt | head -2)
	check "guest $g kept the TSC as its clock through its $SECS s under load (clocksource ${clock:-?})" \
		[ "$clock" = tsc -a -z "$unstable" ]
	[ -z "$unstable" ] || echo "$unstable" | sed 's/^/#   /'
	check "guest $g moved data both ways" \
		[ "$(cat $T/$g.in.* 2>/dev/null | wc -l)" -gt 0 -a \
		  "$(cat $T/$g.out.* 2>/dev/null | wc -l)" -gt 0 ]
done
# A transfer the guest's end left half done runs into its timeout.
wait

# What the kernel said while the guests ran (its boot-time lines, such as
# the CPU vulnerability notes, are not ours to judge).
dmesg | tail -n +$((dmesg_before + 1)) >$T/dmesg
sed 's/^/#   /' $T/dmesg | tail -20
if grep -q 'WARNING:.* at \|BUG:\|Oops\|general protection' $T/dmesg; then
	not_ok "the test VM's kernel logged no warning"
else
	ok "the test VM's kernel logged no warning"
fi
