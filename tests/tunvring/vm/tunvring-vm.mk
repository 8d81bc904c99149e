# SPDX-License-Identifier: GPL-2.0
#
# tun_vring.ko's own tests, run in the test host VM by the suite "tunvring"
# (tests/vm/suites/tunvring.sh):
#
#   $(BUILD)/vm/bin/test_tun_vring   a tap, two rings over "guest RAM" in
#                                    the program, and the host's IPv4 stack
#
# It reuses the ring driver and TAP helpers of tests/vring/.

TUNVRING_SRCS := $(wildcard tests/tunvring/*.c)
TUNVRING_OBJS := $(patsubst tests/tunvring/%.c,$(BUILD)/tunvring/%.o,$(TUNVRING_SRCS))
TUNVRING_HDRS := tests/tunvring/tv.h tests/vring/ring.h tests/vring/tap.h tests/vring/uffd.h \
	include/uapi/linux/tun_vring.h include/uapi/linux/vringfd.h lib/vringfd.h

$(BUILD)/tunvring/%.o: tests/tunvring/%.c $(TUNVRING_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(VM_CFLAGS) -pthread -Itests/vring -c $< -o $@

$(BUILD)/vm/bin/test_tun_vring: $(TUNVRING_OBJS) $(BUILD)/vring/ring.o \
		$(BUILD)/vring/tap.o $(BUILD)/vring/uffd.o $(LIBVRINGFD)
	@mkdir -p $(dir $@)
	$(CC) $(VM_CFLAGS) -pthread -o $@ $^

VM_PROGS += $(BUILD)/vm/bin/test_tun_vring
VM_SUITES += tunvring
# tun for the taps; macvtap (with tap and macvlan) and dummy for the
# macvtap group.
VM_KMODS += tun macvtap dummy
