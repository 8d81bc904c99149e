# SPDX-License-Identifier: GPL-2.0
# lguest-timeout: 300
# lguest-seconds: 25
#
# tunvring: tun_vring.ko in the test host VM.  Loads tun (Debian's),
# vringfd.ko and tun_vring.ko, runs test_tun_vring (a tap with the host's
# IPv4 stack behind it, rings over "guest RAM" in the program: frames both
# ways, bad fds, hostile chains, teardown in every order, leaks), then
# checks that the module cannot go while a binding is open and unloads
# once none is.  Run by /init with busybox ash; TAP on stdout.
#
# To run only some groups, boot with tunvring.groups=a,b,...
# (e.g. VM_APPEND=tunvring.groups=tx,rx tests/vm/run-suite.sh tunvring).

. /suites/lib.sh
TAP_PREFIX="tunvring suite: "

# rmmod must refuse while a binding is open: the fops owner pins the module.
busy_while_open() {
	exec 3<>/dev/tun_vring || return 1
	rmmod tun_vring 2>/dev/null
	status=$?
	exec 3>&-
	[ "$status" -ne 0 ] && loaded tun_vring
}

check "tun loads (modprobe)" quietly modprobe tun
# For the macvtap group: macvtap brings tap.ko, which tun_vring borrows
# tap_get_socket() from (without depending on it).
check "macvtap and dummy load (modprobe)" quietly modprobe -a macvtap dummy
check "vringfd.ko loads" loads vringfd
check "tun_vring.ko loads" loads tun_vring
check "/dev/tun_vring exists" test -c /dev/tun_vring

groups=$(param tunvring.groups | tr ',' ' ')
# shellcheck disable=SC2086
check "test_tun_vring ran to the end" runs test_tun_vring $groups

check "tun_vring cannot be unloaded while a binding is open" busy_while_open
check "tap.ko unloads while tun_vring is loaded (no reference kept on it)" \
	quietly rmmod macvtap macvlan tap
check "tun_vring unloads (no binding, ring or tap reference left)" unloads tun_vring
check "vringfd unloads (no ring left behind)" unloads vringfd
exit 0
