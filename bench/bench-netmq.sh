# SPDX-License-Identifier: GPL-2.0
# lguest-timeout: 900
#
# bench-netmq: the guest's network on lg.ko's vring backend, in the test
# host VM, side by side in one run:
#   (a) a tap (--tunnet=192.168.1.1) against a macvtap in bridge mode
#       (--tunnet=macvtap:bmlow) over a veth whose peer, bmpeer, sits in
#       a network namespace of its own where the host's tools run
#       (10.9.0.1; the guest is 10.9.0.2 from lguest.ip=): one TCP flow
#       of $BYTES each way, 64-byte UDP each way for $UDP s;
#   (b) on the tap, 1 queue pair against $PAIRS: $FLOWS TCP flows of
#       $MQBYTES at once each way (netxfer on ports 5100+i / 5200+i), and
#       $FLOWS 64-byte UDP senders at once each way.
# Two guests run bench/guest-benchmq.sh: the tap guest has
# --queues=$PAIRS and switches between 1 and $PAIRS pairs itself
# (setqueues), so (b) compares the same guest on the same tap; its
# phase "1" (the tap column of (a)) runs on one pair.  The macvtap guest
# has the one pair a plain --tunnet gives.
#
# $ROUNDS rounds; in odd ones the tap guest goes first and walks
# "1 q1 q$PAIRS", in even ones the macvtap guest goes first and the tap
# guest walks "q$PAIRS q1 1", so whatever else the (noisy, 2-vCPU, TCG)
# machine does falls on every column alike.  Only one phase moves
# packets at a time.  Numbers are the receiving end's: a TCP phase's
# MB/s is its bytes over the slowest flow's time (the flows start
# together), a UDP phase's pps the sum of its receivers' rates.  The
# medians go out as a "# " table and "bench: net tap/macvtap ..." and
# "bench: net queues $PAIRS/1 ..." lines.  Speed is reported, never
# asserted; a transfer that fails (md5 mismatch, short count, no
# datagrams) or a pair switch that does not happen is a "not ok", so the
# bench is a smoke test too.  Run by /init with busybox ash.

# lib-net.sh: the TAP helpers (lib.sh), wait_for_line (lib.sh) and field;
# lib-bench.sh: the medians, ratio, showin and the flow helpers.
. /suites/lib-net.sh
. /suites/lib-bench.sh
T=/tmp/bench-netmq
BYTES=16777216
FLOWS=4
MQBYTES=$((BYTES / FLOWS))
PAIRS=4
UDP=3
ROUNDS=3
PEER=10.9.0.1
mkdir -p $T

# --- setup ---------------------------------------------------------------------

modprobe -a tun macvtap veth 2>$T/modprobe.err
insmod /lib/lguest/vringfd.ko 2>>$T/modprobe.err
insmod /lib/lguest/lg.ko 2>>$T/modprobe.err
insmod /lib/lguest/tun_vring.ko 2>>$T/modprobe.err
if [ -c /dev/net/tun ] && [ -c /dev/vring ] && [ -c /dev/lguest ] &&
   [ -c /dev/tun_vring ] && grep -q '^macvtap ' /proc/modules &&
   grep -q '^veth ' /proc/modules; then
	ok "bench-netmq: tun, macvtap, veth, vringfd.ko, lg.ko and tun_vring.ko load"
else
	not_ok "bench-netmq: tun, macvtap, veth, vringfd.ko, lg.ko and tun_vring.ko load"
	show_tail $T/modprobe.err 5
	exit 0
fi

# The macvtap's lower device bmlow, its veth peer bmpeer in a namespace of
# its own (held by a sleeping process) with the "rest of the network" on
# it.  busybox's ip names a veth's peer itself: find it by index.
setup_peer() {
	veth_to_peer bmlow bmpeer || return 1
	nsenter -t $NS -n ip link set lo up &&
	nsenter -t $NS -n ip link set bmpeer up &&
	nsenter -t $NS -n ip addr add $PEER/24 dev bmpeer &&
	ip link set bmlow up
}
if setup_peer; then
	ok "a veth pair: bmlow here, bmpeer ($PEER) in another namespace"
else
	not_ok "a veth pair: bmlow here, bmpeer ($PEER) in another namespace"
fi

# --- the two guests ------------------------------------------------------------------

# launch G: start guest G (tap or mvt) in the background.  Sets G's pid,
# address, the prefix that runs our tools where its peer is (nothing for
# the tap; the namespace for the macvtap), and its phases.
launch() {
	g=$1
	out=$T/$g.out
	case $g in
	tap)
		eval "run_$g= guest_$g=192.168.1.2 phases_$g='1 q1 q$PAIRS'"
		$LGUEST -v --net-backend=vring --queues=$PAIRS 64m $KERNEL \
			--initrd=$INITRD --tunnet=192.168.1.1 \
			lguest.run=/test/guest-benchmq.sh bm.host=192.168.1.1 bm.mq=1 \
			bm.phases=1,q1,q$PAIRS bm.bytes=$BYTES bm.mqbytes=$MQBYTES \
			bm.flows=$FLOWS bm.udp=$UDP bm.rounds=$ROUNDS \
			</dev/null >$out 2>&1 &
		;;
	mvt)
		eval "run_$g='nsenter -t $NS -n' guest_$g=10.9.0.2 phases_$g=1"
		$LGUEST --net-backend=vring 64m $KERNEL --initrd=$INITRD \
			--tunnet=macvtap:bmlow lguest.ip=10.9.0.2/24 \
			lguest.run=/test/guest-benchmq.sh bm.host=$PEER \
			bm.phases=1 bm.bytes=$BYTES bm.udp=$UDP bm.rounds=$ROUNDS \
			</dev/null >$out 2>&1 &
		;;
	esac
	eval "pid_$g=$! alive_$g=1"
}

# listening G: until guest G listens for round 1; false at once if its
# launcher has ended, or after 300 s.
listening() {
	eval "pid=\$pid_$1"
	tries=1500
	while ! grep -q 'benchmq: 1 1 listening tcp' $T/$1.out 2>/dev/null; do
		tries=$((tries - 1))
		[ $tries -gt 0 ] && kill -0 $pid 2>/dev/null || return 1
		sleep 0.2
	done
}

# boot G: start guest G and wait until it listens.
boot() {
	g=$1
	out=$T/$g.out
	launch $g
	listening $g || {
		not_ok "$g: the guest boots and its network comes up"
		show_tail $out 40
		stop $g
		return 1
	}
	dev=$(sed -n 's/^lguest: network: [a-z]* \([^ ]*\) .*/\1/p' $out | head -1)
	eval "dev_$g=$dev"
	echo "# $g: $(grep '^lguest: network:' $out | tr -d '\r')"
}

# pps_sum COUNT: the sum of "... P pps" over COUNT lines, if every line
# has one above zero.
pps_sum() {
	awk '{ for (i = 2; i <= NF; i++) if ($i == "pps" && $(i - 1) > 0) { p += $(i - 1); good++ } }
	     END { if (good == '"$1"') printf "%.0f", p }'
}

# phase G R P: phase P of round R on guest G.
phase() {
	g=$1 r=$2 p=$3
	eval "out=\$T/$g.out guest=\$guest_$g run=\$run_$g"
	key=$g-$p
	case $p in
	1) count=1 size=$BYTES ;;
	*) count=$FLOWS size=$MQBYTES ;;
	esac
	log=$T/$g-$r-$p
	why=

	if ! wait_for_line "benchmq: $r $p listening tcp" 120 $out; then
		not_ok "$g round $r $p: the guest is ready for it"
		show_tail $out 20
		stop $g
		return
	fi
	if [ $g = tap ]; then
		pairs=1
		[ $p = 1 ] || pairs=${p#q}
		grep -q "^benchmq: $r $p queues eth0: combined $pairs of $PAIRS" $out ||
			why="$why the guest did not switch to $pairs pairs ($(sed -n "s/^benchmq: $r $p queues //p" $out | tr -d '\r'));"
	fi

	# TCP, host to guest then guest to host; our receivers are up first.
	log=$T/$g-$r-$p.tcp-recv
	start_flows $count $run timeout 300 netxfer recv 520@
	recv_pids=$flow_pids
	log=$T/$g-$r-$p.tcp-send
	start_flows $count $run timeout 300 netxfer send $guest 510@ -n $size -s $((r * 100))@
	wait_flows $flow_pids
	wait_flows $recv_pids
	wait_for_line "benchmq: $r $p tcp-out $((count - 1)) " 60 $out

	# The seeds: ours are r*100 followed by the flow's digit (r*1000+i),
	# the guest's r*100+i.
	good_in=0 good_out=0
	i=0
	while [ $i -lt $count ]; do
		sent=$(field $T/$g-$r-$p.tcp-send.$i sent md5)
		got=$(field $out "benchmq: $r $p tcp-in $i " md5)
		[ -n "$sent" ] && [ "$sent" = "$got" ] &&
			[ "$(field $out "benchmq: $r $p tcp-in $i " received)" = $size ] &&
			good_in=$((good_in + 1))
		sent=$(field $out "benchmq: $r $p tcp-out $i " md5)
		got=$(field $T/$g-$r-$p.tcp-recv.$i received md5)
		[ -n "$sent" ] && [ "$sent" = "$got" ] &&
			[ "$(field $T/$g-$r-$p.tcp-recv.$i '' received)" = $size ] &&
			good_out=$((good_out + 1))
		i=$((i + 1))
	done
	if [ $good_in -eq $count ]; then
		record $key tcp-in "$(tr -d '\r' <$out | sed -n "s/^benchmq: $r $p tcp-in [0-9]* //p" | tcp_rate $count)"
	else
		why="$why host->guest TCP: $good_in of $count flows of $size bytes arrived with the same md5;"
	fi
	if [ $good_out -eq $count ]; then
		record $key tcp-out "$(cat $T/$g-$r-$p.tcp-recv.* | tcp_rate $count)"
	else
		why="$why guest->host TCP: $good_out of $count flows of $size bytes arrived with the same md5;"
	fi

	# UDP, host to guest then guest to host.  Our receivers wait up to
	# 30 s for the guest's first datagram, which comes $UDP s after our
	# senders start.
	log=$T/$g-$r-$p.udp-recv
	start_flows $count $run udpblast recv 540@ $UDP
	recv_pids=$flow_pids
	if ! wait_for_line "benchmq: $r $p listening udp" 60 $out; then
		kill $recv_pids 2>/dev/null
		wait_flows $recv_pids
		not_ok "$g round $r $p: the guest reaches the UDP phase ($why)"
		show_tail $out 20
		stop $g
		return
	fi
	log=$T/$g-$r-$p.udp-send
	start_flows $count $run udpblast send $guest 530@ $UDP
	wait_flows $flow_pids
	wait_flows $recv_pids
	wait_for_line "benchmq: $r $p udp-out $((count - 1)) " 60 $out

	v=$(tr -d '\r' <$out | sed -n "s/^benchmq: $r $p udp-in [0-9]* //p" | grep '^received' | pps_sum $count)
	if [ -n "$v" ]; then
		record $key udp-in "$v"
		record $key udp-offered "$(cat $T/$g-$r-$p.udp-send.* | grep '^sent' | pps_sum $count)"
	else
		why="$why host->guest UDP: a receiver got nothing ($(sed -n "s/^benchmq: $r $p udp-in //p" $out | tr -d '\r' | tr '\n' ' '));"
	fi
	v=$(cat $T/$g-$r-$p.udp-recv.* | grep '^received' | pps_sum $count)
	if [ -n "$v" ]; then
		record $key udp-out "$v"
	else
		why="$why guest->host UDP: a receiver got nothing ($(sed -n "s/^benchmq: $r $p udp-out //p" $out | tr -d '\r' | tr '\n' ' '));"
	fi

	if [ -z "$why" ]; then
		ok "$g round $r $p: $count TCP flow(s) of $size bytes each way with the same md5s, 64-byte UDP both ways"
	else
		not_ok "$g round $r $p:$why"
		grep "benchmq: $r $p " $out | showin 12
	fi
}

# finish G: the guest ends by itself with status 0 and takes its device.
finish() {
	g=$1
	eval "alive=\$alive_$g pid=\$pid_$g dev=\$dev_$g"
	[ "$alive" = 1 ] || return
	out=$T/$g.out
	wait_for_line 'benchmq: done' 120 $out
	wait $pid
	status=$?
	sleep 1
	if [ $status -eq 0 ] && [ -n "$dev" ] && [ ! -e /sys/class/net/$dev ]; then
		ok "$g: the guest powers off, the launcher exits 0, $dev is gone"
	else
		not_ok "$g: the guest powers off, the launcher exits 0 (got $status), $dev is gone"
		show_tail $out 30
	fi
	warnings=$(grep -E 'WARNING:|BUG:|Oops|Kernel panic|device needs reset|lguest-reaper:' $out | head -3)
	[ -z "$warnings" ] || { not_ok "$g: warnings"; echo "$warnings" | sed 's/^/#   /'; }
}

# row LABEL METRIC KEY-A KEY-B: one table line, A, B and B/A.
row() {
	a=$(median $3 $2) b=$(median $4 $2)
	printf '# %-30s %10s %10s %10s\n' "$1" "$a" "$b" "$(ratio "$a" "$b")"
}

# xratio METRIC KEY-A KEY-B: B/A of the medians.
xratio() {
	ratio "$(median $2 $1)" "$(median $3 $1)"
}

# pair METRIC KEY-A KEY-B: "A/B" of the medians.
pair() {
	echo "$(median $2 $1)/$(median $3 $1)"
}

table() {
	echo "# bench-netmq on lguest (lg.ko), vring backend: medians of $ROUNDS rounds, ${UDP} s of 64-byte UDP per direction"
	echo "# (a) one flow, $((BYTES >> 20)) MiB TCP each way"
	printf '# %-30s %10s %10s %10s\n' "" tap macvtap macvtap/tap
	row "TCP host->guest MB/s" tcp-in tap-1 mvt-1
	row "TCP guest->host MB/s" tcp-out tap-1 mvt-1
	row "UDP 64B host->guest pps" udp-in tap-1 mvt-1
	row "  (host sent pps)" udp-offered tap-1 mvt-1
	row "UDP 64B guest->host pps" udp-out tap-1 mvt-1
	echo "# (b) tap, $FLOWS flows at once, $((MQBYTES >> 20)) MiB TCP each, $FLOWS UDP senders"
	printf '# %-30s %10s %10s %10s\n' "" "1 pair" "$PAIRS pairs" "$PAIRS/1"
	row "TCP host->guest MB/s" tcp-in tap-q1 tap-q$PAIRS
	row "TCP guest->host MB/s" tcp-out tap-q1 tap-q$PAIRS
	row "UDP 64B host->guest pps" udp-in tap-q1 tap-q$PAIRS
	row "  (host sent pps)" udp-offered tap-q1 tap-q$PAIRS
	row "UDP 64B guest->host pps" udp-out tap-q1 tap-q$PAIRS

	k=tap-1 m=mvt-1
	echo "bench: net tap/macvtap lguest vring tcp host->guest $(pair tcp-in $k $m) MB/s guest->host $(pair tcp-out $k $m) MB/s udp64 host->guest $(pair udp-in $k $m) pps guest->host $(pair udp-out $k $m) pps"
	echo "bench: net tap/macvtap ratio macvtap/tap tcp host->guest $(xratio tcp-in $k $m) guest->host $(xratio tcp-out $k $m) udp64 host->guest $(xratio udp-in $k $m) guest->host $(xratio udp-out $k $m)"
	k=tap-q$PAIRS m=tap-q1
	echo "bench: net queues $PAIRS/1 lguest vring tap $FLOWS flows tcp host->guest $(pair tcp-in $k $m) MB/s guest->host $(pair tcp-out $k $m) MB/s udp64 host->guest $(pair udp-in $k $m) pps guest->host $(pair udp-out $k $m) pps"
	echo "bench: net queues $PAIRS/1 ratio tcp host->guest $(xratio tcp-in $m $k) guest->host $(xratio tcp-out $m $k) udp64 host->guest $(xratio udp-in $m $k) guest->host $(xratio udp-out $m $k)"
}

# One boot at a time (see bench-net: two guests booting at once in this
# nested machine sometimes fail); once up they wait in netxfer.
boot tap
[ -n "$NS" ] && boot mvt
r=1
while [ $r -le $ROUNDS ]; do
	guests="tap mvt"
	[ $((r % 2)) -eq 0 ] && guests="mvt tap"
	for g in $guests; do
		eval "alive=\$alive_$g phases=\$phases_$g"
		[ "$alive" = 1 ] || continue
		[ $((r % 2)) -eq 0 ] && phases=$(echo $phases | awk '{ for (i = NF; i > 0; i--) printf "%s ", $i }')
		for p in $phases; do
			eval "alive=\$alive_$g"
			[ "$alive" = 1 ] && phase $g $r $p
		done
	done
	r=$((r + 1))
done
finish tap
finish mvt

# Where the tap guest's packets went, over all its phases: the launcher's
# per-pair counters (-v) and the guest driver's.
grep '^lguest: virtio-net queue pair' $T/tap.out | showin 8
tr -d '\r' <$T/tap.out | sed -n 's/^benchmq: stat \(.x_queue_[0-9]*_packets\)/\1/p' |
	tr '\n' ' ' | sed 's/^/# tap guest driver: /;s/$/\n/'

table
[ -n "$NS" ] && { kill $NS; wait $NS; } 2>/dev/null
exit 0
