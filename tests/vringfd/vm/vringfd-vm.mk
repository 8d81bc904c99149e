# SPDX-License-Identifier: GPL-2.0
#
# libvringfd and the /dev/vring test programs that run in the test host VM.
#
#   $(LIBVRINGFD)                  lib/vringfd.c, the userspace helper
#   $(BUILD)/vm/bin/test_vring     the 2008 test program
#   $(BUILD)/vm/bin/test_vringfd   the /dev/vring ABI through vring_echo.ko
#
# Both programs run in the VM suite "vringfd" (tests/vm/suites/vringfd.sh).

VRING_HDRS := lib/vringfd.h include/uapi/linux/vringfd.h tests/kmod/vring_echo.h
VRING_TEST_HDRS := $(VRING_HDRS) tests/vring/tap.h tests/vring/ring.h \
	tests/vring/vringfd_tests.h tests/vring/uffd.h
VRING_TEST_SUPPORT := $(BUILD)/vring/tap.o $(BUILD)/vring/ring.o \
	$(BUILD)/vring/uffd.o
VRINGFD_TEST_OBJS := $(patsubst tests/vring/%.c,$(BUILD)/vring/%.o,\
	$(wildcard tests/vring/test_vringfd.c tests/vring/vringfd_*.c))

$(BUILD)/lib/vringfd.o: lib/vringfd.c $(VRING_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(VM_CFLAGS) -c $< -o $@

$(LIBVRINGFD): $(BUILD)/lib/vringfd.o
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/vring/%.o: tests/vring/%.c $(VRING_TEST_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(VM_CFLAGS) -pthread -c $< -o $@

$(BUILD)/vm/bin/test_vring: $(BUILD)/vring/test_vring.o $(BUILD)/vring/tap.o \
		$(LIBVRINGFD)
	@mkdir -p $(dir $@)
	$(CC) $(VM_CFLAGS) -o $@ $^

$(BUILD)/vm/bin/test_vringfd: $(VRINGFD_TEST_OBJS) $(VRING_TEST_SUPPORT) \
		$(LIBVRINGFD)
	@mkdir -p $(dir $@)
	$(CC) $(VM_CFLAGS) -pthread -o $@ $^

VM_PROGS += $(BUILD)/vm/bin/test_vring $(BUILD)/vm/bin/test_vringfd
VM_SUITES += vringfd
