# SPDX-License-Identifier: GPL-2.0
#
# smp (tests/smp/vm/smp.sh): guests with several CPUs, --cpus=N, in the
# test host VM.  The guest's half is guest-smp.sh; tlbstress, a static
# tool in the guest's /bin, makes the guest's kernel shoot down TLB
# entries between two CPUs and checks that no stale page is read.
#
#   make vm-suite SUITE=smp                        both hypervisors
#   make vm-suite SUITE=smp VM_APPEND=smp.hv=lguest  one of them
#
# A fault once seen here on --hv=kvm, console output losing bytes with two
# CPUs (a line cut short, or missing), has not come back since SMP guests
# got the TSC-deadline timer (L:310); part 4 of the suite now writes a
# thousand lines from both CPUs at once and checks every one, and -v
# counts what the serial port wrote and lost, so a recurrence says where.

GUEST_TOOLS += $(BUILD)/vm/bin/tlbstress
$(BUILD)/vm/bin/tlbstress: $(BUILD)/vm/bin/%: tests/smp/vm/%.c
$(BUILD)/vm/bin/tlbstress: PROG_CFLAGS = -pthread

VM_KMODS += kvm_amd
VM_SUITES += smp
VM_SCRIPTS += tests/smp/vm/smp.sh
GUEST_SCRIPTS += tests/smp/vm/guest-smp.sh
