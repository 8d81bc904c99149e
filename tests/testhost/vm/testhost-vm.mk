# SPDX-License-Identifier: GPL-2.0
#
# The test host's own QEMU (tests/vm/qemu/: Debian's QEMU with our
# patches) has a regression test for each patch, which fails on Debian's
# stock QEMU:
#
#   testhost        kvm_amd's EVENTINJ path (0002), with one thread or many
#                   (tests/testhost/vm/testhost.sh, through test_kvm of
#                   tests/lg/vm/)
#   testhost-mttcg  lg.ko guests, always with -accel tcg,thread=multi: a
#                   thread per CPU (0001), an interrupt cut short (0003),
#                   DR7 at the world switch (0004), a watchpoint hit by an
#                   exception frame's push (0005), the STI shadow across
#                   an exit (0006); and the VM's own kernel patching its
#                   text while the other CPU runs it (0007)
#                   (tests/testhost/vm/testhost-mttcg.sh)
#
#   $(BUILD)/vm/bin/test_testhost  tiny guests that provoke those bugs,
#                                  built with tests/lg/vm/guest.c

$(BUILD)/tests/testhost/vm/%.o: OBJ_CFLAGS = -pthread -Itests/lib -Itests/lg/vm
$(BUILD)/tests/testhost/vm/test_testhost.o: tests/lg/vm/guest.h \
	include/uapi/linux/lguest.h tests/lib/tap.h

$(BUILD)/vm/bin/test_testhost: PROG_CFLAGS = -pthread
$(BUILD)/vm/bin/test_testhost: $(BUILD)/tests/testhost/vm/test_testhost.o \
	$(BUILD)/tests/lg/vm/guest.o $(BUILD)/tests/lib/tap.o

VM_PROGS += $(BUILD)/vm/bin/test_testhost
VM_SUITES += testhost testhost-mttcg
VM_SCRIPTS += tests/testhost/vm/testhost.sh tests/testhost/vm/testhost-mttcg.sh
