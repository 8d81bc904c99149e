# SPDX-License-Identifier: GPL-2.0
# lguest-timeout: 1200
#
# bench-netsmp: the guest's TCP throughput with one CPU and one queue pair
# (--cpus=1 --queues=1) against two CPUs and two pairs (--cpus=2
# --queues=2), on the copy and the vring backend, on each hypervisor that
# runs two CPUs, in the test host VM, side by side in one run.
#
# Per hypervisor, four guests run at once, one per backend and shape,
# each on a tap of its own (192.168.21-24.1), each running
# bench/guest-benchmq.sh with bm.udp=0 (TCP only): $FLOWS TCP flows of
# $FLOWBYTES at once each way (netxfer on ports 5100+i / 5200+i), the
# same flows for both shapes, so that two pairs can carry them apart.
# The two-CPU guests switch to both pairs themselves (setqueues: a Linux
# guest starts with as many pairs as CPUs anyway, this makes it sure and
# says so); their launchers' -v counters show what each pair carried.
#
# $ROUNDS rounds; the guests take turns in the order
# "copy/1 copy/2 vring/1 vring/2", backwards in even rounds, so that
# whatever else the (noisy, TCG) machine does falls on every column alike;
# only one guest moves packets at a time, the others wait in netxfer.
# A round's MB/s is the receiving end's bytes over the slowest flow's
# time (the flows start together).  The table shows the medians, the
# ratio 2/1 and each column's spread over the rounds ((max - min) /
# median).  A hypervisor that refuses --cpus=2 (lg.ko before it has local
# APICs) is skipped with a line saying so, before its one-CPU guests
# boot.  Speed is reported, never asserted; a transfer that fails (md5
# mismatch, short count) or a pair switch that does not happen is a
# "not ok".  Run by /init with busybox ash.

# lib-net.sh: the TAP helpers (lib.sh), wait_for_line (lib.sh) and field;
# lib-bench.sh: the medians, spread, ratio, showin and the flow helpers.
. /suites/lib-net.sh
. /suites/lib-bench.sh
T=/tmp/bench-netsmp
FLOWS=2
FLOWBYTES=2097152
# VM_APPEND=bench.rounds=N bench.hvs=kvm: a shorter run, for a quick look.
ROUNDS=$(param bench.rounds)
ROUNDS=${ROUNDS:-3}
HVS=$(param bench.hvs | tr ',' ' ')
HVS=${HVS:-lguest kvm}
BACKENDS="copy vring"
# The guests in their turn order: backend and CPUs (= queue pairs).
GUESTS="copy_1 copy_2 vring_1 vring_2"
# What the guest script says comes as "benchmq: ..." (probe, lib.sh).
SAY_AS=benchmq
mkdir -p $T

hv_name() { case $1 in lguest) echo lg.ko ;; kvm) echo KVM ;; esac; }

# --- setup ---------------------------------------------------------------------

modprobe tun 2>$T/modprobe.err
modprobe kvm_amd 2>>$T/modprobe.err
insmod /lib/lguest/vringfd.ko 2>>$T/modprobe.err
insmod /lib/lguest/lg.ko 2>>$T/modprobe.err
insmod /lib/lguest/tun_vring.ko 2>>$T/modprobe.err
if [ -c /dev/net/tun ] && [ -c /dev/vring ] && [ -c /dev/tun_vring ] &&
   { [ -c /dev/kvm ] || [ -c /dev/lguest ]; }; then
	ok "bench-netsmp: tun, vringfd.ko, tun_vring.ko and a hypervisor (kvm_amd or lg.ko) load"
else
	not_ok "bench-netsmp: tun, vringfd.ko, tun_vring.ko and a hypervisor (kvm_amd or lg.ko) load"
	show_tail $T/modprobe.err 5
	exit 0
fi

# --- the guests --------------------------------------------------------------------

# boot HV G NET: start guest G (backend_cpus) on HV, host 192.168.NET.1,
# and wait until it listens for round 1.  2 if HV refuses G's CPUs.
boot() {
	hv=$1 g=$2 net=$3
	b=${g%_*} c=${g#*_}
	out=$T/$hv-$g.out
	mq=
	[ $c -gt 1 ] && mq=bm.mq=1
	$LGUEST -v --hv=$hv --net-backend=$b --cpus=$c --queues=$c 64m $KERNEL \
		--initrd=$INITRD --tunnet=192.168.$net.1 \
		lguest.run=/test/guest-benchmq.sh bm.host=192.168.$net.1 $mq \
		bm.phases=q$c bm.mqbytes=$FLOWBYTES bm.flows=$FLOWS bm.udp=0 \
		bm.rounds=$ROUNDS </dev/null >$out 2>&1 &
	eval "pid_$g=$! alive_$g=1 guest_$g=192.168.$net.2"
	pid=$!
	tries=1500
	while ! grep -q "benchmq: 1 q$c listening tcp" $out 2>/dev/null; do
		tries=$((tries - 1))
		if [ $tries -gt 0 ] && kill -0 $pid 2>/dev/null; then
			sleep 0.2
			continue
		fi
		stop $g
		# lg.ko without SMP says "lguest: --cpus=2: ..." and starts nothing.
		if grep -q "^lguest: --cpus=$c:" $out; then
			echo "# $(hv_name $hv): --cpus=$c not supported by this build ($(grep -m1 "^lguest: --cpus=$c:" $out | tr -d '\r'))"
			return 2
		fi
		not_ok "$hv $b --cpus=$c --queues=$c: the guest boots and its network comes up"
		show_tail $out 40
		return 1
	done
	dev=$(sed -n 's/^lguest: network: [a-z]* \([^ ]*\) .*/\1/p' $out | head -1)
	eval "dev_$g=$dev"
	echo "# $hv $g: $(grep '^lguest: network:' $out | tr -d '\r')"
	# A CPU that did not come up would make the comparison a lie.
	online=0
	[ $c -gt 1 ] && online=0-$((c - 1))
	cpus=$(probe $hv-$g cpus)
	if [ "$cpus" != "$c online $online" ]; then
		not_ok "$hv $b --cpus=$c: the guest has $c CPUs online (it says '$cpus')"
		grep -iE 'smp|cpu ?1|apic|mp table' $out | showin 20
		stop $g
		return 1
	fi
}

# phase HV G R: round R on guest G: $FLOWS TCP flows each way.
phase() {
	hv=$1 g=$2 r=$3
	c=${g#*_}
	p=q$c
	eval "out=\$T/$hv-\$g.out guest=\$guest_$g"
	log=$T/$hv-$g-$r
	why=

	if ! wait_for_line "benchmq: $r $p listening tcp" 120 $out; then
		not_ok "$hv $g round $r: the guest is ready for it"
		show_tail $out 20
		stop $g
		return
	fi
	if [ $c -gt 1 ]; then
		grep -q "^benchmq: $r $p queues eth0: combined $c of $c" $out ||
			why="$why the guest did not switch to $c pairs ($(sed -n "s/^benchmq: $r $p queues //p" $out | tr -d '\r'));"
	fi

	# Host to guest, then guest to host; our receivers are up first.
	log=$T/$hv-$g-$r.recv
	start_flows $FLOWS timeout 300 netxfer recv 520@
	recv_pids=$flow_pids
	log=$T/$hv-$g-$r.send
	start_flows $FLOWS timeout 300 netxfer send $guest 510@ -n $FLOWBYTES -s $((r * 100))@
	wait_flows $flow_pids
	wait_flows $recv_pids
	wait_for_line "benchmq: $r $p tcp-out $((FLOWS - 1)) " 60 $out

	good_in=0 good_out=0 rate_in=- rate_out=-
	i=0
	while [ $i -lt $FLOWS ]; do
		sent=$(field $T/$hv-$g-$r.send.$i sent md5)
		got=$(field $out "benchmq: $r $p tcp-in $i " md5)
		[ -n "$sent" ] && [ "$sent" = "$got" ] &&
			[ "$(field $out "benchmq: $r $p tcp-in $i " received)" = $FLOWBYTES ] &&
			good_in=$((good_in + 1))
		sent=$(field $out "benchmq: $r $p tcp-out $i " md5)
		got=$(field $T/$hv-$g-$r.recv.$i received md5)
		[ -n "$sent" ] && [ "$sent" = "$got" ] &&
			[ "$(field $T/$hv-$g-$r.recv.$i '' received)" = $FLOWBYTES ] &&
			good_out=$((good_out + 1))
		i=$((i + 1))
	done
	if [ $good_in -eq $FLOWS ]; then
		rate_in=$(tr -d '\r' <$out | sed -n "s/^benchmq: $r $p tcp-in [0-9]* //p" | tcp_rate $FLOWS)
		record $hv-$g tcp-in "$rate_in"
	else
		why="$why host->guest: $good_in of $FLOWS flows of $FLOWBYTES bytes arrived with the same md5;"
	fi
	if [ $good_out -eq $FLOWS ]; then
		rate_out=$(cat $T/$hv-$g-$r.recv.* | tcp_rate $FLOWS)
		record $hv-$g tcp-out "$rate_out"
	else
		why="$why guest->host: $good_out of $FLOWS flows of $FLOWBYTES bytes arrived with the same md5;"
	fi

	if [ -z "$why" ]; then
		# This round's rates, so that a wide spread shows where it came from.
		ok "$hv $g round $r: --cpus=$c --queues=$c, $FLOWS TCP flows of $FLOWBYTES bytes each way with the same md5s ($rate_in MB/s in, $rate_out out)"
	else
		not_ok "$hv $g round $r:$why"
		grep "benchmq: $r $p " $out | showin 12
	fi
}

# finish HV G: the guest ends by itself with status 0 and takes its tap.
finish() {
	hv=$1 g=$2
	eval "alive=\$alive_$g pid=\$pid_$g dev=\$dev_$g"
	[ "$alive" = 1 ] || return
	out=$T/$hv-$g.out
	wait_for_line 'benchmq: done' 120 $out
	wait $pid
	status=$?
	eval "alive_$g=0"
	sleep 1
	if [ $status -eq 0 ] && [ -n "$dev" ] && [ ! -e /sys/class/net/$dev ]; then
		ok "$hv $g: the guest powers off, the launcher exits 0, $dev is gone"
	else
		not_ok "$hv $g: the guest powers off, the launcher exits 0 (got $status), $dev is gone"
		show_tail $out 30
	fi
	warnings=$(grep -E 'WARNING:|BUG:|Oops|Kernel panic|device needs reset|lguest-reaper:' $out | head -3)
	[ -z "$warnings" ] || { not_ok "$hv $g: warnings"; echo "$warnings" | sed 's/^/#   /'; }
	# What each pair carried (the launcher's -v counters at its end).
	[ "${g#*_}" -gt 1 ] && grep '^lguest: virtio-net queue pair' $out | sed "s/^/$hv $g: /" | showin 4
}

# table HV: the medians, as "# " lines and "bench:" lines.
table() {
	hv=$1
	echo "# bench-netsmp on $hv: medians of $ROUNDS rounds, $FLOWS TCP flows of $((FLOWBYTES >> 20)) MiB at once each way;"
	echo "# spread = (max - min) / median over the rounds"
	printf '# %-26s %11s %11s %8s %11s\n' "" "cpus=1 q=1" "cpus=2 q=2" "2/1" "spread 1/2"
	for b in $BACKENDS; do
		for m in tcp-in:"TCP host->guest MB/s" tcp-out:"TCP guest->host MB/s"; do
			key=${m%%:*} label=${m#*:}
			one=$(median $hv-${b}_1 $key) two=$(median $hv-${b}_2 $key)
			printf '# %-26s %11s %11s %8s %11s\n' "$b $label" "$one" "$two" \
				"$(ratio "$one" "$two")" \
				"$(spread $hv-${b}_1 $key)/$(spread $hv-${b}_2 $key)"
		done
	done
	for b in $BACKENDS; do
		k1=$hv-${b}_1 k2=$hv-${b}_2
		echo "bench: net cpus+queues 2/1 $hv $b $FLOWS flows tcp host->guest $(median $k2 tcp-in)/$(median $k1 tcp-in) MB/s guest->host $(median $k2 tcp-out)/$(median $k1 tcp-out) MB/s ratio $(ratio "$(median $k1 tcp-in)" "$(median $k2 tcp-in)") $(ratio "$(median $k1 tcp-out)" "$(median $k2 tcp-out)")"
	done
}

# bench HV: the four guests, $ROUNDS interleaved rounds, the table.
bench() {
	hv=$1
	# One boot at a time (two guests booting at once in this nested
	# machine sometimes fail, bench-net says); the two-CPU ones first, so
	# that a hypervisor that refuses them costs no boot.
	boot $hv copy_2 22
	case $? in
	2)
		echo "bench: net cpus+queues $(hv_name $hv): --cpus=2 not supported by this build"
		skip "$hv: --cpus=2 --queues=2 against --cpus=1 --queues=1" \
			"$(hv_name $hv): --cpus=2 not supported by this build"
		return
		;;
	esac
	boot $hv vring_2 24
	boot $hv copy_1 21
	boot $hv vring_1 23
	r=1
	while [ $r -le $ROUNDS ]; do
		order=$GUESTS
		[ $((r % 2)) -eq 0 ] && order=$(echo $GUESTS | awk '{ for (i = NF; i > 0; i--) printf "%s ", $i }')
		for g in $order; do
			eval "alive=\$alive_$g"
			[ "$alive" = 1 ] && phase $hv $g $r
		done
		r=$((r + 1))
	done
	for g in $GUESTS; do
		finish $hv $g
	done
	table $hv
}

for hv in $HVS; do
	if [ -c /dev/$hv ]; then
		bench $hv
	else
		skip "$hv: --cpus=2 --queues=2 against --cpus=1 --queues=1" "/dev/$hv is missing"
	fi
done
exit 0
