# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: the guest's network, copy backend against vring backend.
#
#   $(BUILD)/vm/bin/vmexits   a running launcher's guest exit counters
#                             (lg.ko through its borrowed fd, KVM through
#                             debugfs), so a measurement's exits are a
#                             difference, not the guest's whole life
#
# The bench suite "bench-net" (tests/vm/suites/bench-net.sh) boots the
# guest with --tunnet on each backend and runs tests/launcher/
# guest-netbench.sh in it (packed into the guest's initramfs by
# lguest/launcher.mk); netxfer and udpblast come from tests/net/tools.mk.

$(BUILD)/vm/bin/vmexits: bench/vmexits.c lguest/lguest_stats.h include/uapi/linux/lguest.h \
		bench/net.mk
	@mkdir -p $(dir $@)
	$(CC) $(VM_CFLAGS) -o $@ $<

VM_PROGS += $(BUILD)/vm/bin/vmexits
BENCH_SUITES += bench-net
BENCH_SUITES += bench-netmq
