# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: guest boot time and idle exits on lg.ko against KVM.
#
#   $(BUILD)/vm/bin/boot_bench   boots the guest N times per hypervisor,
#                                times launcher start -> "lguest-guest: ready",
#                                counts an idle guest's exits
#
# The bench suite "bench-boot" (bench/bench-boot.sh) runs it on the guest
# the launcher suite boots (lguest/launcher.mk).

$(BUILD)/vm/bin/boot_bench: bench/boot_bench.c lguest/lguest_stats.h include/uapi/linux/lguest.h \
		bench/boot.mk

VM_PROGS += $(BUILD)/vm/bin/boot_bench
BENCH_SUITES += bench-boot
VM_SCRIPTS += bench/bench-boot.sh
