# SPDX-License-Identifier: GPL-2.0
#
# lg.ko's VM tests: tiny guests driven through /dev/lguest.
#
#   $(BUILD)/vm/bin/test_lguest   the /dev/lguest ABI with hand-built guests
#   $(BUILD)/vm/bin/test_hostile  guests against their host (the isolation
#                                 review's findings)
#   $(BUILD)/vm/bin/test_vcpu     a guest's several CPUs (LHREQ_CREATE_VCPU)
#   $(BUILD)/vm/bin/test_apic     local APICs and the I/O APIC of SMP guests
#                                 (LGUEST_INIT_APIC): IPIs, AP start-up,
#                                 hostile ICR/LVT/timer/NMI use
#   $(BUILD)/vm/bin/test_kvm      a tiny KVM guest, for the kvm_amd checks
#                                 (and the testhost suite's)
#
# They run in the VM suite "lguest" (tests/lg/vm/lguest.sh), which needs
# kvm_amd from Debian's kernel for the coexistence checks.  The suite
# "nosvm" (tests/lg/vm/nosvm.sh) loads lg.ko on a CPU without SVM.
# guest.c, the tiny-guest builder, also serves the hostile-guest fuzzer
# (tests/lg/fuzz/) and the test host's tests (tests/testhost/vm/).

LG_VM_HDRS := tests/lg/vm/guest.h tests/lg/vm/vcpu_run.h include/uapi/linux/lguest.h tests/lib/tap.h

LG_VM_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/lg/vm/*.c))

$(BUILD)/tests/lg/vm/%.o: OBJ_CFLAGS = -pthread -Itests/lib
$(LG_VM_OBJS): $(LG_VM_HDRS)

$(BUILD)/vm/bin/test_lguest: PROG_CFLAGS = -pthread
$(BUILD)/vm/bin/test_lguest: $(BUILD)/tests/lg/vm/test_lguest.o \
	$(BUILD)/tests/lg/vm/guest.o $(BUILD)/tests/lib/tap.o

$(BUILD)/vm/bin/test_hostile: $(BUILD)/tests/lg/vm/test_hostile.o \
	$(BUILD)/tests/lg/vm/guest.o $(BUILD)/tests/lib/tap.o

$(BUILD)/vm/bin/test_vcpu: PROG_CFLAGS = -pthread
$(BUILD)/vm/bin/test_vcpu: $(BUILD)/tests/lg/vm/test_vcpu.o \
	$(BUILD)/tests/lg/vm/vcpu_run.o $(BUILD)/tests/lg/vm/guest.o \
	$(BUILD)/tests/lib/tap.o

$(BUILD)/vm/bin/test_apic: PROG_CFLAGS = -pthread
$(BUILD)/vm/bin/test_apic: $(BUILD)/tests/lg/vm/test_apic.o \
	$(BUILD)/tests/lg/vm/vcpu_run.o $(BUILD)/tests/lg/vm/guest.o \
	$(BUILD)/tests/lib/tap.o

$(BUILD)/vm/bin/test_kvm: $(BUILD)/tests/lg/vm/test_kvm.o $(BUILD)/tests/lib/tap.o

VM_PROGS += $(BUILD)/vm/bin/test_lguest $(BUILD)/vm/bin/test_kvm
VM_PROGS += $(BUILD)/vm/bin/test_hostile $(BUILD)/vm/bin/test_vcpu
VM_PROGS += $(BUILD)/vm/bin/test_apic
VM_SUITES += lguest
VM_KMODS += kvm_amd
VM_SUITES += nosvm
VM_SCRIPTS += tests/lg/vm/lguest.sh tests/lg/vm/nosvm.sh
