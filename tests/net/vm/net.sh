# SPDX-License-Identifier: GPL-2.0
# lguest-timeout: 1500
# lguest-seconds: 215
#
# net: the guest's network card on --tunnet, in the test host VM.
#   1. bad --tunnet / --net-backend input: one line, status 1, no tap left;
#   2. for each hypervisor (lg.ko, KVM) and backend (vring, copy, and
#      Linux's vhost-net, the one to compare with), then without receive
#      offloads (--net-rx-offloads=csum) on vring (lg.ko) and vhost
#      (KVM): boot `lguest 64m bzImage --tunnet=192.168.1.1`; the guest
#      pings the host, the host pings the guest, 8 MiB go each way over
#      TCP with the same md5 at both ends (host to guest in 64 KiB
#      segments where the card offers GUEST_TSO, in MTU frames where not,
#      counted at the tap), then 3 s of 64-byte UDP each way;
#      the tap is gone after the launcher exits; on lg.ko, the launcher's
#      system calls are counted (syscount) per 10,000 packets: over all
#      the transfers on the vring backend, where they must be below 10,
#      and over the host-to-guest UDP blast on the copy backend (reported);
#   2b. a hostile driver (mkminikernel badring) offers a transmit buffer
#      outside RAM, on each hypervisor and backend: the device needs a
#      reset, the launcher says why in one line, the driver's reset works
#      and the tap goes;
#   3. teardown: the launcher SIGKILLed mid-transfer on the vring backend
#      leaves no tap and no reference on tun_vring.ko, which unloads; on
#      the vhost backend, none on vhost_net.ko, which unloads too.
# Run by /init with busybox ash; TAP on stdout.

. /suites/lib-net.sh
T=/tmp/net
HOST=192.168.1.1
GUEST=192.168.1.2
BYTES=8388608
UDP_SECONDS=3
mkdir -p $T

# --- setup ---------------------------------------------------------------------

modprobe tun 2>$T/modprobe.err
modprobe kvm_amd 2>>$T/modprobe.err
insmod /lib/lguest/vringfd.ko 2>>$T/modprobe.err
insmod /lib/lguest/lg.ko 2>>$T/modprobe.err
check "tun, kvm_amd, vringfd.ko and lg.ko load" \
	sh -c "[ -c /dev/net/tun ] && [ -c /dev/kvm ] && [ -c /dev/vring ] && [ -c /dev/lguest ]"
show $T/modprobe.err 5

# --- 1. bad input ----------------------------------------------------------------


expect_error vring-no-module \
	"lguest: --net-backend=vring needs /dev/vring and /dev/tun_vring (load vringfd.ko and tun_vring.ko, or use --net-backend=copy)" \
	64m $KERNEL --tunnet=$HOST
insmod /lib/lguest/tun_vring.ko 2>$T/insmod.err
check "tun_vring.ko loads and gives /dev/tun_vring" test -c /dev/tun_vring
show $T/insmod.err 5
expect_error bad-ip "lguest: --tunnet=300.1.1.1: bad IPv4 address '300.1.1.1'" \
	64m $KERNEL --tunnet=300.1.1.1
expect_error no-room "lguest: --tunnet=10.0.0.254: 10.0.0.254 leaves no room for the guest's address (x.x.x.1 to x.x.x.253)" \
	64m $KERNEL --tunnet=10.0.0.254
expect_error bad-mac "lguest: --tunnet=$HOST:52:54:00:zz:00:01: bad MAC address '52:54:00:zz:00:01' (want a unicast aa:bb:cc:dd:ee:ff)" \
	64m $KERNEL --tunnet=$HOST:52:54:00:zz:00:01
expect_error multicast-mac "lguest: --tunnet=$HOST:01:00:5e:00:00:01: bad MAC address '01:00:5e:00:00:01' (want a unicast aa:bb:cc:dd:ee:ff)" \
	64m $KERNEL --tunnet=$HOST:01:00:5e:00:00:01
expect_error no-bridge "lguest: --tunnet=bridge:nosuchbr: no such interface" \
	64m $KERNEL --tunnet=bridge:nosuchbr
expect_error not-bridge "lguest: --tunnet=bridge:lo: lo is not a bridge" \
	64m $KERNEL --tunnet=bridge:lo
expect_error bad-backend "lguest: unknown network backend 'shm' (--net-backend=vring, copy or vhost)" \
	--net-backend=shm 64m $KERNEL --tunnet=$HOST
expect_error two-tunnets "lguest: only one --tunnet" \
	--tunnet=$HOST --tunnet=10.0.0.1 64m $KERNEL
expect_error bad-coalesce "lguest: --net-coalesce=1e3: want microseconds from 0 to 1000000" \
	--net-coalesce=1e3 64m $KERNEL --tunnet=$HOST
expect_error coalesce-copy "lguest: --net-coalesce needs --tunnet on the vring backend" \
	--net-backend=copy --net-coalesce=100 64m $KERNEL --tunnet=$HOST
expect_error coalesce-vhost "lguest: --net-coalesce needs --tunnet on the vring backend" \
	--net-backend=vhost --net-coalesce=100 64m $KERNEL --tunnet=$HOST
expect_error bad-busy-poll "lguest: --net-busy-poll=1000001: want microseconds from 0 to 1000000" \
	--net-busy-poll=1000001 64m $KERNEL --tunnet=$HOST
expect_error busy-poll-copy "lguest: --net-busy-poll needs --tunnet on the vring or vhost backend" \
	--net-backend=copy --net-busy-poll=50 64m $KERNEL --tunnet=$HOST
expect_error bad-offloads "lguest: unknown receive offloads 'gro' (--net-rx-offloads=none, csum, mrg or tso)" \
	--net-rx-offloads=gro 64m $KERNEL --tunnet=$HOST
expect_error offloads-no-tunnet "lguest: --net-rx-offloads needs --tunnet" \
	--net-rx-offloads=tso 64m $KERNEL
expect_error offloads-copy "lguest: --net-rx-offloads=tso needs the vring or vhost backend (the copy backend takes a frame into one buffer)" \
	--net-backend=copy --net-rx-offloads=tso 64m $KERNEL --tunnet=$HOST
expect_error vhost-no-module \
	"lguest: --net-backend=vhost needs /dev/vhost-net (load vhost_net.ko, or use --net-backend=vring or copy)" \
	--net-backend=vhost 64m $KERNEL --tunnet=$HOST
modprobe vhost_net 2>$T/vhost.err
check "vhost_net loads and gives /dev/vhost-net" test -c /dev/vhost-net
show $T/vhost.err 5

# --- 2. a guest on the network ----------------------------------------------------

tap_counter() {
	cat /sys/class/net/$1/statistics/$2 2>/dev/null || echo 0
}

# net_run NAME HV BACKEND [COUNT]: one guest, the whole exchange, with
# $NET_OPTS on the launcher's command line.
NET_OPTS=
# ring_stat LINE WORD: the number after WORD in a ring's counter line
# ("lguest: virtio-net queue 0 (rx): kicks 3, runs 40, used 812, ...").
ring_stat() { echo "$1" | sed -n "s/.* $2 \([0-9]*\)[, ].*/\1/p"; }

# ring_counters NAME BACKEND: what -v said of the rings at the end (the
# launcher's L:528, the same lines kill -USR1 prints at any time): the
# receive ring used at least a buffer per frame the tap sent the guest
# and signalled the guest; the transmit ring was kicked and used; each
# ring's batch histogram adds up to its runs; tun_vring dropped nothing.
ring_counters() {
	[ $2 = vhost ] && return
	rx=$(grep '^lguest: virtio-net queue 0 (rx):' $T/$1.out | tail -1 | tr -d '\r')
	tx=$(grep '^lguest: virtio-net queue 1 (tx):' $T/$1.out | tail -1 | tr -d '\r')
	batches_add_up=yes
	for line in "$rx" "$tx"; do
		sum=$(echo "$line" | sed 's/.*batches//' | tr ' ' '\n' |
			awk -F: 'NF == 2 { s += $2 } END { print s + 0 }')
		[ -n "$line" ] && [ "$sum" = "$(ring_stat "$line" runs)" ] || batches_add_up=no
	done
	check "$1: -v counts the rings: rx used $(ring_stat "$rx" used) for $frames_in frames in, signals $(ring_stat "$rx" signals); tx kicks $(ring_stat "$tx" kicks), used $(ring_stat "$tx" used); batches add up to runs: $batches_add_up" \
		sh -c "[ ${frames_in:-0} -gt 0 ] &&
		       [ '$(ring_stat "$rx" used)' -ge $frames_in ] &&
		       [ '$(ring_stat "$rx" signals)' -ge 1 ] &&
		       [ '$(ring_stat "$tx" kicks)' -ge 1 ] &&
		       [ '$(ring_stat "$tx" used)' -ge 1 ] && [ $batches_add_up = yes ]"
	[ -n "$rx" ] && echo "# $1: $rx"
	[ -n "$tx" ] && echo "# $1: $tx"
	[ $2 = vring ] || return
	drops=$(grep '^lguest: virtio-net queue pair 0: tun_vring:' $T/$1.out | tail -1 | tr -d '\r')
	echo "# $1: $drops"
	check "$1: tun_vring's counters say no frame was dropped or refused either way" \
		sh -c "echo '$drops' | grep -q 'rx dropped 0 (too big 0, refused 0), tx errors 0 (malformed 0, refused 0)'"
}

net_run() {
	name=$1 hv=$2 backend=$3 count=$4
	out=$T/$name.out
	seed_in=$(rand_seed) seed_out=$(rand_seed)
	rm -f $T/$name.status
	# shellcheck disable=SC2086
	( timeout 600 $LGUEST -v --hv=$hv --net-backend=$backend $NET_OPTS 64m $KERNEL \
		--initrd=$INITRD --tunnet=$HOST \
		lguest.run=/test/guest-net.sh net.host=$HOST net.bytes=$BYTES \
		net.seed=$seed_out net.udp=$UDP_SECONDS </dev/null >$out 2>&1
	  echo $? >$T/$name.status ) &
	wait_for_line 'net-test: tcp listening' 300 $out $T/$name.status
	if ! grep -q 'net-test: tcp listening' $out; then
		not_ok "$name: the guest boots and its network comes up"
		show $out 60
		kill -9 $(pidof lguest) 2>/dev/null
		wait
		return
	fi
	tap=$(sed -n 's/^lguest: network: tap \([^ ]*\) .*/\1/p' $out | head -1)
	echo "# $name: $(grep '^lguest: network:' $out)"

	ping -c 3 -W 10 $GUEST >$T/$name.ping 2>&1
	host_ping=$?

	netxfer recv 5002 >$T/$name.recv 2>&1 &
	recv_pid=$!
	pid=$(pidof lguest | cut -d' ' -f1)
	packets_before=$(($(tap_counter $tap rx_packets) + $(tap_counter $tap tx_packets)))
	if [ "$count" = all ]; then
		syscount "$pid" >$T/$name.sys 2>&1 &
		sys_pid=$!
	fi
	frames_in=$(tap_counter $tap tx_packets)
	netxfer send $GUEST 5001 -n $BYTES -s $seed_in >$T/$name.send 2>&1
	send_status=$?
	frames_in=$(($(tap_counter $tap tx_packets) - frames_in))
	wait $recv_pid
	# Then small packets, as fast as they go, each way.
	udpblast recv 5004 $UDP_SECONDS >$T/$name.udprecv 2>&1 &
	udp_recv_pid=$!
	if [ "$count" = udp ]; then
		packets_before=$(($(tap_counter $tap rx_packets) + $(tap_counter $tap tx_packets)))
		syscount -t $UDP_SECONDS "$pid" >$T/$name.sys 2>&1 &
		sys_pid=$!
	fi
	udpblast send $GUEST 5003 $UDP_SECONDS >$T/$name.udpsend 2>&1
	if [ "$count" = udp ]; then
		wait $sys_pid
		packets=$(($(tap_counter $tap rx_packets) + $(tap_counter $tap tx_packets) - packets_before))
	fi
	wait $udp_recv_pid
	if [ "$count" = all ]; then
		kill -INT $sys_pid
		wait $sys_pid
		packets=$(($(tap_counter $tap rx_packets) + $(tap_counter $tap tx_packets) - packets_before))
	fi
	wait_for_line 'net-test: done' 300 $out
	wait
	status=$(cat $T/$name.status 2>/dev/null)

	check "$name: the guest got $GUEST from the command line" \
		grep -q "^net-test: address $GUEST" $out
	check "$name: the guest pings the host ($(sed -n 's/^net-test: ping //p' $out | tr -d '\r'))" \
		grep -q '^net-test: ping ok' $out
	check "$name: the host pings the guest" test $host_ping -eq 0
	[ $host_ping -eq 0 ] || show $T/$name.ping 5

	sent=$(field $T/$name.send sent md5)
	got=$(field $out 'net-test: tcp in ' md5)
	rate=$(field $out 'net-test: tcp in ' s:)
	check "$name: host to guest, $BYTES bytes over TCP, same md5 (${got:-none}, $rate MB/s)" \
		sh -c "[ $send_status -eq 0 ] && [ -n '$sent' ] && [ '$sent' = '$got' ] &&
		       [ '$(field $out 'net-test: tcp in ' received)' = $BYTES ]"
	[ -n "$got" ] && [ "$sent" = "$got" ] || { show $T/$name.send 5; grep 'net-test' $out | show /dev/stdin 20; }

	# Receive offloads (the launcher's N:445): by default the kernel
	# backends offer GUEST_TSO4/6 with MRG_RXBUF, and the host's 64 KiB
	# segments reach the guest whole; a card without them gets the same
	# bytes cut to the MTU, about 724 frames per MiB.  (The guest prints
	# its virtio feature bits, bit 0 first.)
	per_mib=$((frames_in * 1048576 / BYTES))
	features=$(sed -n 's/^net-test: features //p' $out | tr -d '\r')
	tso4=$(echo "$features" | cut -c8) mrg=$(echo "$features" | cut -c16)
	case "$backend:$NET_OPTS" in
	copy:*|*--net-rx-offloads=csum*)
		check "$name: the guest took neither GUEST_TSO4 nor MRG_RXBUF (bits 7, 15: $tso4 $mrg), and got host to guest TCP in MTU-sized frames: $per_mib per MiB (at least 600)" \
			sh -c "[ '$tso4$mrg' = 00 ] && [ $per_mib -ge 600 ]" ;;
	*)
		check "$name: the guest took GUEST_TSO4 and MRG_RXBUF (bits 7, 15: $tso4 $mrg), and got host to guest TCP in large segments: $per_mib frames per MiB (fewer than 360)" \
			sh -c "[ '$tso4$mrg' = 11 ] && [ $per_mib -lt 360 ]" ;;
	esac

	sent=$(field $out 'net-test: tcp out ' md5)
	got=$(field $T/$name.recv received md5)
	rate=$(field $T/$name.recv received s:)
	check "$name: guest to host, $BYTES bytes over TCP, same md5 (${got:-none}, $rate MB/s)" \
		sh -c "[ -n '$sent' ] && [ '$sent' = '$got' ] &&
		       [ '$(field $T/$name.recv '' received)' = $BYTES ]"
	[ -n "$got" ] && [ "$sent" = "$got" ] || { show $T/$name.recv 5; grep 'net-test' $out | show /dev/stdin 20; }

	got=$(field $out 'net-test: udp in ' received)
	check "$name: 64-byte UDP host to guest: $(field $T/$name.udpsend "" sent) sent, ${got:-none} received" \
		test "${got:-0}" -gt 0
	got=$(field $T/$name.udprecv '' received)
	check "$name: 64-byte UDP guest to host: $(field $out 'net-test: udp out ' sent) sent, ${got:-none} received" \
		test "${got:-0}" -gt 0

	check "$name: the guest powers off: the launcher exits 0" test "$status" = 0
	[ "$status" = 0 ] || show_ends $out
	check "$name: the tap ($tap) is gone once the launcher has exited" \
		sh -c "[ -n '$tap' ] && [ ! -e /sys/class/net/$tap ]"
	# What the guest kernel said during the transfers (guest-net.sh).
	grep 'net-test: kmsg' $out | tr -d '\r' | head -8 | sed "s/^/# $name: /"
	warnings=$(grep -E 'WARNING:|BUG:|Oops|Kernel panic|device needs reset' $out | head -3)
	check "$name: no warning from the guest kernel or the launcher" test -z "$warnings"
	[ -z "$warnings" ] || echo "$warnings" | sed 's/^/#   /'

	ring_counters $name $backend
	if [ -n "$count" ]; then
		calls=$(sed -n 's/^syscalls //p' $T/$name.sys | head -1)
		per=$(awk -v c="${calls:-999999}" -v p="$packets" \
			'BEGIN { printf "%.1f", (p > 0 ? c * 10000 / p : 999999) }')
		echo "# $name: $calls launcher system calls for $packets packets ($count): $per per 10,000 packets"
		show $T/$name.sys 8
		eval "syscalls_$backend=$per"
	fi
}

# The vring backend's count covers both TCP transfers and both UDP blasts;
# the copy backend's only the host-to-guest UDP blast (under ptrace every
# one of its system calls stops it twice, and the rest would take minutes).
net_run lg-vring lguest vring all
check "vring backend on lg.ko: fewer than 10 launcher system calls per 10,000 packets (${syscalls_vring:-?})" \
	awk -v s="${syscalls_vring:-999}" 'BEGIN { exit !(s < 10) }'
net_run lg-copy lguest copy udp
echo "# copy backend on lg.ko: ${syscalls_copy:-?} launcher system calls per 10,000 packets (vring: ${syscalls_vring:-?})"
net_run kvm-vring kvm vring
net_run kvm-copy kvm copy
net_run lg-vhost lguest vhost
net_run kvm-vhost kvm vhost
# A card without the receive offloads still carries everything, in MTU
# frames, on both kernel backends; and with busy-polling (tun_vring's
# N:125, vhost-net's busyloop) as well.
NET_OPTS="--net-rx-offloads=csum --net-busy-poll=50"
net_run lg-vring-csum lguest vring
net_run kvm-vhost-csum kvm vhost
NET_OPTS=

# --- 2b. a hostile driver ----------------------------------------------------------

# A driver that offers the device a transmit buffer at 32 GiB, outside
# the guest's 64 MiB (mkminikernel badring): whichever backend walks the
# ring (the launcher's own for copy, tun_vring for vring, Linux's
# vhost-net for vhost, N:490 and the vhost error eventfd), the device
# must say DEVICE_NEEDS_RESET, the launcher one line why, and neither
# the host nor the tap may come to harm: after the driver's reset the
# guest exits with its own status and the tap goes with the launcher.
mkminikernel badring 0x2c $T/mini-badring
hostile_reason() {
	case $1 in
	copy|vring) echo "lguest: virtio-net queue 1: buffer past the limit of the memory the ring may use; device needs reset" ;;
	vhost) echo "lguest: virtio-net queue 0: vhost-net stopped queue pair 0: a ring it cannot use; device needs reset" ;;
	esac
}
for hv in lguest kvm; do
	for backend in copy vring vhost; do
		name=badring-$hv-$backend
		timeout 60 $LGUEST --hv=$hv --net-backend=$backend 64m $T/mini-badring \
			--tunnet=$HOST </dev/null >$T/$name.out 2>$T/$name.err
		status=$?
		tap=$(sed -n 's/^lguest: network: tap \([^ ]*\) .*/\1/p' $T/$name.err | head -1)
		said=$(grep 'device needs reset' $T/$name.err | tr -d '\r')
		check "$name: a transmit buffer outside RAM: the device needs a reset, the launcher says why once ($said)" \
			sh -c "[ \"\$(grep -c 'device needs reset' $T/$name.err)\" = 1 ] &&
			       grep -q '$(hostile_reason $backend)' $T/$name.err &&
			       grep -qx 'mini: device needs reset' $T/$name.out"
		check "$name: ... the driver resets it and exits with its status (44, got $status), the tap ($tap) is gone" \
			sh -c "[ $status = 44 ] && [ -n '$tap' ] && [ ! -e /sys/class/net/$tap ]"
		[ $status = 44 ] || { show $T/$name.out 10; show $T/$name.err 10; }
	done
done

# --- 3. teardown ---------------------------------------------------------------

vhost_refs() { awk '$1 == "vhost_net" { print $3 }' /proc/modules; }
for round in 1 2 vhost; do
	out=$T/kill-$round.out
	backend=vring
	[ $round = vhost ] && backend=vhost
	rm -f $T/kill.status
	( timeout 300 $LGUEST --net-backend=$backend 64m $KERNEL --initrd=$INITRD --tunnet=$HOST \
		lguest.run=/test/guest-net.sh net.host=$HOST net.bytes=$((BYTES * 8)) \
		net.seed=1 </dev/null >$out 2>&1
	  echo $? >$T/kill.status ) &
	if wait_for_line 'net-test: tcp listening' 300 $out; then
		tap=$(sed -n 's/^lguest: network: tap \([^ ]*\) .*/\1/p' $out | head -1)
		netxfer send $GUEST 5001 -n $((BYTES * 8)) -s 1 >/dev/null 2>&1 &
		sender=$!
		sleep 2
		if [ $backend = vhost ]; then
			mod=vhost_net refs_running=$(vhost_refs)
		else
			mod=tun_vring refs_running=$(refs)
		fi
		kill -9 $(pidof lguest)
		kill $sender 2>/dev/null
		wait
		sleep 1
		if [ $backend = vhost ]; then refs_after=$(vhost_refs); else refs_after=$(refs); fi
		check "kill -9 of the launcher mid-transfer ($round): it died of SIGKILL (status $(cat $T/kill.status)), the tap $tap is gone, $mod's references $refs_running -> $refs_after" \
			sh -c "[ '$(cat $T/kill.status)' = 137 ] && [ -n '$tap' ] &&
			       [ ! -e /sys/class/net/$tap ] && [ '$refs_running' = 1 ] && [ '$refs_after' = 0 ]"
		# A launcher that ended before the kill says why at its end.
		[ "$(cat $T/kill.status)" = 137 ] || show_ends $out 30
	else
		not_ok "kill -9 of the launcher mid-transfer ($round): the guest came up"
		show $out 40
		kill -9 $(pidof lguest) 2>/dev/null
		wait
	fi
done
check "tun_vring.ko unloads afterwards and loads again" \
	sh -c "rmmod tun_vring && insmod /lib/lguest/tun_vring.ko && [ -c /dev/tun_vring ]"
check "vhost_net.ko unloads afterwards" rmmod vhost_net
exit 0
