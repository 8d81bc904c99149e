# SPDX-License-Identifier: GPL-2.0
#
# lib-net: what the network suites (net, netmq, macvtap) share; each
# sources it with `. /suites/lib-net.sh`.  Not a suite itself.

. /suites/lib.sh
# A launcher that ended early must fail a check, not kill the script.
trap '' PIPE

# show_ends FILE [N]: its first and last N lines (a launcher's output: how
# the guest started, and at the end why it stopped).
show_ends() { show "$1" ${2:-40}; echo "#   ..."; show_tail "$1" ${2:-40}; }
# A seed for the bytes a guest sends or checks (net.seed=, 0 to 65535).
rand_seed() { od -An -N2 -tu2 /dev/urandom | tr -d ' '; }
# The launcher's tap devices (lguest0, ...), for what a run left behind.
taps() { ls /sys/class/net | grep '^lguest' | tr '\n' ' '; }
# What expect_error (lib.sh) wants of a refused launch: no tap left
# behind.  macvtap.sh asks for no macvtap instead.
nothing_left() { [ -z "$(taps)" ]; }
left_behind() { echo "taps: $(taps)"; }

# veth_to_peer LOW PEER: a veth pair, LOW here and PEER in a network
# namespace of its own, held by a sleeper whose pid is $NS (kill it to
# end the namespace).  The peer plays the host across the wire.
veth_to_peer() {
	ip link add "$1" type veth || return 1
	peer_index=$(cat /sys/class/net/$1/iflink)
	for dev in /sys/class/net/*; do
		[ "$(cat $dev/ifindex)" = "$peer_index" ] && peer_name=${dev##*/}
	done
	ip link set "$peer_name" name "$2" || return 1
	# Nothing of ours may hold the console when we end: /init opens it
	# again right after, and a closing tty refuses that (EAGAIN).
	unshare -n sleep 100000 </dev/null >/dev/null 2>&1 &
	NS=$!
	tries=50
	while [ "$(readlink /proc/$NS/ns/net)" = "$(readlink /proc/self/ns/net)" ]; do
		tries=$((tries - 1))
		[ $tries -gt 0 ] || return 1
		sleep 0.1
	done
	ip link set "$2" netns $NS
}
# tun_vring.ko's reference count.
refs() { awk '$1 == "tun_vring" { print $3 }' /proc/modules; }

# field FILE PREFIX WORD: the word after WORD in the first line of FILE that
# starts with PREFIX.
field() {
	sed -n "s/^$2//p" "$1" | tr -d '\r' | head -1 |
		awk -v w="$3" '{ for (i = 1; i < NF; i++) if ($i == w) { print $(i + 1); exit } }' |
		sed 's/\[.*//'	# a kernel message may run on from the guest's line
}
