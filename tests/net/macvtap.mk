# SPDX-License-Identifier: GPL-2.0
#
# The macvtap suite (tests/vm/suites/macvtap.sh): the launcher's
# --tunnet=macvtap:IFACE[:MODE] in the test VM, on a veth whose peer sits
# in another network namespace (behind a bridge there, for VEPA's
# hairpin).  The guest's half is tests/launcher/guest-net.sh; the tools
# (netxfer) come from tests/net/tools.mk.
#
#   make vm-suite SUITE=macvtap

VM_SUITES += macvtap
VM_KMODS += tun macvtap veth bridge
