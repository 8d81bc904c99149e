# SPDX-License-Identifier: GPL-2.0
#
# The test host VM's own QEMU: Debian's qemu source package with the fixes
# in tests/vm/qemu/patches, built once per machine into a cache outside the
# clone (tests/vm/qemu/build.sh says where and why).
#
#   make vm-qemu     build it now (make check, make run and the suites
#                    build it on first use); prints its path
#
# Each patch has a regression test that fails on Debian's stock QEMU, in
# the VM suites testhost and testhost-mttcg (tests/testhost/vm/).

.PHONY: vm-qemu
vm-qemu:
	@tests/vm/qemu/build.sh
