# SPDX-License-Identifier: GPL-2.0
#
# Small static tools for the network tests and benchmarks (issue 4), in the
# test VM's /bin, and udpblast and netxfer also in the lguest guest's
# initramfs (guest/guest.mk, lguest/launcher.mk add $(NET_GUEST_ADDS)):
#
#   syscount   count a running process's system calls (ptrace)
#   udpblast   UDP packets per second, with loss and reordering
#   netxfer    TCP bulk transfer with an MD5 of the stream on both ends
#   setqueues  ethtool -L/-S for a guest without ethtool (guest only)
#
#   make net-tools-check   host tests of all three (tests/net/test-tools.sh)

NET_TOOLS := $(addprefix $(BUILD)/vm/bin/,syscount udpblast netxfer)

$(BUILD)/vm/bin/syscount $(BUILD)/vm/bin/udpblast $(BUILD)/vm/bin/setqueues: $(BUILD)/vm/bin/%: tests/net/%.c
	@mkdir -p $(dir $@)
	$(CC) $(VM_CFLAGS) -o $@ $<

$(BUILD)/vm/bin/netxfer: tests/net/netxfer.c
	@mkdir -p $(dir $@)
	$(CC) $(VM_CFLAGS) -o $@ $< -lm

VM_PROGS += $(NET_TOOLS)

# What the lguest guest's initramfs gets; its rules say --add for each.
NET_GUEST_TOOLS := $(BUILD)/vm/bin/udpblast $(BUILD)/vm/bin/netxfer \
	$(BUILD)/vm/bin/setqueues
NET_GUEST_ADDS = $(foreach f,$(NET_GUEST_TOOLS),--add $(f):/bin/$(notdir $(f)))
NET_GUEST_INITRAMFS := $(strip $(GUEST_INITRAMFS) $(LAUNCHER_GUEST_INITRAMFS))
ifneq ($(NET_GUEST_INITRAMFS),)
$(NET_GUEST_INITRAMFS): $(NET_GUEST_TOOLS)
endif

.PHONY: net-tools-check
net-tools-check: $(NET_TOOLS)
	@CC="$(CC)" BUILD=$(BUILD) tests/net/test-tools.sh $(NET_TOOLS)

HOST_TESTS += net-tools-check
