# SPDX-License-Identifier: GPL-2.0
#
# What the test VM's programs of several subjects share, linked in as
# objects:
#
#   $(BUILD)/tests/lib/tap.o    TAP output (every C test program)
#   $(BUILD)/tests/lib/driver_ring.o
#                               the driver's side of a split ring, over
#                               any memory (also built into the host unit
#                               tests: vringfd's and the launcher's)
#   $(BUILD)/tests/lib/ring.o   driver_ring over a vringfd's mappings
#                               (vringfd, tunvring, bench)
#   $(BUILD)/tests/lib/uffd.o   userfaultfd stalls (vringfd, tunvring)
#
# Programs that use them build with -Itests/lib.  tap.sh is the suites'
# shell half of the TAP library, packed into the VM's /suites/.

$(BUILD)/tests/lib/%.o: OBJ_CFLAGS = -pthread
$(BUILD)/tests/lib/tap.o: tests/lib/tap.h
$(BUILD)/tests/lib/driver_ring.o: tests/lib/driver_ring.h
$(BUILD)/tests/lib/ring.o: tests/lib/ring.h tests/lib/driver_ring.h lib/vringfd.h \
	include/uapi/linux/vringfd.h
$(BUILD)/tests/lib/uffd.o: tests/lib/uffd.h

VM_SCRIPTS += tests/lib/tap.sh
