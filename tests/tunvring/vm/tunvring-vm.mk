# SPDX-License-Identifier: GPL-2.0
#
# tun_vring.ko's own tests, run in the test host VM by the suite "tunvring"
# (tests/tunvring/vm/tunvring.sh):
#
#   $(BUILD)/vm/bin/test_tun_vring   a tap, two rings over "guest RAM" in
#                                    the program, and the host's IPv4 stack
#
# It drives its rings with the ring and TAP helpers of tests/lib/.

TUNVRING_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/tunvring/vm/*.c))
TUNVRING_HDRS := tests/tunvring/vm/tv.h tests/lib/ring.h tests/lib/driver_ring.h tests/lib/tap.h tests/lib/uffd.h \
	include/uapi/linux/tun_vring.h include/uapi/linux/vringfd.h lib/vringfd.h

$(BUILD)/tests/tunvring/vm/%.o: OBJ_CFLAGS = -pthread -Itests/lib
$(TUNVRING_OBJS): $(TUNVRING_HDRS)

$(BUILD)/vm/bin/test_tun_vring: PROG_CFLAGS = -pthread
$(BUILD)/vm/bin/test_tun_vring: $(TUNVRING_OBJS) $(BUILD)/tests/lib/ring.o \
	$(BUILD)/tests/lib/driver_ring.o \
	$(BUILD)/tests/lib/tap.o $(BUILD)/tests/lib/uffd.o $(LIBVRINGFD)

VM_PROGS += $(BUILD)/vm/bin/test_tun_vring
VM_SUITES += tunvring
VM_SCRIPTS += tests/tunvring/vm/tunvring.sh
# tun for the taps; macvtap (with tap and macvlan) and dummy for the
# macvtap group.
VM_KMODS += tun macvtap dummy
