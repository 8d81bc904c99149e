# SPDX-License-Identifier: GPL-2.0
#
# The macvtap suite (tests/vm/suites/macvtap.sh): the launcher's
# --tunnet=macvtap:IFACE[:MODE] in the test VM, on a veth whose peer sits
# in another network namespace (behind a bridge there, for VEPA's
# hairpin).  The guest's half is tests/launcher/guest-net.sh; the tools
# (netxfer) come from tests/net/tools.mk.
#
#   make vm-suite SUITE=macvtap
#
# It was out of `make check` for a while: one run in about five stalled
# for good.  The cause was a macvtap queue's send buffer (the system's
# default, which frames held by a slow reader fill) and tun_vring waiting
# for a write-space wake-up the tap never sent; both are fixed, and the
# tunvring suite tests that transmit stops and resumes.

VM_SUITES += macvtap
VM_KMODS += tun macvtap veth bridge
