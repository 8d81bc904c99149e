# SPDX-License-Identifier: GPL-2.0
#
# What the test VM's programs of several subjects share, linked in as
# objects:
#
#   $(BUILD)/tests/lib/tap.o    TAP output (vringfd, tunvring, lg, testhost)
#   $(BUILD)/tests/lib/ring.o   a driver-side split ring over a buffer
#                               (vringfd, tunvring, bench)
#   $(BUILD)/tests/lib/uffd.o   userfaultfd stalls (vringfd, tunvring)
#
# Programs that use them build with -Itests/lib.

$(BUILD)/tests/lib/%.o: OBJ_CFLAGS = -pthread
$(BUILD)/tests/lib/tap.o: tests/lib/tap.h
$(BUILD)/tests/lib/ring.o: tests/lib/ring.h lib/vringfd.h include/uapi/linux/vringfd.h
$(BUILD)/tests/lib/uffd.o: tests/lib/uffd.h
