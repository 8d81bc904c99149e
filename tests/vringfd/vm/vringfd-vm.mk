# SPDX-License-Identifier: GPL-2.0
#
# The /dev/vring test programs that run in the test host VM, and their
# suite:
#
#   $(BUILD)/vm/bin/test_vring     the 2008 test program
#   $(BUILD)/vm/bin/test_vringfd   the /dev/vring ABI through vring_echo.ko
#                                  (tests/vringfd/kmod/)
#
# Both programs run in the VM suite "vringfd" (tests/vringfd/vm/vringfd.sh).
# libvringfd ($(LIBVRINGFD), lib/vringfd.c) is built by the Makefile.

VRINGFD_VM_HDRS := lib/vringfd.h include/uapi/linux/vringfd.h \
	tests/vringfd/kmod/vring_echo.h tests/lib/tap.h tests/lib/ring.h tests/lib/driver_ring.h \
	tests/lib/uffd.h tests/vringfd/vm/vringfd_tests.h
VRINGFD_TEST_OBJS := $(patsubst %.c,$(BUILD)/%.o,\
	$(wildcard tests/vringfd/vm/test_vringfd.c tests/vringfd/vm/vringfd_*.c))

$(BUILD)/tests/vringfd/vm/%.o: OBJ_CFLAGS = -pthread -Itests/lib
$(BUILD)/tests/vringfd/vm/test_vring.o $(VRINGFD_TEST_OBJS): $(VRINGFD_VM_HDRS)

$(BUILD)/vm/bin/test_vring: $(BUILD)/tests/vringfd/vm/test_vring.o \
	$(BUILD)/tests/lib/tap.o $(LIBVRINGFD)

$(BUILD)/vm/bin/test_vringfd: PROG_CFLAGS = -pthread
$(BUILD)/vm/bin/test_vringfd: $(VRINGFD_TEST_OBJS) $(BUILD)/tests/lib/tap.o \
	$(BUILD)/tests/lib/ring.o $(BUILD)/tests/lib/driver_ring.o \
	$(BUILD)/tests/lib/uffd.o $(LIBVRINGFD)

VM_PROGS += $(BUILD)/vm/bin/test_vring $(BUILD)/vm/bin/test_vringfd
VM_SUITES += vringfd
VM_SCRIPTS += tests/vringfd/vm/vringfd.sh
