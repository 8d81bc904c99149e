# SPDX-License-Identifier: GPL-2.0
# lguest-timeout: 900
# lguest-seconds: 150
#
# nonroot: a user who is not root runs guests, as the packages set things
# up (packaging/60-lguest.rules: /dev/lguest group lguest, 0660).
#   1. /dev/lguest as the udev rule leaves it (the test VM has no udev,
#      so we do what the rule says), and a persistent multi-queue tap an
#      administrator made for uid 1000 (mktap: ip tuntap add ... user);
#   2. uid 1000 in the group boots the guest with --tunnet=tap:NAME on
#      the vring and the copy backends, with one queue pair and with two:
#      the guest pings the tap's address, exits 0, and the tap is still
#      there afterwards (it is the administrator's);
#   3. one clear line, status 1, when it cannot work: the user not in the
#      group, no such tap, someone else's tap, --tunnet=IP without
#      CAP_NET_ADMIN;
#   4. started as root with --user and --chroot: the guest works, and
#      while it runs /proc says the launcher is that user with that root;
#      the vring backend in a directory without its device nodes, and
#      --user without root or for no such user, are one line each.
# Run by /init with busybox ash; TAP on stdout.

trap '' PIPE
. /suites/lib.sh
T=/tmp/nonroot
mkdir -p $T
USER_ID=1000
GROUP_ID=990
HOST=10.77.0.1
TAP=rcu0

modprobe tun 2>$T/modprobe.err
for m in lg vringfd tun_vring; do
	insmod /lib/lguest/$m.ko 2>>$T/modprobe.err
done
check "tun, lg.ko, vringfd.ko and tun_vring.ko load" \
	sh -c "[ -c /dev/net/tun ] && [ -c /dev/lguest ] && [ -c /dev/vring ] && [ -c /dev/tun_vring ]"
show $T/modprobe.err 5

# --- 1. the machine as the packages and an administrator leave it ---------

# What the udev rule does: KERNEL=="lguest", GROUP="lguest", MODE="0660";
# and what Debian's own udev rules do for /dev/net/tun (every user's: a
# tap's own owner is the check), which devtmpfs alone leaves root's.
chgrp $GROUP_ID /dev/lguest && chmod 0660 /dev/lguest
chmod 0666 /dev/net/tun
check "/dev/lguest is mode 0660, group lguest ($GROUP_ID), as the rule makes it" \
	sh -c "[ \"\$(stat -c '%a %g' /dev/lguest)\" = '660 $GROUP_ID' ]"
check "an administrator's tap for uid $USER_ID: $TAP, persistent, multi_queue, $HOST/24, up" \
	sh -c "mktap $TAP $USER_ID && ip addr add $HOST/24 dev $TAP && ip link set $TAP up"

# as_user GIDS ARGS...: the launcher as uid 1000 with those groups and a
# locked-memory limit that covers a 64 MiB guest.
as_user() {
	gids=$1
	shift
	timeout 300 runas $USER_ID "$gids" 262144 $LGUEST "$@"
}

# --- 2. guests without root --------------------------------------------------

for backend in vring copy; do
	for pairs in 1 2; do
		name=user-$backend-$pairs
		tok=$(rand_token)
		as_user $USER_ID,$GROUP_ID --net-backend=$backend --queues=$pairs \
			--tunnet=tap:$TAP 64m $KERNEL --initrd=$INITRD \
			lguest.ip=10.77.0.2/24 lguest.run=/test/guest-ping.sh \
			ping.host=$HOST ping.token=$tok </dev/null >$T/$name.out 2>$T/$name.err
		status=$?
		SAY_AS=ping-test
		check "$name: uid $USER_ID boots the guest on tap:$TAP ($backend backend, $pairs queue pair(s)); it pings $HOST and exits 0 (status $status, ping $(probe $name ping))" \
			sh -c "[ $status = 0 ] && grep -q '^ping-test: token $tok' $T/$name.out &&
			       [ '$(probe $name ping)' = ok ]"
		check "$name: the launcher says it took the existing tap and left it as it was" \
			grep -q "^lguest: network: tap $TAP (an existing tap, left as it was), guest MAC .*, $backend backend" $T/$name.err
		check "$name: $TAP is still there, up, with its address" \
			sh -c "ip addr show $TAP | grep -q 'inet $HOST/24' && ip link show $TAP | grep -q '[<,]UP[,>]'"
		[ $status = 0 ] || { show_tail $T/$name.out 10; show_tail $T/$name.err 10; }
	done
done

# --- 3. one line when it cannot work -----------------------------------------

# refused NAME GIDS WANT ARGS...: status 1 and WANT as the first line.
refused() {
	name=$1 gids=$2 want=$3
	shift 3
	as_user "$gids" "$@" 64m $KERNEL --initrd=$INITRD </dev/null >$T/$name.out 2>&1
	status=$?
	check "$name: status 1 (got $status), '$want'" \
		sh -c "[ $status = 1 ] && [ \"\$(sed -n 1p $T/$name.out)\" = \"\$1\" ]" _ "$want"
	[ $status = 1 ] || show $T/$name.out 5
}

refused no-group $USER_ID \
	"lguest: cannot open /dev/lguest: Permission denied (running guests takes the group that owns it, lguest as packaged: adduser \$USER lguest)"
refused no-tap $USER_ID,$GROUP_ID \
	"lguest: --tunnet=tap:nosuch0: no tap nosuch0 (ip tuntap add nosuch0 mode tap user \$USER vnet_hdr multi_queue, as root)" \
	--tunnet=tap:nosuch0
mktap rcother0 2000
refused not-yours $USER_ID,$GROUP_ID \
	"lguest: --tunnet=tap:rcother0: rcother0 is not yours (its owner or group must be you: ip tuntap add rcother0 mode tap user \$USER ...)" \
	--tunnet=tap:rcother0
refused no-cap $USER_ID,$GROUP_ID \
	"lguest: --tunnet=10.78.0.1: making a tap needs CAP_NET_ADMIN; without it, have root make you one (ip tuntap add NAME mode tap user \$USER vnet_hdr multi_queue; ip link set NAME up) and use --tunnet=tap:NAME" \
	--tunnet=10.78.0.1
check "the refused launches left no tap of their own" \
	sh -c "! ls /sys/class/net | grep -q '^lguest'"
mktap -d rcother0
check "$TAP goes when its administrator deletes it" sh -c "mktap -d $TAP && [ ! -e /sys/class/net/$TAP ]"

# --- 4. root, confined ----------------------------------------------------------

JAIL=$T/jail
mkdir -p $JAIL
# A user by name, with an empty password field (a field all the same).
echo "tester::$USER_ID:$USER_ID::/tmp:/bin/sh" >>/etc/passwd

# confined NAME BACKEND USER: root's launcher with --user and --chroot; the
# guest pings and stays 5 s while we read /proc.
confined() {
	name=$1 backend=$2
	tok=$(rand_token)
	( timeout 300 $LGUEST --user=$3 --chroot=$JAIL \
		--net-backend=$backend --tunnet=10.79.0.1 64m $KERNEL --initrd=$INITRD \
		lguest.run=/test/guest-ping.sh ping.host=10.79.0.1 ping.token=$tok \
		ping.stay=5 </dev/null >$T/$name.out 2>$T/$name.err
	  echo $? >$T/$name.status ) &
	wait_for_line "ping-test: ping " 200 $T/$name.out $T/$name.status
	pid=$(pidof lguest | cut -d' ' -f1)
	uids=$(sed -n 's/^Uid:[[:space:]]*//p' /proc/$pid/status 2>/dev/null | tr -s '\t ' ' ')
	groups=$(sed -n 's/^Groups:[[:space:]]*//p' /proc/$pid/status 2>/dev/null | tr -d ' \t')
	root=$(readlink /proc/$pid/root)
	caps=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/$pid/status 2>/dev/null)
	wait
	status=$(cat $T/$name.status)
	SAY_AS=ping-test
	check "$name: the guest pings 10.79.0.1 and exits 0 ($backend backend; status $status, ping $(probe $name ping))" \
		sh -c "[ '$status' = 0 ] && [ '$(probe $name ping)' = ok ]"
	check "$name: while it ran, the launcher was uid $USER_ID everywhere ($uids), groups '$groups', no capability ($caps), root $JAIL ($root)" \
		sh -c "[ '$uids' = '$USER_ID $USER_ID $USER_ID $USER_ID' ] && [ '$groups' = '$USER_ID' ] &&
		       [ '$caps' = 0000000000000000 ] && [ '$root' = '$JAIL' ]"
	[ "$status" = 0 ] || { show_tail $T/$name.out 10; show_tail $T/$name.err 10; }
}

confined confined-copy copy tester
timeout 60 $LGUEST --user=$USER_ID --chroot=$JAIL --tunnet=10.79.0.1 64m $KERNEL \
	</dev/null >$T/jail-nodes.out 2>&1
status=$?
check "the vring backend in a directory without its nodes: status 1 (got $status), one line saying how to make them" \
	sh -c "[ $status = 1 ] && sed -n 1p $T/jail-nodes.out | grep -q '^lguest: --chroot=$JAIL: the vring backend opens /dev/vring when the guest.s driver starts, so $JAIL/dev/vring must be that device (as root: mkdir -p $JAIL/dev && mknod -m 0666 $JAIL/dev/vring c 10 244)$'"
show $T/jail-nodes.out 2
mkdir -p $JAIL/dev
mknod -m 0666 $JAIL/dev/vring c 10 244
mknod -m 0666 $JAIL/dev/tun_vring c 10 245
confined confined-vring vring $USER_ID:$USER_ID
refused user-not-root $USER_ID,$GROUP_ID \
	"lguest: --user and --chroot are for a launcher started as root (it gives root up once the devices are open)" \
	--user=$USER_ID
timeout 60 $LGUEST --user=nosuch 64m $KERNEL </dev/null >$T/nosuch.out 2>&1
status=$?
check "--user=nosuch: status 1 (got $status), one line" \
	sh -c "[ $status = 1 ] && [ \"\$(sed -n 1p $T/nosuch.out)\" = 'lguest: --user=nosuch: no such user in /etc/passwd' ]"
exit 0
