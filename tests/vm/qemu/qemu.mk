# SPDX-License-Identifier: GPL-2.0
#
# The test host VM's own QEMU: Debian's qemu source package with the fixes
# in tests/vm/qemu/patches, built once per machine into a cache outside the
# clone (tests/vm/qemu/build.sh says where and why).
#
#   make vm-qemu     build it now (make check, make run and the suites
#                    build it on first use); prints its path
#
# Each patch has a regression test that fails on Debian's stock QEMU:
#   testhost        kvm_amd's EVENTINJ path (0002), with one thread or many
#   testhost-mttcg  lg.ko guests, always with -accel tcg,thread=multi: a
#                   thread per CPU (0001), an interrupt cut short (0003),
#                   DR7 at the world switch (0004), a watchpoint hit by an
#                   exception frame's push (0005), the STI shadow across
#                   an exit (0006); and the VM's own kernel patching its
#                   text while the other CPU runs it (0007)

.PHONY: vm-qemu
vm-qemu:
	@tests/vm/qemu/build.sh

VM_SUITES += testhost testhost-mttcg
