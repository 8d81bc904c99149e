# SPDX-License-Identifier: GPL-2.0
#
# The network suite (tests/vm/suites/net.sh): the launcher's --tunnet with
# both backends on both hypervisors, in the test VM.  Its tools (netxfer,
# udpblast, syscount) come from tests/net/tools.mk; the guest's half is
# tests/launcher/guest-net.sh, packed into the guest's initramfs by
# lguest/launcher.mk.
#
#   make vm-suite SUITE=net

VM_SUITES += net
VM_KMODS += tun
