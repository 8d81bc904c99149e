# SPDX-License-Identifier: GPL-2.0
#
# The launcher, lguest/lguest: a static binary (it runs in the test VM as
# /bin/lguest), and the guest it boots there.  Its tests are in
# tests/launcher/ (unit/, and vm/ for the VM suite "launcher").
#
#   make lguest              $(BUILD)/lguest/lguest
#
# The virtio devices' rings are walked by fs/vring_core.c, the module's
# walker, over guest RAM (lguest/vring_mem.c).

LGUEST_BIN := $(BUILD)/lguest/lguest
LGUEST_CORE_SRCS := lguest/launcher.c lguest/boot.c lguest/mem.c lguest/io.c \
	lguest/uart.c lguest/cpu_kvm.c lguest/cpu_lguest.c lguest/mptable.c
LGUEST_VIRTIO_SRCS := $(wildcard lguest/virtio_*.c) lguest/virtqueue.c lguest/tunnet.c \
	lguest/vring_mem.c fs/vring_core.c
LGUEST_HDRS := $(wildcard lguest/*.h include/uapi/linux/*.h) fs/vring_core.h \
	lib/vring_core_user.h lib/kernel_user.h
LGUEST_CFLAGS := $(VM_CFLAGS) -Ifs -pthread

$(LGUEST_BIN): $(LGUEST_CORE_SRCS) $(LGUEST_VIRTIO_SRCS) $(LGUEST_HDRS) lguest/launcher.mk
	$(call build_program,$(CC) $(LGUEST_CFLAGS))

# The real guest (guest/guest.mk builds the kernel), with its initramfs
# made again to hold the exit helper, the tools of $(GUEST_TOOLS) and the
# guest-side test scripts of $(GUEST_SCRIPTS) (tests/README.md says
# which suite adds which).  Both go into the test VM's /bin
# (mkinitramfs.sh takes only programs).
LAUNCHER_GUEST_KERNEL := $(BUILD)/lguest/guest-bzImage
LAUNCHER_GUEST_INITRAMFS := $(BUILD)/lguest/guest-initramfs.cpio.gz

$(LAUNCHER_GUEST_KERNEL): $(BUILD)/guest/bzImage
	@mkdir -p $(dir $@)
	cp $< $@

$(LAUNCHER_GUEST_INITRAMFS): guest/mkinitramfs.sh guest/initramfs/init \
		$(LGUEST_EXIT) $$(GUEST_TOOLS) $$(GUEST_SCRIPTS) lguest/launcher.mk
	@mkdir -p $(dir $@)
	BUILD=$(BUILD) guest/mkinitramfs.sh --out $@ \
		--add $(LGUEST_EXIT):/sbin/lguest-exit \
		$(foreach f,$(GUEST_TOOLS),--add $(f):/bin/$(notdir $(f))) \
		$(foreach f,$(GUEST_SCRIPTS),--add $(f):/test/$(notdir $(f)))

.PHONY: lguest
lguest: $(LGUEST_BIN)

VM_PROGS += $(LGUEST_BIN) $(LAUNCHER_GUEST_KERNEL) $(LAUNCHER_GUEST_INITRAMFS)
