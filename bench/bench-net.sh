# SPDX-License-Identifier: GPL-2.0
# lguest-timeout: 4500
#
# bench-net: the guest's network on --tunnet, the copy, vring and vhost
# (Linux's vhost-net) backends side by side, in the test host VM, on
# lg.ko and then on KVM.
#
# Per hypervisor, six guests run side by side: one on the copy backend
# (--tunnet=192.168.1.1, guest .2), one on the vring backend
# (--tunnet=192.168.2.1), one on the vhost backend (192.168.3.1), the
# copy and vring backends again on guests with --apic (192.168.4.1 and
# 5.1; their columns are copy+apic and vring+apic), and the vring
# backend with busy-polling (192.168.6.1, vring+poll), each running
# bench/guest-netbench.sh.  The suite then takes $ROUNDS
# rounds, rotating which backend goes first, so that whatever else the
# (noisy, 2-vCPU, TCG) machine does falls on all alike; only one guest
# moves packets at a time, the others wait in netxfer.  One round of one guest measures, one after the other:
#   - TCP host->guest: $BYTES bytes, netxfer send here, recv in the guest;
#   - TCP guest->host: $BYTES bytes the other way;
#   - UDP 64-byte datagrams host->guest for $UDP s, as many as udpblast
#     can send: the rate the guest received them at (and the rate we
#     sent at, the load it was offered);
#   - UDP 64-byte datagrams guest->host for $UDP s: the rate we received;
# and before them, the ping round trip timed here (10 pings).
# MB/s and pps are the receiving end's.  Around each phase we read the
# guest's exit counter (lg.ko's "exits", which the launcher prints at
# kill -USR1; KVM's debugfs "exits", through vmexits) and the tap's rx+tx
# packet counters, so "exits/packet" is that phase's exits over that
# phase's packets through the tap (ACKs included for TCP; a TSO/GSO frame
# counts once), not the guest's whole life; "to launcher/packet" counts
# only the exits that went out to the launcher (vmexits' "user").  The
# TCP phases are also put per MiB moved, the measure that does not wobble
# with the machine's speed as MB/s does: frames through the tap, guest
# exits, and the CPU time the whole test VM spent (every CPU's user,
# system, irq and softirq time from /proc/stat, in ms: the launcher, the
# kernel's ring workers, the tap and the stack at our end), and the
# interrupts the hypervisor injected into the guest (lg.ko's "irqs",
# KVM's irq_injections).  Each row's median is taken on its own, and
# shown with its spread.  A last round counts the launcher's system calls
# per MiB (trace_start below).
#
# The numbers are the medians over the rounds: a "# " table per
# hypervisor, one "bench: net ..." line per number, and the 64-byte pps
# ratios vring/copy and vring/vhost each way.  Speed is reported, never asserted; but a
# transfer that fails (md5 mismatch, short count, no packets) is a
# "not ok", so a broken backend shows.  Run by /init with busybox ash.

# lib-net.sh: the TAP helpers (lib.sh), wait_for_line (lib.sh) and field.
. /suites/lib-net.sh
. /suites/lib-bench.sh
T=/tmp/bench-net
BYTES=33554432
UDP=5
ROUNDS=5
# copyapic and vringapic: the copy and vring backends again, on a guest
# given --apic (L:196), whose interrupts go through a local APIC instead
# of the 8259: what that is worth in exits per MiB.  vringpoll: the vring
# backend with --net-busy-poll=$BUSY_POLL (tun_vring's N:125).
BACKENDS="copy vring vhost copyapic vringapic vringpoll"
BUSY_POLL=50
mkdir -p $T
# A launcher's last lines, where it says why it ended.

tap_packets() {
	echo $(($(cat /sys/class/net/$1/statistics/rx_packets 2>/dev/null || echo 0) +
		$(cat /sys/class/net/$1/statistics/tx_packets 2>/dev/null || echo 0)))
}

# busy_ticks: the CPU time every CPU of this VM has spent working, in
# USER_HZ ticks (1/100 s).
busy_ticks() {
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8; exit }' /proc/stat
}

# lg_counters OUT PID: the lg.ko counters of the launcher PID right now,
# one "name=value" a line.  lg.ko answers its ioctls only to the guest's
# own process, so nobody else can read them (KVM has its debugfs for
# that); kill -USR1 makes the launcher print them to its output OUT
# (the launcher's L:435), and we take the line it adds.  OUT is the
# launcher's stderr alone: what kill -USR1 prints comes at any moment,
# and in one file with the guest's console it cut the guest's lines (a
# round lost its md5s so).
lg_counters() {
	before=$(grep -c '^lguest: lg.ko:' $1)
	kill -USR1 $2
	tries=100
	while [ "$(grep -c '^lguest: lg.ko:' $1)" -le "$before" ] && [ $tries -gt 0 ]; do
		sleep 0.05
		tries=$((tries - 1))
	done
	grep '^lguest: lg.ko:' $1 | tail -1 | tr -d '\r' | tr ' ' '\n'
}

# snap B TAG: "PACKETS EXITS USER-EXITS BUSY-TICKS IRQS" of backend B's
# guest right now (IRQS: interrupts the hypervisor injected into it); and
# every counter the hypervisor has, "name=value" a line, in $T/snap-B-TAG
# (exits by reason, for reasons_per_mib).
snap() {
	[ $r -gt $ROUNDS ] && { echo "0 0 0 0 0"; return; }
	eval "pid=\$pid_$1 tap=\$tap_$1"
	if [ "$hv" = lguest ]; then
		lg_counters $T/$hv-$1.out.err $pid >$T/counters.out
		cp $T/counters.out $T/snap-$1-$2
		exits=$(sed -n 's/^exits=//p' $T/counters.out)
		user=$(($(sed -n 's/^io-user=//p' $T/counters.out) + $(sed -n 's/^mmio-user=//p' $T/counters.out)))
		irqs=$(sed -n 's/^irqs=//p' $T/counters.out)
	else
		vmexits $pid >$T/vmexits.out 2>&1
		tr ' ' '\n' <$T/vmexits.out | grep = >$T/snap-$1-$2
		exits=$(tr ' ' '\n' <$T/vmexits.out | sed -n 's/^exits=//p')
		user=$(tr ' ' '\n' <$T/vmexits.out | sed -n 's/^user=//p')
		irqs=$(tr ' ' '\n' <$T/vmexits.out | sed -n 's/^irqs=//p')
	fi
	echo "$(tap_packets $tap) ${exits:-0} ${user:-0} $(busy_ticks) ${irqs:-0}"
}

# per A B COLUMN: exits (COLUMN 2) or exits to the launcher (3) per packet
# between two snapshots.
per() {
	echo "$1 $2" | awk -v c=$3 '{ w = NF / 2; p = $(w + 1) - $1
		printf "%.2f", (p > 0 ? ($(c + w) - $c) / p : -1) }'
}

# per_mib A B COLUMN SCALE: COLUMN's growth between two snapshots per MiB
# of $BYTES, times SCALE.
per_mib() {
	echo "$1 $2" | awk -v c=$3 -v k=$4 -v mib=$((BYTES >> 20)) \
		'{ printf "%.1f", ($(c + NF / 2) - $c) * k / mib }'
}

# reasons_per_mib HV B PHASE TAG0 TAG1: every counter's growth between two
# snapshots, per MiB of $BYTES, recorded as "why-PHASE-NAME".
reasons_per_mib() {
	awk -F= -v mib=$((BYTES >> 20)) 'NR == FNR { a[$1] = $2; next }
		($1 in a) { printf "why-%s %.1f\n", $1, ($2 - a[$1]) / mib }' \
		$T/snap-$2-$4 $T/snap-$2-$5 2>/dev/null |
	while read -r name value; do
		record $1-$2 "$(echo $name | sed "s/^why-/why-$3-/")" "$value"
	done
}

# record_per HV B PHASE A B: both exits per packet of PHASE; for TCP, also
# frames, exits and VM CPU milliseconds per MiB.
record_per() {
	record $1-$2 x-$3 "$(per "$4" "$5" 2)"
	record $1-$2 u-$3 "$(per "$4" "$5" 3)"
	case $3 in
	tcp-*)
		record $1-$2 f-$3 "$(per_mib "$4" "$5" 1 1)"
		record $1-$2 m-$3 "$(per_mib "$4" "$5" 2 1)"
		record $1-$2 c-$3 "$(per_mib "$4" "$5" 4 10)"
		record $1-$2 i-$3 "$(per_mib "$4" "$5" 5 1)"
		;;
	esac
}

# --- setup ---------------------------------------------------------------------

modprobe tun 2>$T/modprobe.err
modprobe kvm_amd 2>>$T/modprobe.err
insmod /lib/lguest/vringfd.ko 2>>$T/modprobe.err
insmod /lib/lguest/lg.ko 2>>$T/modprobe.err
insmod /lib/lguest/tun_vring.ko 2>>$T/modprobe.err
modprobe vhost_net 2>>$T/modprobe.err
if [ -c /dev/net/tun ] && [ -c /dev/kvm ] && [ -c /dev/vring ] &&
   [ -c /dev/lguest ] && [ -c /dev/tun_vring ] && [ -c /dev/vhost-net ]; then
	ok "bench-net: tun, kvm_amd, vringfd.ko, lg.ko, tun_vring.ko and vhost_net load"
else
	not_ok "bench-net: tun, kvm_amd, vringfd.ko, lg.ko, tun_vring.ko and vhost_net load"
	show_tail $T/modprobe.err 5
	exit 0
fi

# --- one guest per backend ---------------------------------------------------------

# col_name B: the column's name ("vring+apic" for vringapic).
col_name() { echo "$1" | sed 's/apic$/+apic/; s/poll$/+poll/'; }

# boot HV B NET: start backend B's guest on HV, host address 192.168.NET.1.
boot() {
	hv=$1 b=$2
	out=$T/$hv-$b.out
	rm -f $T/$hv-$b.results
	case $b in
	*apic) flags="--net-backend=${b%apic} --apic" ;;
	*poll) flags="--net-backend=${b%poll} --net-busy-poll=$BUSY_POLL" ;;
	*) flags=--net-backend=$b ;;
	esac
	$LGUEST -v --hv=$hv $flags 64m $KERNEL --initrd=$INITRD \
		--tunnet=192.168.$3.1 lguest.run=/test/guest-netbench.sh \
		bench.host=192.168.$3.1 bench.bytes=$BYTES bench.udp=$UDP \
		bench.rounds=$((ROUNDS + 1)) </dev/null >$out 2>$out.err &
	eval "pid_$b=$! guest_$b=192.168.$3.2 alive_$b=1"
}

# started HV B: the guest came up on its tap, or it is dead.
started() {
	hv=$1 b=$2
	out=$T/$hv-$b.out
	if wait_for_line 'netbench: 1 listening tcp' 300 $out; then
		tap=$(sed -n 's/^lguest: network: tap \([^ ]*\) .*/\1/p' $out.err | head -1)
		eval "tap_$b=$tap"
		echo "# $hv $b: $(grep '^lguest: network:' $out.err)"
		# -v's word on the interrupt controllers the guest got.
		echo "# $hv $b: $(grep -E '^lguest: (lg.ko guest|kvm: VM) with' $out.err)"
		return 0
	fi
	not_ok "$hv $b: the guest boots and its network comes up"
	show_tail $out 40
	show_tail $out.err 10
	stop $b
	return 1
}

# The launcher's system calls per MiB, in a round of their own after the
# measured ones (round ROUNDS + 1): syscount (tests/net/vm/syscount.c)
# follows every launcher thread with ptrace, which slows each system call
# enough to spoil any rate taken at the same time, so that round records
# nothing else (and takes no snapshot: lg.ko's is the launcher's own
# writes).  It spans both TCP transfers, which follow each other with no
# pause: calls per MiB moved, the two directions together.
# trace_start B: follow backend B's launcher if this is that round;
# trace_stop HV B KEY: stop, and record KEY.
trace_start() {
	trace_pid=
	[ $r -gt $ROUNDS ] || return
	eval "syscount \$pid_$1 >$log.sys 2>&1 &"
	trace_pid=$!
	# syscount says nothing until the end; give it time to seize every
	# thread before the measured transfer starts.
	sleep 1
}

trace_stop() {
	[ -n "$trace_pid" ] || return
	kill -INT $trace_pid
	wait $trace_pid
	calls=$(sed -n 's/^syscalls //p' $log.sys | head -1)
	[ -n "$calls" ] && record $1-$2 $3 "$(awk -v c=$calls -v mib=$((BYTES >> 19)) 'BEGIN { printf "%.1f", c / mib }')"
	cp $log.sys $log.$3.sys
	trace_pid=
}

# round HV B R: round R on backend B's guest.
round() {
	hv=$1 b=$2 r=$3
	out=$T/$hv-$b.out
	eval "guest=\$guest_$b"
	log=$T/$hv-$b-$r
	why=

	# TCP, host to guest, then guest to host (our receiver is up first).
	if ! wait_for_line "netbench: $r listening tcp" 120 $out; then
		not_ok "$hv $b round $r: the guest is ready for it"
		show_tail $out 20
		stop $b
		return
	fi
	# Ping round trip, timed here (the guest's clock ticks at 4 ms
	# under nested emulation): the guest kernel answers while its
	# benchmark script waits.
	if [ $r -le $ROUNDS ]; then
		ping -c 10 -i 0.2 -W 2 $guest >$log.ping 2>&1
		record $hv-$b rtt "$(sed -n 's|.*min/avg/max = [0-9.]*/\([0-9.]*\)/.*|\1|p' $log.ping)"
	fi
	netxfer recv 5002 >$log.tcp-recv 2>&1 &
	recv_pid=$!
	trace_start $b
	s0=$(snap $b 0)
	netxfer send $guest 5001 -n $BYTES -s $r >$log.tcp-send 2>&1
	s1=$(snap $b 1)
	wait $recv_pid
	s2=$(snap $b 2)
	trace_stop $hv $b sys-tcp
	wait_for_line "netbench: $r tcp-out " 60 $out

	sent=$(field $log.tcp-send sent md5)
	got=$(field $out "netbench: $r tcp-in " md5)
	count=$(field $out "netbench: $r tcp-in " received)
	if [ -n "$sent" ] && [ "$sent" = "$got" ] && [ "$count" = $BYTES ]; then
		[ $r -le $ROUNDS ] && record $hv-$b tcp-in "$(field $out "netbench: $r tcp-in " s:)"
		[ $r -le $ROUNDS ] && record_per $hv $b tcp-in "$s0" "$s1" &&
			reasons_per_mib $hv $b tcp-in 0 1
	else
		why="$why host->guest TCP: sent md5 ${sent:-none}, got ${got:-none}, $count bytes;"
	fi
	sent=$(field $out "netbench: $r tcp-out " md5)
	got=$(field $log.tcp-recv received md5)
	count=$(field $log.tcp-recv '' received)
	if [ -n "$sent" ] && [ "$sent" = "$got" ] && [ "$count" = $BYTES ]; then
		[ $r -le $ROUNDS ] && record $hv-$b tcp-out "$(field $log.tcp-recv received s:)"
		[ $r -le $ROUNDS ] && record_per $hv $b tcp-out "$s1" "$s2" &&
			reasons_per_mib $hv $b tcp-out 1 2
	else
		why="$why guest->host TCP: sent md5 ${sent:-none}, got ${got:-none}, $count bytes;"
	fi

	# UDP, host to guest, then guest to host.  Our receiver waits up to
	# 30 s for the guest's first datagram, which comes $UDP s after our
	# sender starts.
	udpblast recv 5004 $UDP >$log.udp-recv 2>&1 &
	recv_pid=$!
	if ! wait_for_line "netbench: $r listening udp" 60 $out; then
		kill $recv_pid 2>/dev/null
		wait $recv_pid
		not_ok "$hv $b round $r: the guest reaches the UDP phase ($why)"
		show_tail $out 20
		stop $b
		return
	fi
	s3=$(snap $b 3)
	udpblast send $guest 5003 $UDP >$log.udp-send 2>&1
	s4=$(snap $b 4)
	wait $recv_pid
	s5=$(snap $b 5)
	wait_for_line "netbench: $r udp-out " 60 $out

	got=$(field $out "netbench: $r udp-in " received)
	if [ $r -gt $ROUNDS ]; then
		:	# the system call round: UDP only to keep the guest in step
	elif [ "${got:-0}" -gt 0 ] 2>/dev/null; then
		record $hv-$b udp-in "$(field $out "netbench: $r udp-in " s:)"
		record $hv-$b udp-offered "$(field $log.udp-send sent s:)"
		record_per $hv $b udp-in "$s3" "$s4"
	else
		why="$why host->guest UDP: nothing arrived ($(tr '\n' ' ' <$log.udp-send));"
	fi
	got=$(field $log.udp-recv '' received)
	if [ $r -gt $ROUNDS ]; then
		:
	elif [ "${got:-0}" -gt 0 ] 2>/dev/null; then
		record $hv-$b udp-out "$(field $log.udp-recv received s:)"
		record_per $hv $b udp-out "$s4" "$s5"
	else
		why="$why guest->host UDP: nothing arrived ($(sed -n "s/^netbench: $r udp-out //p" $out | tr -d '\r'));"
	fi

	if [ -z "$why" ] && [ $r -gt $ROUNDS ]; then
		ok "$hv $b system call round: $BYTES bytes each way over TCP with the same md5 under syscount ($(median $hv-$b sys-tcp) launcher system calls per MiB)"
	elif [ -z "$why" ]; then
		ok "$hv $b round $r: $BYTES bytes each way over TCP with the same md5, 64-byte UDP both ways"
	else
		not_ok "$hv $b round $r:$why"
		grep "netbench: $r " $out | show /dev/stdin 8
	fi
}

# finish HV B: the guest ends by itself with status 0 and takes its tap.
finish() {
	hv=$1 b=$2
	eval "alive=\$alive_$b pid=\$pid_$b tap=\$tap_$b"
	[ "$alive" = 1 ] || return
	out=$T/$hv-$b.out
	wait_for_line 'netbench: done' 120 $out
	wait $pid
	status=$?
	if [ $status -eq 0 ] && [ -n "$tap" ] && [ ! -e /sys/class/net/$tap ]; then
		ok "$hv $b: the guest powers off, the launcher exits 0, $tap is gone"
	else
		not_ok "$hv $b: the guest powers off, the launcher exits 0 (got $status), $tap is gone"
		show_tail $out 30
		show_tail $out.err 10
	fi
	warnings=$(cat $out $out.err | grep -E 'WARNING:|BUG:|Oops|Kernel panic|device needs reset' | head -3)
	[ -z "$warnings" ] || { not_ok "$hv $b: warnings"; echo "$warnings" | sed 's/^/#   /'; }
}

# cell NAME KEY: "median ±spread" (one round: the median alone).
cell() {
	med=$(median $1 $2) sp=$(spread $1 $2)
	if [ "$sp" = - ]; then echo "$med"; else echo "$med ±$sp"; fi
}

# table HV: the medians, as "# " lines and "bench:" lines.
table() {
	hv=$1
	echo "# bench-net on $hv: medians of $ROUNDS interleaved rounds (± the spread: highest less lowest, over the median), $((BYTES >> 20)) MiB TCP, ${UDP} s of 64-byte UDP each way"
	head="$(printf '# %-32s' '')"
	for b in $BACKENDS; do head="$head $(printf '%15s' $(col_name $b))"; done
	printf '%s %11s %11s\n' "$head" vring/copy vring/vhost
	for m in tcp-in:"TCP host->guest MB/s" tcp-out:"TCP guest->host MB/s" \
		 udp-in:"UDP 64B host->guest pps" udp-offered:"  (host sent pps)" \
		 udp-out:"UDP 64B guest->host pps" \
		 rtt:"ping from the host, ms" \
		 x-tcp-in:"exits/packet TCP host->guest" x-tcp-out:"exits/packet TCP guest->host" \
		 x-udp-in:"exits/packet UDP host->guest" x-udp-out:"exits/packet UDP guest->host" \
		 u-tcp-in:"to launcher/packet TCP h->g" u-tcp-out:"to launcher/packet TCP g->h" \
		 u-udp-in:"to launcher/packet UDP h->g" u-udp-out:"to launcher/packet UDP g->h" \
		 f-tcp-in:"frames/MiB TCP host->guest" f-tcp-out:"frames/MiB TCP guest->host" \
		 m-tcp-in:"exits/MiB TCP host->guest" m-tcp-out:"exits/MiB TCP guest->host" \
		 c-tcp-in:"VM CPU ms/MiB TCP host->guest" c-tcp-out:"VM CPU ms/MiB TCP guest->host" \
		 i-tcp-in:"guest irqs/MiB TCP host->guest" i-tcp-out:"guest irqs/MiB TCP guest->host" \
		 sys-tcp:"launcher syscalls/MiB TCP"; do
		key=${m%%:*} label=${m#*:}
		c=$(median $hv-copy $key) v=$(median $hv-vring $key)
		h=$(median $hv-vhost $key)
		ratio=$(echo "$c $v" | awk '$1 > 0 && $2 != "-" { printf "%.2fx", $2 / $1; exit } { print "-" }')
		ratio_h=$(echo "$h $v" | awk '$1 > 0 && $2 != "-" { printf "%.2fx", $2 / $1; exit } { print "-" }')
		# Less work per packet or MiB, or less time, is better: a
		# ratio would read backwards there.
		case $key in [xufmci]-*|sys-*|rtt) ratio= ratio_h= ;; esac
		eval "ratio_$(echo $key | tr '-' '_')=$ratio"
		eval "ratio_vhost_$(echo $key | tr '-' '_')=$ratio_h"
		line="$(printf '# %-32s' "$label")"
		for b in $BACKENDS; do
			line="$line $(printf '%15s' "$(cell $hv-$b $key)")"
		done
		printf '%s %11s %11s\n' "$line" "$ratio" "$ratio_h"
	done
	for b in $BACKENDS; do
		echo "bench: net $hv $b tcp host->guest $(median $hv-$b tcp-in) MB/s guest->host $(median $hv-$b tcp-out) MB/s"
		echo "bench: net $hv $b udp64 host->guest $(median $hv-$b udp-in) pps (of $(median $hv-$b udp-offered) sent) guest->host $(median $hv-$b udp-out) pps"
		echo "bench: net $hv $b exits/packet tcp host->guest $(median $hv-$b x-tcp-in) guest->host $(median $hv-$b x-tcp-out) udp64 host->guest $(median $hv-$b x-udp-in) guest->host $(median $hv-$b x-udp-out)"
		echo "bench: net $hv $b exits-to-launcher/packet tcp host->guest $(median $hv-$b u-tcp-in) guest->host $(median $hv-$b u-tcp-out) udp64 host->guest $(median $hv-$b u-udp-in) guest->host $(median $hv-$b u-udp-out)"
		echo "bench: net $hv $b per-MiB tcp host->guest frames $(median $hv-$b f-tcp-in) exits $(median $hv-$b m-tcp-in) irqs $(median $hv-$b i-tcp-in) vm-cpu-ms $(median $hv-$b c-tcp-in) guest->host frames $(median $hv-$b f-tcp-out) exits $(median $hv-$b m-tcp-out) irqs $(median $hv-$b i-tcp-out) vm-cpu-ms $(median $hv-$b c-tcp-out) launcher-syscalls (both ways) $(median $hv-$b sys-tcp)"
		echo "bench: net $hv $b ping $(median $hv-$b rtt) ms (spread $(spread $hv-$b rtt)); spread of tcp host->guest $(spread $hv-$b tcp-in) guest->host $(spread $hv-$b tcp-out)"
	done
	# Where the exits go: the hypervisor's counters by reason, per MiB of
	# TCP each way (medians), every counter that moved on some backend.
	for phase in tcp-in tcp-out; do
		echo "# $hv, per MiB of TCP $(echo $phase | sed 's/tcp-in/host->guest/;s/tcp-out/guest->host/'), by counter:"
		line="$(printf '#   %-30s' '')"
		for b in $BACKENDS; do line="$line $(printf '%15s' $(col_name $b))"; done
		echo "$line"
		for name in $(cat $T/$hv-*.results 2>/dev/null | sed -n "s/^why-$phase-\([^ ]*\) .*/\1/p" | sort -u); do
			line="$(printf '#   %-30s' "$name")" vals= all=
			for b in $BACKENDS; do
				v=$(median $hv-$b why-$phase-$name)
				line="$line $(printf '%15s' "$v")"
				vals="$vals $(col_name $b) $v" all="$all$v"
			done
			case "$all" in *[1-9]*) ;; *) continue ;; esac
			echo "$line"
			echo "bench: net $hv per-MiB $phase $name$vals"
		done
	done
	echo "bench: net 64B pps vring/copy host->guest $ratio_udp_in guest->host $ratio_udp_out ($hv)"
	echo "bench: net 64B pps vring/vhost host->guest $ratio_vhost_udp_in guest->host $ratio_vhost_udp_out ($hv)"
}

# bench HV: every backend's guest, $ROUNDS rotating rounds, the table.
bench() {
	hv=$1
	# One boot at a time: two KVM guests booting at once in this nested
	# TCG host sometimes end in "guest rebooted" before the first console
	# line (2 runs in 4); once up, they run side by side fine.
	i=1
	for b in $BACKENDS; do
		boot $hv $b $i
		started $hv $b
		i=$((i + 1))
	done
	r=1
	while [ $r -le $((ROUNDS + 1)) ]; do
		# Round r starts with the r-th backend, and goes round.
		order=$(echo $BACKENDS | awk -v r=$r '{ for (i = 0; i < NF; i++) printf "%s ", $(((r - 1 + i) % NF) + 1) }')
		for b in $order; do
			eval "alive=\$alive_$b"
			[ "$alive" = 1 ] && round $hv $b $r
		done
		r=$((r + 1))
	done
	for b in $BACKENDS; do
		finish $hv $b
	done
	table $hv
}

bench lguest
bench kvm
exit 0
