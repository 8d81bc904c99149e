# SPDX-License-Identifier: GPL-2.0
# lguest-timeout: 900
# lguest-seconds: 175
#
# macvtap: the guest's network card on --tunnet=macvtap:IFACE[:MODE], in
# the test host VM.  IFACE is mvlow, one end of a veth pair; the other
# end, mvpeer, is a port of the bridge mvbr in a network namespace of its
# own, where the "rest of the network", 10.9.0.1, lives.
#   1. bad input: one line, status 1, no macvtap and no reaper left, also
#      when the kernel refuses the macvtap or its MAC after it exists;
#   2. bridge mode, vring, copy, then vhost backend: the guest (10.9.0.2, from
#      lguest.ip=) pings the peer, the peer pings the guest, 8 MiB each
#      way over TCP with the same md5 at both ends; the reaper runs beside
#      the launcher holding nothing but its pipe; the macvtap and the
#      reaper are gone once the guest has powered off;
#   3. VEPA mode: a macvlan beside the guest on mvlow (10.9.0.3) cannot
#      reach it until the peer's bridge port is put in hairpin mode; the
#      peer's traffic flows as in bridge mode;
#   4. the launcher SIGKILLed mid-transfer: the reaper deletes the macvtap;
#   5. passthru mode, the guest reboots (status 3): it had mvlow's MAC,
#      reached the peer, and the macvtap is gone;
#   6. --queues=4 -v, vring then copy backend: the guest (guest-netmq.sh)
#      switches to 4 pairs, 4 TCP streams at once each way between it and
#      the peer with the same md5 at both ends, the launcher's per-pair
#      counters show traffic both ways on more than one pair, it exits 0
#      and the macvtap is gone; then kill -9 mid-transfer with 4 pairs on
#      the vring backend: the reaper deletes the macvtap and tun_vring.ko
#      has no reference left;
#   7. --tunnet=bridge:lgbr, a bridge in this namespace with 10.9.1.1, on
#      the vring, copy and vhost backends: the tap is a port of lgbr, pings
#      and 8 MiB each way as in 2, and the tap leaves the bridge with the
#      launcher.
# Run by /init with busybox ash; TAP on stdout.

. /suites/lib-net.sh
T=/tmp/macvtap
PEER=10.9.0.1
GUEST=10.9.0.2
NEIGHBOUR=10.9.0.3
BYTES=8388608
# A stream that stalls for good fails its test after this many seconds
# instead of holding the whole suite until the VM's timeout.
XFER_TIMEOUT=240
mkdir -p $T
macvtaps() { ls /sys/class/net | grep '^lgmvtap' | tr '\n' ' '; }
reapers() { pidof lguest-reaper; }
# The launcher, not its reaper: pidof also matches a process by its
# executable, which the reaper shares; the reaper's name is its own.
launchers() {
	for p in $(pidof lguest); do
		[ "$(cat /proc/$p/comm 2>/dev/null)" = lguest ] && echo $p
	done
}
# Run a command in the peer's network namespace.
peer() { nsenter -t "$NS" -n "$@"; }

# wait_for_guest LINE STATUSFILE: until the guest prints LINE; false at
# once if the launcher exits first, or after 300 s.
wait_for_guest() {
	tries=1500
	while ! grep -q "$1" $out 2>/dev/null; do
		tries=$((tries - 1))
		[ $tries -gt 0 ] && [ ! -e "$2" ] || return 1
		sleep 0.2
	done
}

# Nothing of ours left: no macvtap, no reaper (the reaper may need a
# moment after a SIGKILL).
nothing_left() {
	tries=25
	while [ -n "$(macvtaps)$(reapers)" ]; do
		tries=$((tries - 1))
		[ $tries -gt 0 ] || return 1
		sleep 0.2
	done
}

# --- setup ---------------------------------------------------------------------

modprobe -a tun macvtap veth bridge kvm_amd vhost_net 2>$T/modprobe.err
insmod /lib/lguest/vringfd.ko 2>>$T/modprobe.err
insmod /lib/lguest/lg.ko 2>>$T/modprobe.err
insmod /lib/lguest/tun_vring.ko 2>>$T/modprobe.err
check "tun, macvtap, veth, bridge, vhost_net, vringfd.ko, lg.ko and tun_vring.ko load" \
	sh -c "[ -c /dev/lguest ] && [ -c /dev/vring ] && [ -c /dev/tun_vring ] &&
	       [ -c /dev/vhost-net ] &&
	       grep -q '^macvtap ' /proc/modules && grep -q '^veth ' /proc/modules"
show $T/modprobe.err 5

# busybox's ip makes a veth's peer under a name of the kernel's choosing:
# find it by index and rename it.
setup_peer() {
	veth_to_peer mvlow mvpeer || return 1
	peer ip link set lo up &&
	peer brctl addbr mvbr &&
	peer brctl addif mvbr mvpeer &&
	peer ip link set mvpeer up &&
	peer ip link set mvbr up &&
	peer ip addr add $PEER/24 dev mvbr &&
	ip link set mvlow up
}
check "a veth pair: mvlow here, mvpeer in another namespace in bridge mvbr ($PEER)" setup_peer

# The peer namespace's sysfs: mounted in a mount namespace of its own.
hairpin() {
	peer unshare -m sh -c "mount -t sysfs sysfs /sys &&
		echo $1 >/sys/class/net/mvpeer/brport/hairpin_mode"
}

# --- 1. bad input ----------------------------------------------------------------

# expect_error (lib.sh) also wants no macvtap and no reaper left behind
# (nothing_left above).
NOTHING_LEFT_DESC=", no macvtap left"
left_behind() { echo "macvtaps: $(macvtaps), reapers: $(reapers)"; }

expect_error no-iface "lguest: --tunnet=macvtap:eth9: no such interface" \
	64m $KERNEL --tunnet=macvtap:eth9
expect_error not-ethernet "lguest: --tunnet=macvtap:lo: lo is not an Ethernet interface" \
	64m $KERNEL --tunnet=macvtap:lo
expect_error bad-mode "lguest: --tunnet=macvtap:mvlow:fast: unknown macvtap mode 'fast' (bridge, vepa, private or passthru)" \
	64m $KERNEL --tunnet=macvtap:mvlow:fast
expect_error bad-mac "lguest: --tunnet=macvtap:mvlow:vepa:52:54:00:zz:00:01: bad MAC address '52:54:00:zz:00:01' (want a unicast aa:bb:cc:dd:ee:ff)" \
	64m $KERNEL --tunnet=macvtap:mvlow:vepa:52:54:00:zz:00:01
expect_error macvtap-and-bridge "lguest: only one --tunnet (--tunnet=macvtap:mvlow and --tunnet=bridge:mvbr given)" \
	--tunnet=macvtap:mvlow --tunnet=bridge:mvbr 64m $KERNEL
expect_error bridge-and-macvtap "lguest: only one --tunnet (--tunnet=192.168.1.1 and --tunnet=macvtap:mvlow given)" \
	--tunnet=192.168.1.1 --tunnet=macvtap:mvlow 64m $KERNEL
# A macvlan already on mvlow: passthru wants mvlow to itself (the kernel
# refuses to make the macvtap), and the macvlan's MAC is taken (the
# kernel makes the macvtap but will not bring it up: we delete it).
if ip link add link mvlow name mvx type macvlan && ip link set mvx up; then
	expect_error passthru-taken "lguest: --tunnet=macvtap:mvlow:passthru: mvlow already has a macvlan or macvtap (passthru needs mvlow to itself)" \
		64m $KERNEL --tunnet=macvtap:mvlow:passthru
	mac=$(cat /sys/class/net/mvx/address)
	expect_error mac-taken "lguest: --tunnet=macvtap:mvlow:$mac: the guest's MAC $mac is already in use on mvlow" \
		64m $KERNEL --tunnet=macvtap:mvlow:$mac
else
	not_ok "a macvlan mvx on mvlow for the passthru and MAC cases"
fi

# --- 2. a guest on the peer's network ------------------------------------------------

# boot NAME TUNNET BACKEND [ARGS...]: start a guest running guest-net.sh
# against the peer; wait until it listens.  Sets out, macvtap.
boot() {
	name=$1 tunnet=$2 backend=$3
	shift 3
	out=$T/$name.out err=
	rm -f $T/$name.status
	( timeout 600 $LGUEST --net-backend=$backend 64m $KERNEL --initrd=$INITRD \
		--tunnet=$tunnet lguest.ip=$GUEST/24 \
		lguest.run=/test/guest-net.sh net.host=$PEER "$@" \
		</dev/null >$out 2>&1
	  echo $? >$T/$name.status ) &
	launcher_job=$!
	macvtap= macvtap_mac=
	if ! wait_for_guest "${WAIT_FOR:-net-test: tcp listening}" $T/$name.status; then
		not_ok "$name: the guest boots and its network comes up"
		show $out 60
		kill -9 $(launchers) 2>/dev/null
		wait $launcher_job
		return 1
	fi
	macvtap=$(sed -n 's/^lguest: network: macvtap \([^ ]*\) .*/\1/p' $out | head -1)
	macvtap_mac=$(cat /sys/class/net/$macvtap/address 2>/dev/null)
	echo "# $name: $(grep '^lguest: network:' $out)"
}

# The reaper beside a running launcher: one, holding only stdin/stdout
# (/dev/null), stderr, and its pipe: no tap, no /dev/lguest, no guest RAM.
reaper_holds_nothing() {
	r=$(reapers)
	[ -n "$r" ] && [ "$(echo $r | wc -w)" = 1 ] || return 1
	fds=$(ls -l /proc/$r/fd | sed -n 's/.* -> //p' | tr '\n' ' ')
	echo "#   reaper $r: $fds"
	! echo "$fds" | grep -qE '/dev/(tap|net|lguest|kvm|vring|tun_vring)|anon_inode' &&
		[ "$(grep -c . /proc/$r/maps)" -lt 40 ]
}

# exchange NAME: ping both ways, BYTES each way, the results.
exchange() {
	name=$1
	seed_in=$(rand_seed)
	peer ping -c 3 -W 10 $GUEST >$T/$name.ping 2>&1
	peer_ping=$?
	peer timeout $XFER_TIMEOUT netxfer recv 5002 >$T/$name.recv 2>&1 &
	recv_pid=$!
	peer timeout $XFER_TIMEOUT netxfer send $GUEST 5001 -n $BYTES -s $seed_in >$T/$name.send 2>&1
	send_status=$?
	wait $recv_pid
	wait_for_line 'net-test: done' 300 $out

	check "$name: the guest has $GUEST from lguest.ip= and the MAC it was given" \
		sh -c "grep -q '^net-test: address $GUEST' $out &&
		       grep -q '^net-test: mac $macvtap_mac' $out"
	check "$name: the guest pings the peer ($(sed -n 's/^net-test: ping //p' $out | tr -d '\r'))" \
		grep -q '^net-test: ping ok' $out
	check "$name: the peer pings the guest" test $peer_ping -eq 0
	[ $peer_ping -eq 0 ] || show $T/$name.ping 5

	sent=$(field $T/$name.send sent md5)
	got=$(field $out 'net-test: tcp in ' md5)
	check "$name: peer to guest, $BYTES bytes over TCP, same md5 (${got:-none}, $(field $out 'net-test: tcp in ' s:) MB/s)" \
		sh -c "[ $send_status -eq 0 ] && [ -n '$sent' ] && [ '$sent' = '$got' ] &&
		       [ '$(field $out 'net-test: tcp in ' received)' = $BYTES ]"
	[ -n "$got" ] && [ "$sent" = "$got" ] || { show $T/$name.send 5; grep 'net-test' $out | show /dev/stdin 20; }

	sent=$(field $out 'net-test: tcp out ' md5)
	got=$(field $T/$name.recv received md5)
	check "$name: guest to peer, $BYTES bytes over TCP, same md5 (${got:-none}, $(field $T/$name.recv received s:) MB/s)" \
		sh -c "[ -n '$sent' ] && [ '$sent' = '$got' ] &&
		       [ '$(field $T/$name.recv '' received)' = $BYTES ]"
	[ -n "$got" ] && [ "$sent" = "$got" ] || { show $T/$name.recv 5; grep 'net-test' $out | show /dev/stdin 20; }
}

# finish NAME WANT: the launcher's status, nothing left, no warnings.
finish() {
	name=$1 want=$2
	wait $launcher_job
	status=$(cat $T/$name.status 2>/dev/null)
	check "$name: the launcher exits $want" test "$status" = "$want"
	[ "$status" = "$want" ] || { show_ends $out; [ -z "$err" ] || show $err 20; }
	check "$name: the macvtap ($macvtap) and its reaper are gone once the launcher has exited" \
		sh -c "[ -n '$macvtap' ] && [ ! -e /sys/class/net/$macvtap ] && [ -z '$(macvtaps)$(reapers)' ]"
	warnings=$(cat $out ${err:-/dev/null} | grep -E 'WARNING:|BUG:|Oops|Kernel panic|device needs reset|lguest-reaper:' | head -3)
	check "$name: no warning from the guest kernel, the launcher or the reaper" test -z "$warnings"
	[ -z "$warnings" ] || echo "$warnings" | sed 's/^/#   /'
}

if boot bridge-vring macvtap:mvlow vring net.bytes=$BYTES net.seed=$(rand_seed); then
	check "bridge-vring: a macvtap in bridge mode on mvlow ($macvtap)" \
		grep -q "^lguest: network: macvtap $macvtap on mvlow (bridge mode)" $out
	check "bridge-vring: the reaper runs beside the launcher holding nothing of the guest's" \
		reaper_holds_nothing
	nr_launchers=$(launchers | wc -w)
	reaper_comm=$(cat /proc/$(reapers)/comm)
	check "bridge-vring: one launcher, and a reaper called $reaper_comm (killall and pkill lguest pass it by)" \
		sh -c "[ $nr_launchers = 1 ] && [ '$reaper_comm' = lguest-reaper ]"
	exchange bridge-vring
	finish bridge-vring 0
fi

if boot bridge-copy macvtap:mvlow:bridge copy net.bytes=$BYTES net.seed=$(rand_seed); then
	exchange bridge-copy
	finish bridge-copy 0
fi

# vhost-net takes a macvtap's file as it takes a tap's.
if boot bridge-vhost macvtap:mvlow vhost net.bytes=$BYTES net.seed=$(rand_seed); then
	exchange bridge-vhost
	finish bridge-vhost 0
fi

# --- 3. VEPA ---------------------------------------------------------------------

# The macvlan mvx (VEPA, busybox's ip gives no mode) stands for a second
# guest on mvlow.  In VEPA mode nothing goes across inside the kernel:
# mvx reaches the guest only if the switch at the other end of mvlow
# sends frames back out of the port they came in by.
ip addr add $NEIGHBOUR/24 dev mvx
if boot vepa macvtap:mvlow:vepa vring net.bytes=$BYTES net.seed=$(rand_seed); then
	check "vepa: a macvtap in VEPA mode" \
		grep -q "^lguest: network: macvtap $macvtap on mvlow (vepa mode)" $out
	ping -c 2 -W 3 $GUEST >$T/vepa-nohairpin.ping 2>&1
	check "vepa: the neighbouring macvlan ($NEIGHBOUR) does not reach the guest without hairpin" \
		test $? -ne 0
	if hairpin 1; then
		ping -c 3 -W 10 $GUEST >$T/vepa-hairpin.ping 2>&1
		check "vepa: it does once the peer's bridge port is in hairpin mode" test $? -eq 0
		show $T/vepa-hairpin.ping 3
	else
		not_ok "vepa: hairpin mode on the peer's bridge port"
	fi
	hairpin 0
	exchange vepa
	finish vepa 0
fi
ip link del mvx

# --- 4. SIGKILL -------------------------------------------------------------------

if boot kill macvtap:mvlow vring net.bytes=$((BYTES * 8)) net.seed=1; then
	peer netxfer send $GUEST 5001 -n $((BYTES * 8)) -s 1 >/dev/null 2>&1 &
	send_pid=$!
	sleep 2
	had=$(macvtaps | tr -d ' ')
	kill -9 $(launchers)
	wait $launcher_job
	{ kill $send_pid; wait $send_pid; } 2>/dev/null
	check "kill -9 of the launcher mid-transfer: it died of SIGKILL (status $(cat $T/kill.status)), $had was there" \
		sh -c "[ '$(cat $T/kill.status)' = 137 ] && [ -n '$had' ]"
	check "kill -9: the reaper deletes the macvtap ($macvtap) and exits" nothing_left
	echo "#   macvtaps: $(macvtaps), reapers: $(reapers)"
fi

# --- 5. passthru, and the guest dies ------------------------------------------------

lower_mac=$(cat /sys/class/net/mvlow/address)
if WAIT_FOR='net-test: ping' boot passthru macvtap:mvlow:passthru vring lguest.end=reboot; then
	check "passthru: the guest has mvlow's MAC ($lower_mac) and pings the peer" \
		sh -c "grep -q '^net-test: mac $lower_mac' $out && grep -q '^net-test: ping ok' $out"
	finish passthru 3
fi

# --- 6. four queue pairs ------------------------------------------------------------

# mq NAME BACKEND: a guest on --queues=$QUEUES over the macvtap runs
# guest-netmq.sh against the peer: it switches to $QUEUES pairs, takes
# $FLOWS streams at once from the peer, then sends $FLOWS back.
QUEUES=4
FLOWS=4
MQ_BYTES=1048576
# The peer's TCP retransmissions so far: a stream that stalls shows here.
peer_retrans() {
	peer cat /proc/net/snmp |
		awk '$1 == "Tcp:" && $13 ~ /^[0-9]+$/ { n = $13 } END { print n + 0 }'
}
mq() {
	name=$1 backend=$2
	# The launcher's own lines in $err, apart from the guest's console:
	# it says "the guest uses N queue pairs" while the guest may be in
	# the middle of a line, and in one file each could cut the other.
	out=$T/$name.out err=$T/$name.err
	seed_in=$(rand_seed) seed_out=$(rand_seed)
	rm -f $T/$name.status $T/$name.send.* $T/$name.recv.*
	( timeout 600 $LGUEST -v --net-backend=$backend --queues=$QUEUES \
		64m $KERNEL --initrd=$INITRD --tunnet=macvtap:mvlow \
		lguest.ip=$GUEST/24 lguest.run=/test/guest-netmq.sh \
		mq.host=$PEER mq.queues=$QUEUES mq.flows=$FLOWS \
		mq.bytes=$MQ_BYTES mq.seed=$seed_out </dev/null >$out 2>$err
	  echo $? >$T/$name.status ) &
	launcher_job=$!
	if ! wait_for_guest 'netmq: listening' $T/$name.status; then
		not_ok "$name: the guest boots and its network comes up"
		show $out 60
		kill -9 $(launchers) 2>/dev/null
		wait $launcher_job
		return 1
	fi
	macvtap=$(sed -n 's/^lguest: network: macvtap \([^ ]*\) .*/\1/p' $err | head -1)
	echo "# $name: $(grep '^lguest: network:' $err)"
	# The sections before left the peer an ARP entry for $GUEST with an
	# earlier guest's MAC.  This guest has sent nothing but the
	# announcement its init makes (arp_notify), and the peer is about to
	# connect to it: it must know the new MAC already, or it sends into
	# the void for half a minute.
	guest_mac=$(sed -n 's/.*guest MAC \([0-9a-f:]*\).*/\1/p' $err | head -1)
	peer_knows=$(peer cat /proc/net/arp | awk -v ip=$GUEST '$1 == ip { print $4 }')
	check "$name: the peer learned the new guest's MAC ($guest_mac) from its announcement (it has ${peer_knows:-none})" \
		test -n "$guest_mac" -a "$peer_knows" = "$guest_mac"
	check "$name: a macvtap on mvlow with $QUEUES queue pairs ($macvtap)" \
		grep -q "^lguest: network: macvtap $macvtap on mvlow (bridge mode), .*, $backend backend, $QUEUES queue pairs" $err

	# The peer listens before it sends: the guest sends once it has
	# received everything.
	pids=
	i=0
	while [ $i -lt $FLOWS ]; do
		peer timeout $XFER_TIMEOUT netxfer recv $((6100 + i)) >$T/$name.recv.$i 2>&1 &
		pids="$pids $!"
		i=$((i + 1))
	done
	i=0
	while [ $i -lt $FLOWS ]; do
		peer timeout $XFER_TIMEOUT netxfer send $GUEST $((6000 + i)) -n $MQ_BYTES -s $((seed_in + i)) \
			>$T/$name.send.$i 2>&1 &
		pids="$pids $!"
		i=$((i + 1))
	done
	start=$(date +%s) retrans=$(peer_retrans)
	for pid in $pids; do
		wait $pid
	done
	echo "# $name: the streams took $(($(date +%s) - start)) s, the peer retransmitted $(($(peer_retrans) - retrans)) segments; $macvtap dropped $(cat /sys/class/net/$macvtap/statistics/rx_dropped 2>/dev/null) received, $(cat /sys/class/net/$macvtap/statistics/tx_dropped 2>/dev/null) sent"
	wait_for_line 'netmq: done' 300 $out

	check "$name: the guest starts on one pair and switches to $QUEUES, and the launcher hears of it" \
		sh -c "grep -q '^netmq: before eth0: combined 1 of $QUEUES' $out &&
		       grep -q '^netmq: channels eth0: combined $QUEUES of $QUEUES' $out &&
		       grep -q '^lguest: virtio-net: the guest uses $QUEUES queue pairs' $err"
	good_in=0 good_out=0 rates_in= rates_out=
	i=0
	while [ $i -lt $FLOWS ]; do
		rates_in="$rates_in $(field $out "netmq: in $i " s:)"
		rates_out="$rates_out $(field $T/$name.recv.$i received s:)"
		sent=$(field $T/$name.send.$i sent md5)
		got=$(field $out "netmq: in $i " md5)
		if [ -n "$sent" ] && [ "$sent" = "$got" ] &&
		   [ "$(field $out "netmq: in $i " received)" = $MQ_BYTES ]; then
			good_in=$((good_in + 1))
		else
			echo "# $name: flow $i in: sent md5 ${sent:-none}, got ${got:-none}"
			show $T/$name.send.$i 3
			grep "^netmq: in $i " $out | show /dev/stdin 3
		fi
		sent=$(field $out "netmq: out $i " md5)
		got=$(field $T/$name.recv.$i received md5)
		if [ -n "$sent" ] && [ "$sent" = "$got" ] &&
		   [ "$(field $T/$name.recv.$i '' received)" = $MQ_BYTES ]; then
			good_out=$((good_out + 1))
		else
			echo "# $name: flow $i out: sent md5 ${sent:-none}, got ${got:-none}"
			show $T/$name.recv.$i 3
			grep "^netmq: out $i " $out | show /dev/stdin 3
		fi
		i=$((i + 1))
	done
	check "$name: peer to guest, $FLOWS streams of $MQ_BYTES bytes at once, $good_in with the same md5 (MB/s:$rates_in)" \
		test $good_in -eq $FLOWS
	check "$name: guest to peer, $FLOWS streams of $MQ_BYTES bytes at once, $good_out with the same md5 (MB/s:$rates_out)" \
		test $good_out -eq $FLOWS

	finish $name 0
	# lguest: virtio-net queue pair K: rx P packets, tx Q packets (the
	# rings' and tun_vring's own lines follow each; not these)
	grep -E '^lguest: virtio-net queue pair [0-9]+: (rx|vhost)' $err | tr -d '\r' >$T/$name.pairs
	show $T/$name.pairs
	lines=$(wc -l <$T/$name.pairs)
	# Towards the guest GUEST_TSO (the launcher's N:445) brings a 1 MiB
	# flow in some 20 to 60 frames: 10 is past the odd ARP or ND frame.
	busy_rx=$(awk '$7 >= 10' $T/$name.pairs | wc -l)
	busy_tx=$(awk '$10 >= 50' $T/$name.pairs | wc -l)
	check "$name: the launcher counts $QUEUES pairs ($lines); $busy_rx carried 10+ packets to the guest, $busy_tx 50+ from it: more than one each way" \
		sh -c "[ $lines -eq $QUEUES ] && [ $busy_rx -ge 2 ] && [ $busy_tx -ge 2 ]"
	warnings=$(grep -E 'can.t (attach|detach)' $out | head -3)
	check "$name: every tap queue attached and detached as the guest asked" test -z "$warnings"
	[ -z "$warnings" ] || echo "$warnings" | sed 's/^/#   /'
}

mq mq-vring vring
mq mq-copy copy

# kill -9 with $QUEUES pairs on the vring backend ($QUEUES tun_vring
# bindings on the macvtap's queues) mid-transfer.
out=$T/mq-kill.out
rm -f $T/mq-kill.status
( timeout 300 $LGUEST --queues=$QUEUES 64m $KERNEL --initrd=$INITRD \
	--tunnet=macvtap:mvlow lguest.ip=$GUEST/24 lguest.run=/test/guest-netmq.sh \
	mq.host=$PEER mq.queues=$QUEUES mq.flows=4 mq.bytes=$((MQ_BYTES * 64)) \
	mq.seed=1 </dev/null >$out 2>&1
  echo $? >$T/mq-kill.status ) &
launcher_job=$!
if wait_for_guest 'netmq: listening' $T/mq-kill.status; then
	macvtap=$(sed -n 's/^lguest: network: macvtap \([^ ]*\) .*/\1/p' $out | head -1)
	senders=
	for i in 0 1 2 3; do
		peer netxfer send $GUEST $((6000 + i)) -n $((MQ_BYTES * 64)) -s $i >/dev/null 2>&1 &
		senders="$senders $!"
	done
	sleep 3
	refs_running=$(refs)
	kill -9 $(launchers)
	wait $launcher_job
	# The senders' peer is gone without a word: they would retry for
	# minutes.
	sleep 1
	kill $senders 2>/dev/null
	for pid in $senders; do
		wait $pid
	done 2>/dev/null
	check "mq-kill: kill -9 of the launcher with $QUEUES pairs mid-transfer: it died of SIGKILL (status $(cat $T/mq-kill.status)), $macvtap was there" \
		sh -c "[ '$(cat $T/mq-kill.status)' = 137 ] && [ -n '$macvtap' ]"
	check "mq-kill: the reaper deletes the macvtap ($macvtap) and exits" nothing_left
	echo "#   macvtaps: $(macvtaps), reapers: $(reapers)"
	tries=25
	while [ "$(refs)" != 0 ] && [ $tries -gt 0 ]; do
		tries=$((tries - 1))
		sleep 0.2
	done
	check "mq-kill: tun_vring's references $refs_running -> $(refs)" \
		sh -c "[ '$refs_running' = $QUEUES ] && [ '$(refs)' = 0 ]"
else
	not_ok "mq-kill: the guest on $QUEUES pairs comes up"
	show $out 40
	kill -9 $(launchers) 2>/dev/null
	wait $launcher_job
fi

# --- 7. --tunnet=bridge:BR ----------------------------------------------------------

# The same exchange through a tap in an existing bridge (tunnet.c), on
# each backend: lgbr, here, stands for the host's LAN, and its address
# for the rest of the network; the "peer" is then this namespace.
peer() { "$@"; }
PEER=10.9.1.1 GUEST=10.9.1.2
check "a bridge lgbr here with $PEER" \
	sh -c "brctl addbr lgbr && ip addr add $PEER/24 dev lgbr && ip link set lgbr up"
for backend in vring copy vhost; do
	name=tunbr-$backend
	boot $name bridge:lgbr $backend net.bytes=$BYTES net.seed=$(rand_seed) || continue
	tap=$(sed -n 's/^lguest: network: tap \([^ ]*\) in bridge lgbr, .*/\1/p' $out | head -1)
	macvtap_mac=$(sed -n 's/^lguest: network: tap .*, guest MAC \([0-9a-f:]*\),.*/\1/p' $out | head -1)
	check "$name: the launcher's tap ($tap) is a port of lgbr, the guest's MAC is $macvtap_mac" \
		sh -c "[ -n '$tap' ] && [ -e /sys/class/net/lgbr/brif/$tap ] &&
		       [ -n '$macvtap_mac' ]"
	exchange $name
	wait $launcher_job
	check "$name: the launcher exits 0, and its tap ($tap) has left lgbr and is gone" \
		sh -c "[ \"\$(cat $T/$name.status)\" = 0 ] && [ -n '$tap' ] &&
		       [ ! -e /sys/class/net/$tap ] && [ -z \"\$(ls /sys/class/net/lgbr/brif)\" ]"
	warnings=$(grep -E 'WARNING:|BUG:|Oops|Kernel panic|device needs reset' $out | head -3)
	check "$name: no warning from the guest kernel or the launcher" test -z "$warnings"
	[ -z "$warnings" ] || echo "$warnings" | sed 's/^/#   /'
done
ip link set lgbr down
brctl delbr lgbr

check "no lguest process left" test -z "$(pidof lguest)"
kill $NS
exit 0
