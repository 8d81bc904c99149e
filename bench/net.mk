# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: the guest's network, the copy, vring and vhost backends.
#
#   $(BUILD)/vm/bin/vmexits   a running launcher's guest exit counters
#                             (lg.ko through its borrowed fd, KVM through
#                             debugfs), so a measurement's exits are a
#                             difference, not the guest's whole life
#
# The bench suite "bench-net" (bench/bench-net.sh) boots the guest with
# --tunnet on each backend and runs bench/guest-netbench.sh in it;
# "bench-netmq" (bench/bench-netmq.sh) runs bench/guest-benchmq.sh, a tap
# against a macvtap and 1 against 4 queue pairs.  Both scripts go into
# the guest's initramfs ($(GUEST_SCRIPTS), lguest/launcher.mk); netxfer,
# udpblast and setqueues come from tests/net/vm/net-vm.mk.

$(BUILD)/vm/bin/vmexits: bench/vmexits.c lguest/lguest_stats.h include/uapi/linux/lguest.h \
		bench/net.mk

VM_PROGS += $(BUILD)/vm/bin/vmexits
BENCH_SUITES += bench-net
BENCH_SUITES += bench-netmq
VM_SCRIPTS += bench/bench-net.sh bench/bench-netmq.sh bench/lib-bench.sh
GUEST_SCRIPTS += bench/guest-netbench.sh bench/guest-benchmq.sh
