# SPDX-License-Identifier: GPL-2.0
#
# The multiqueue network suite (tests/vm/suites/netmq.sh): --queues=4 on
# both backends, several TCP flows each way, per-pair counters, bad input
# and kill -9 teardown, in the test VM.  The guest's half is
# tests/launcher/guest-netmq.sh (packed by lguest/launcher.mk), which
# switches queues with setqueues (tests/net/tools.mk).
#
#   make vm-suite SUITE=netmq

VM_SUITES += netmq
VM_KMODS += tun
