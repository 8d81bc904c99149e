# SPDX-License-Identifier: GPL-2.0
#
# The network path end to end, in the test host VM: the launcher's
# --tunnet on both backends (copy, and vring through tun_vring.ko) and
# both hypervisors, with a real guest at the other end.
#
# Small static tools for the network tests and benchmarks (issue 4), in the
# test VM's /bin, and udpblast, netxfer and setqueues also in the lguest
# guest's /bin ($(GUEST_TOOLS)):
#
#   syscount   count a running process's system calls (ptrace)
#   udpblast   UDP packets per second, with loss and reordering
#   netxfer    TCP bulk transfer with an MD5 of the stream on both ends
#   setqueues  ethtool -L/-S for a guest without ethtool (guest only)
#
#   make net-tools-check   host tests of the first three
#                          (tests/net/host/test-tools.sh)
#
# The suites source lib-net.sh (tests/net/vm/); their guest halves
# (guest-*.sh here) go into the guest's /test ($(GUEST_SCRIPTS)).

NET_TOOLS := $(addprefix $(BUILD)/vm/bin/,syscount udpblast netxfer)
NET_GUEST_TOOLS := $(addprefix $(BUILD)/vm/bin/,udpblast netxfer setqueues)

$(NET_TOOLS) $(BUILD)/vm/bin/setqueues: $(BUILD)/vm/bin/%: tests/net/vm/%.c
$(BUILD)/vm/bin/netxfer: PROG_LDLIBS = -lm

VM_PROGS += $(NET_TOOLS)
GUEST_TOOLS += $(NET_GUEST_TOOLS)
VM_SCRIPTS += tests/net/vm/lib-net.sh

.PHONY: net-tools-check
net-tools-check: $(NET_TOOLS)
	@CC="$(CC)" BUILD=$(BUILD) tests/net/host/test-tools.sh $(NET_TOOLS)

HOST_TESTS += net-tools-check

# net (tests/net/vm/net.sh): the launcher's --tunnet with its three
# backends on both hypervisors; the guest's half is guest-net.sh.
#
#   make vm-suite SUITE=net
VM_SUITES += net
VM_KMODS += tun vhost_net
VM_SCRIPTS += tests/net/vm/net.sh
GUEST_SCRIPTS += tests/net/vm/guest-net.sh

# netmq (tests/net/vm/netmq.sh): --queues=4 on both backends, several TCP
# flows each way, per-pair counters, bad input and kill -9 teardown.  The
# guest's half is guest-netmq.sh, which switches queues with setqueues.
#
#   make vm-suite SUITE=netmq
VM_SUITES += netmq
VM_KMODS += tun vhost_net
VM_SCRIPTS += tests/net/vm/netmq.sh
GUEST_SCRIPTS += tests/net/vm/guest-netmq.sh

# macvtap (tests/net/vm/macvtap.sh): the launcher's
# --tunnet=macvtap:IFACE[:MODE], on a veth whose peer sits in another
# network namespace (behind a bridge there, for VEPA's hairpin).  The
# guest's half is guest-net.sh (and guest-netmq.sh for --queues=4).
#
#   make vm-suite SUITE=macvtap
#
# It was out of `make check` for a while: one run in about five stalled
# for good.  The cause was a macvtap queue's send buffer (the system's
# default, which frames held by a slow reader fill) and tun_vring waiting
# for a write-space wake-up the tap never sent; both are fixed, and the
# tunvring suite tests that transmit stops and resumes.
VM_SUITES += macvtap
VM_KMODS += tun macvtap veth bridge vhost_net
VM_SCRIPTS += tests/net/vm/macvtap.sh

# soak (tests/net/vm/soak.sh): two lg.ko guests under network load for a
# minute, four queue pairs each (`make soak` runs it for longer); the
# guests' half is guest-soak.sh.
VM_SUITES += soak
VM_KMODS += tun
VM_SCRIPTS += tests/net/vm/soak.sh
GUEST_SCRIPTS += tests/net/vm/guest-soak.sh
