# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: guests with two CPUs (--cpus=2).
#
#   $(BUILD)/vm/bin/ipiping   a guest tool: a token bounced between two
#                             processes pinned to two CPUs, microseconds
#                             per round trip (bench/ipiping.c)
#
# The bench suite "bench-ipi" (bench/bench-ipi.sh) boots the guest with
# --cpus=2 on lg.ko and on KVM and runs bench/guest-ipi.sh, which runs
# ipiping; "bench-netsmp" (bench/bench-netsmp.sh) runs the guest's TCP
# with --cpus=1 --queues=1 against --cpus=2 --queues=2 on both backends,
# through bench/guest-benchmq.sh (bench/net.mk puts it in the guest).
# Included from bench/bench.mk.

GUEST_TOOLS += $(BUILD)/vm/bin/ipiping
$(BUILD)/vm/bin/ipiping: bench/ipiping.c bench/smp.mk

VM_KMODS += kvm_amd tun
BENCH_SUITES += bench-ipi bench-netsmp
VM_SCRIPTS += bench/bench-ipi.sh bench/bench-netsmp.sh
GUEST_SCRIPTS += bench/guest-ipi.sh
