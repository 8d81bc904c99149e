# SPDX-License-Identifier: GPL-2.0
# lguest-timeout: 900
# lguest-seconds: 60
#
# netmq: the network card with several queue pairs (--queues=N), in the
# test host VM.
#   1. bad --queues input: one line, status 1, no tap left;
#   2. `lguest -v --queues=4 64m bzImage --tunnet=192.168.1.1` on the vring
#      backend (lg.ko), the copy backend (lg.ko) and the vring backend on
#      KVM: the guest starts on one pair (it has one vCPU), switches to 4
#      (setqueues, its ethtool -L), then FLOWS TCP streams at once from the
#      host to the guest and FLOWS at once back, every one with the same
#      md5 at both ends; the launcher's per-pair counters (-v) show
#      traffic both ways on more than one pair; the tap is gone after the
#      launcher exits; then --cpus=2 --queues=2 on both hypervisors,
#      where the guest starts on both pairs and carries flows on each;
#      and the vhost backend (vhost-net) with 4 pairs on lg.ko and with
#      --cpus=2 --queues=2 on KVM (the guest's per-queue counts only:
#      vhost-net keeps none we can read);
#   3. teardown: the launcher SIGKILLed mid-transfer with 4 pairs on the
#      vring backend (4 tun_vring bindings) leaves no tap and no reference
#      on tun_vring.ko.
# Run by /init with busybox ash; TAP on stdout.

. /suites/lib-net.sh
T=/tmp/netmq
HOST=192.168.1.1
GUEST=192.168.1.2
QUEUES=4
FLOWS=6
BYTES=1048576
mkdir -p $T

# --- setup ---------------------------------------------------------------------

modprobe tun 2>$T/modprobe.err
modprobe kvm_amd 2>>$T/modprobe.err
insmod /lib/lguest/vringfd.ko 2>>$T/modprobe.err
insmod /lib/lguest/lg.ko 2>>$T/modprobe.err
insmod /lib/lguest/tun_vring.ko 2>>$T/modprobe.err
modprobe vhost_net 2>>$T/modprobe.err
check "tun, kvm_amd, vringfd.ko, lg.ko, tun_vring.ko and vhost_net load" \
	sh -c "[ -c /dev/net/tun ] && [ -c /dev/kvm ] && [ -c /dev/vring ] &&
	       [ -c /dev/lguest ] && [ -c /dev/tun_vring ] && [ -c /dev/vhost-net ]"
show $T/modprobe.err 5

# --- 1. bad input ----------------------------------------------------------------


range="want a number of queue pairs from 1 to 8"
expect_error queues-0 "lguest: --queues=0: $range" \
	--queues=0 64m $KERNEL --tunnet=$HOST
expect_error queues-9 "lguest: --queues=9: $range" \
	--queues=9 64m $KERNEL --tunnet=$HOST
expect_error queues-x "lguest: --queues=x: $range" \
	64m $KERNEL --tunnet=$HOST --queues=x
expect_error queues-minus "lguest: --queues=-1: $range" \
	64m $KERNEL --tunnet=$HOST --queues=-1
expect_error queues-no-tunnet "lguest: --queues needs --tunnet" \
	--queues=4 64m $KERNEL

# --- 2. a guest on four queue pairs -------------------------------------------------

# mq_run NAME HV BACKEND [PAIRS CPUS]: one guest with PAIRS queue pairs
# (QUEUES) and CPUS CPUs (1), FLOWS streams each way.
mq_run() {
	name=$1 hv=$2 backend=$3 pairs=${4:-$QUEUES} cpus=${5:-1}
	# The guest's console in $out, the launcher's own lines in $err: the
	# launcher speaks (the guest uses N queue pairs) while the guest is in
	# the middle of a line, and in one file each cut the other (a CI run
	# lost "the guest uses 2 queue pairs" so).
	out=$T/$name.out err=$T/$name.err
	seed_in=$(rand_seed) seed_out=$(rand_seed)
	rm -f $T/$name.status $T/$name.send.* $T/$name.recv.*
	( timeout 600 $LGUEST -v --hv=$hv --net-backend=$backend --queues=$pairs \
		--cpus=$cpus 64m $KERNEL --initrd=$INITRD --tunnet=$HOST \
		lguest.run=/test/guest-netmq.sh mq.host=$HOST mq.queues=$pairs \
		mq.flows=$FLOWS mq.bytes=$BYTES mq.seed=$seed_out \
		</dev/null >$out 2>$err
	  echo $? >$T/$name.status ) &
	if ! wait_for_line 'netmq: listening' 300 $out; then
		not_ok "$name: the guest boots and its network comes up"
		show $out 60
		show $err 20
		kill -9 $(pidof lguest) 2>/dev/null
		wait
		return
	fi
	tap=$(sed -n 's/^lguest: network: tap \([^ ]*\) .*/\1/p' $err | head -1)
	echo "# $name: $(grep '^lguest: network:' $err)"

	# Both directions' listeners first: the guest sends once it has
	# received everything.
	pids=
	i=0
	while [ $i -lt $FLOWS ]; do
		netxfer recv $((6100 + i)) >$T/$name.recv.$i 2>&1 &
		pids="$pids $!"
		i=$((i + 1))
	done
	i=0
	while [ $i -lt $FLOWS ]; do
		netxfer send $GUEST $((6000 + i)) -n $BYTES -s $((seed_in + i)) \
			>$T/$name.send.$i 2>&1 &
		pids="$pids $!"
		i=$((i + 1))
	done
	for pid in $pids; do
		wait $pid
	done
	wait_for_line 'netmq: done' 300 $out
	wait
	status=$(cat $T/$name.status 2>/dev/null)

	# Linux's virtio-net starts on as many pairs as it has CPUs.
	start=$cpus
	[ $start -gt $pairs ] && start=$pairs
	check "$name: the guest starts on $start pair(s) ($(sed -n 's/^netmq: before //p' $out | tr -d '\r'))" \
		grep -q "^netmq: before eth0: combined $start of $pairs" $out
	check "$name: the guest switches to $pairs pairs, and the launcher hears of it" \
		sh -c "grep -q '^netmq: channels eth0: combined $pairs of $pairs' $out &&
		       grep -q '^lguest: virtio-net: the guest uses $pairs queue pairs' $err"

	good_in=0 good_out=0 rates_in= rates_out=
	i=0
	while [ $i -lt $FLOWS ]; do
		sent=$(field $T/$name.send.$i sent md5)
		got=$(field $out "netmq: in $i " md5)
		if [ -n "$sent" ] && [ "$sent" = "$got" ] &&
		   [ "$(field $out "netmq: in $i " received)" = $BYTES ]; then
			good_in=$((good_in + 1))
		else
			echo "# $name: flow $i in: sent md5 ${sent:-none}, got ${got:-none}"
			show $T/$name.send.$i 3
			grep "^netmq: in $i " $out | show /dev/stdin 3
		fi
		rates_in="$rates_in $(field $out "netmq: in $i " s:)"
		sent=$(field $out "netmq: out $i " md5)
		got=$(field $T/$name.recv.$i received md5)
		if [ -n "$sent" ] && [ "$sent" = "$got" ] &&
		   [ "$(field $T/$name.recv.$i '' received)" = $BYTES ]; then
			good_out=$((good_out + 1))
		else
			echo "# $name: flow $i out: sent md5 ${sent:-none}, got ${got:-none}"
			show $T/$name.recv.$i 3
			grep "^netmq: out $i " $out | show /dev/stdin 3
		fi
		rates_out="$rates_out $(field $T/$name.recv.$i received s:)"
		i=$((i + 1))
	done
	check "$name: host to guest, $FLOWS streams of $BYTES bytes at once, $good_in with the same md5 (MB/s:$rates_in)" \
		test $good_in -eq $FLOWS
	check "$name: guest to host, $FLOWS streams of $BYTES bytes at once, $good_out with the same md5 (MB/s:$rates_out)" \
		test $good_out -eq $FLOWS

	check "$name: the guest powers off: the launcher exits 0" test "$status" = 0
	[ "$status" = 0 ] || { show_ends $out; show $err 20; }

	# lguest: virtio-net queue pair K: rx P packets, tx Q packets (the
	# rings' and tun_vring's own lines follow each; not these)
	grep -E '^lguest: virtio-net queue pair [0-9]+: (rx|vhost)' $err | tr -d '\r' >$T/$name.pairs
	show $T/$name.pairs
	grep '^netmq: stat .*_queue_.*_packets' $out | tr -d '\r' |
		sed 's/^netmq: stat //' | tr '\n' ' ' | sed 's/^/# guest driver: /;s/$/\n/'
	lines=$(wc -l <$T/$name.pairs)
	# Towards the guest GUEST_TSO (the launcher's N:445) brings a 1 MiB
	# flow in some 20 to 60 frames: 10 is past the odd ARP or ND frame.
	busy_rx=$(awk '$7 >= 10' $T/$name.pairs | wc -l)
	busy_tx=$(awk '$10 >= 50' $T/$name.pairs | wc -l)
	if [ $backend = vhost ]; then
		# vhost-net counts nothing we can read: the guest's count below.
		check "$name: the launcher names $pairs pairs served by vhost-net ($lines)" \
			sh -c "[ $lines -eq $pairs ] &&
			       [ $(grep -c 'vhost-net (it counts no frames)' $T/$name.pairs) -eq $pairs ]"
	else
		check "$name: the launcher counts $pairs pairs ($lines); $busy_rx carried 10+ packets to the guest, $busy_tx 50+ from it: more than one each way" \
			sh -c "[ $lines -eq $pairs ] && [ $busy_rx -ge 2 ] && [ $busy_tx -ge 2 ]"
	fi
	# The guest's driver counts per queue too (setqueues -s, ethtool -S).
	guest_rx=$(tr -d '\r' <$out | grep '^netmq: stat rx_queue_[0-9]*_packets ' |
		awk '$4 >= 10' | wc -l)
	guest_tx=$(tr -d '\r' <$out | grep '^netmq: stat tx_queue_[0-9]*_packets ' |
		awk '$4 >= 50' | wc -l)
	check "$name: the guest's driver agrees: $guest_rx receive queues with 10+ packets and $guest_tx transmit queues with 50+" \
		sh -c "[ $guest_rx -ge 2 ] && [ $guest_tx -ge 2 ]"
	check "$name: the tap ($tap) is gone once the launcher has exited" \
		sh -c "[ -n '$tap' ] && [ ! -e /sys/class/net/$tap ]"
	warnings=$(cat $out $err | grep -E 'WARNING:|BUG:|Oops|Kernel panic|device needs reset|can.t (attach|detach)' | head -3)
	check "$name: no warning from the guest kernel or the launcher" test -z "$warnings"
	[ -z "$warnings" ] || echo "$warnings" | sed 's/^/#   /'
}

mq_run lg-vring lguest vring
mq_run lg-copy lguest copy
mq_run kvm-vring kvm vring
# Two CPUs, a pair each: the guest spreads the pairs' interrupts over them.
mq_run lg-vring-2cpu lguest vring 2 2
mq_run kvm-vring-2cpu kvm vring 2 2
# Linux's vhost-net on the same card: a worker per pair as well.
mq_run lg-vhost lguest vhost
mq_run kvm-vhost-2cpu kvm vhost 2 2

# --- 3. teardown ---------------------------------------------------------------

out=$T/kill.out
rm -f $T/kill.status
( timeout 300 $LGUEST --queues=$QUEUES 64m $KERNEL --initrd=$INITRD --tunnet=$HOST \
	lguest.run=/test/guest-netmq.sh mq.host=$HOST mq.queues=$QUEUES \
	mq.flows=4 mq.bytes=$((BYTES * 64)) mq.seed=1 </dev/null >$out 2>&1
  echo $? >$T/kill.status ) &
if wait_for_line 'netmq: listening' 300 $out; then
	tap=$(sed -n 's/^lguest: network: tap \([^ ]*\) .*/\1/p' $out | head -1)
	senders=
	for i in 0 1 2 3; do
		netxfer send $GUEST $((6000 + i)) -n $((BYTES * 64)) -s $i >/dev/null 2>&1 &
		senders="$senders $!"
	done
	sleep 3
	refs_running=$(refs)
	kill -9 $(pidof lguest)
	# The senders' peer is gone without a word: they would retry for
	# minutes.
	sleep 1
	kill $senders 2>/dev/null
	wait
	sleep 1
	check "kill -9 of the launcher with $QUEUES pairs mid-transfer: it died of SIGKILL (status $(cat $T/kill.status)), the tap $tap is gone, tun_vring's references $refs_running -> $(refs)" \
		sh -c "[ '$(cat $T/kill.status)' = 137 ] && [ -n '$tap' ] &&
		       [ ! -e /sys/class/net/$tap ] && [ '$refs_running' = $QUEUES ] &&
		       [ '$(refs)' = 0 ]"
else
	not_ok "kill -9 of the launcher with $QUEUES pairs mid-transfer: the guest came up"
	show $out 40
	kill -9 $(pidof lguest) 2>/dev/null
	wait
fi
check "tun_vring.ko unloads afterwards" rmmod tun_vring
exit 0
