# SPDX-License-Identifier: GPL-2.0
# lguest-timeout: 180
# lguest-seconds: 15
#
# testhost: the test host's own QEMU bugs, each a regression test of a
# patch in tests/vm/qemu/patches/, seen through kvm_amd (Debian's KVM,
# nested in this VM), which cannot work around them as lg.ko does.  Tiny
# real-mode KVM guests whose interrupts come from KVM's in-kernel PIC,
# which kvm_amd hands to the CPU through EVENTINJ (tests/lg/vm/test_kvm.c;
# a child on the second CPU wakes every 100 us meanwhile, which is what
# makes QEMU's CPU loop stop at the wrong moment):
#
#   irq-once  300 interrupts into a handler that spins with interrupts
#             off: none may be entered twice.  QEMU 7.2's VMRUN left an
#             EVENTINJ interrupt in its pending-exception slot and
#             delivered it again, as an exception, when its CPU loop
#             stopped before the guest's next exit.
#   irq-cut   interrupts whose delivery is the first touch of a page (the
#             stack, the IVT, the handler's code), so a nested page fault
#             cuts it short and kvm_amd injects it again from EXITINTINFO:
#             each must arrive once, at the right handler, and KVM_RUN
#             must never fail.  On QEMU 7.2 the second delivery above,
#             cut short, came back in EXITINTINFO as an exception with the
#             interrupt's vector, which VMRUN refuses (KVM_EXIT_FAIL_ENTRY).
#
# Both fail on Debian 12's stock QEMU with -accel tcg,thread=single (the
# runner's default) and pass on the patched one, with one thread or many.
# Run by /init with busybox ash; TAP on stdout.

. /suites/lib.sh

echo "# $(nproc) CPUs; $(grep -m1 'model name' /proc/cpuinfo)"
if ! check "kvm_amd loads" modprobe kvm_amd; then
	exit 0
fi
for p in npt nested; do
	echo "# kvm_amd.$p=$(cat /sys/module/kvm_amd/parameters/$p 2>/dev/null)"
done
echo "# kvm.tdp_mmu=$(cat /sys/module/kvm/parameters/tdp_mmu 2>/dev/null)"
check "/dev/kvm is a character device" test -c /dev/kvm

run_tap /bin/test_kvm irq-once
run_tap /bin/test_kvm irq-cut

check "kvm_amd unloads" rmmod kvm_amd
