# SPDX-License-Identifier: GPL-2.0
#
# lib-net: what the network suites (net, netmq, macvtap) share; each
# sources it with `. /suites/lib-net.sh`.  Not a suite itself.

. /suites/lib.sh
# A launcher that ended early must fail a check, not kill the script.
trap '' PIPE

# Show a file in the TAP stream as comments.
show() { sed 's/^/#   /' "$1" | tr -d '\r' | head -${2:-40}; }
# show_ends FILE [N]: its first and last N lines (a launcher's output: how
# the guest started, and at the end why it stopped).
show_ends() { show "$1" ${2:-40}; echo "#   ..."; tail -${2:-40} "$1" | tr -d '\r' | sed 's/^/#   /'; }
rand() { od -An -N2 -tu2 /dev/urandom | tr -d ' '; }
# tun_vring.ko's reference count.
refs() { awk '$1 == "tun_vring" { print $3 }' /proc/modules; }

# field FILE PREFIX WORD: the word after WORD in the first line of FILE that
# starts with PREFIX.
field() {
	sed -n "s/^$2//p" "$1" | tr -d '\r' | head -1 |
		awk -v w="$3" '{ for (i = 1; i < NF; i++) if ($i == w) { print $(i + 1); exit } }' |
		sed 's/\[.*//'	# a kernel message may run on from the guest's line
}
