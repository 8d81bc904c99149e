# SPDX-License-Identifier: GPL-2.0
#
# smp (tests/smp/vm/smp.sh): guests with several CPUs, --cpus=N, in the
# test host VM.  The guest's half is guest-smp.sh; tlbstress, a static
# tool in the guest's /bin, makes the guest's kernel shoot down TLB
# entries between two CPUs and checks that no stale page is read.
#
#   make vm-suite SUITE=smp
#
# Not yet in `make check`: on --hv=kvm under the test VM, a fault shows
# in some runs and is not understood yet (issue 12's notes): a guest's
# console output loses bytes now and then with two CPUs (a line cut
# short, or missing).  Every check passes in the other runs.  (CPU 0's
# local APIC timer, which Linux's calibration check used to disable now
# and then, is fixed: SMP guests get the TSC-deadline timer, L:310.)

GUEST_TOOLS += $(BUILD)/vm/bin/tlbstress
$(BUILD)/vm/bin/tlbstress: $(BUILD)/vm/bin/%: tests/smp/vm/%.c
$(BUILD)/vm/bin/tlbstress: PROG_CFLAGS = -pthread

VM_KMODS += kvm_amd
VM_SCRIPTS += tests/smp/vm/smp.sh
GUEST_SCRIPTS += tests/smp/vm/guest-smp.sh
