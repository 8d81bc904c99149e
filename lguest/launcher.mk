# SPDX-License-Identifier: GPL-2.0
#
# The launcher, lguest/lguest: a static binary (it runs in the test VM as
# /bin/lguest), plus its VM suite and the little guests its tests boot.
#
#   make lguest              $(BUILD)/lguest/lguest
#   make vm-suite SUITE=launcher

LGUEST_BIN := $(BUILD)/lguest/lguest
LGUEST_CORE_SRCS := lguest/launcher.c lguest/boot.c lguest/mem.c lguest/io.c \
	lguest/uart.c lguest/cpu_kvm.c lguest/cpu_lguest.c
LGUEST_VIRTIO_SRCS := $(wildcard lguest/virtio_*.c) lguest/virtqueue.c lguest/tunnet.c
LGUEST_HDRS := $(wildcard lguest/*.h include/uapi/linux/*.h)
LGUEST_CFLAGS := $(VM_CFLAGS) -pthread

$(LGUEST_BIN): $(LGUEST_CORE_SRCS) $(LGUEST_VIRTIO_SRCS) $(LGUEST_HDRS) lguest/launcher.mk
	@mkdir -p $(dir $@)
	$(CC) $(LGUEST_CFLAGS) -o $@ $(LGUEST_CORE_SRCS) $(LGUEST_VIRTIO_SRCS)

# Test helpers that run in the test VM: tiny hand-made "kernels" for the
# boot path, and the guest-side exit-port helper.
LAUNCHER_TEST_BIN := $(BUILD)/lguest/mkminikernel
$(LAUNCHER_TEST_BIN): tests/launcher/mkminikernel.c
	@mkdir -p $(dir $@)
	$(CC) $(VM_CFLAGS) -o $@ $<

# pty-run: the launcher on a pseudo-terminal (raw mode, Ctrl-C).
LAUNCHER_PTY_BIN := $(BUILD)/lguest/pty-run
$(LAUNCHER_PTY_BIN): tests/launcher/pty-run.c
	@mkdir -p $(dir $@)
	$(CC) $(VM_CFLAGS) -o $@ $<

# memlock-run: the launcher under a locked-memory limit, without
# CAP_IPC_LOCK.
LAUNCHER_MEMLOCK_BIN := $(BUILD)/lguest/memlock-run
$(LAUNCHER_MEMLOCK_BIN): tests/launcher/memlock-run.c
	@mkdir -p $(dir $@)
	$(CC) $(VM_CFLAGS) -o $@ $<

LGUEST_EXIT_BIN := $(BUILD)/lguest/lguest-exit
$(LGUEST_EXIT_BIN): tests/launcher/lguest-exit.c
	@mkdir -p $(dir $@)
	$(CC) $(VM_CFLAGS) -o $@ $<

# The real guest (guest/guest.mk builds the kernel), with its initramfs
# made again to hold the exit helper and our guest-side test scripts.
# They go into the test VM's /bin (mkinitramfs.sh takes only programs).
LAUNCHER_GUEST_KERNEL := $(BUILD)/lguest/guest-bzImage
LAUNCHER_GUEST_INITRAMFS := $(BUILD)/lguest/guest-initramfs.cpio.gz
LAUNCHER_GUEST_FILES := $(wildcard tests/launcher/guest-*.sh)

$(LAUNCHER_GUEST_KERNEL): $(BUILD)/guest/bzImage
	@mkdir -p $(dir $@)
	cp $< $@

$(LAUNCHER_GUEST_INITRAMFS): guest/mkinitramfs.sh guest/initramfs/init \
		$(LGUEST_EXIT_BIN) $(LAUNCHER_GUEST_FILES) lguest/launcher.mk
	@mkdir -p $(dir $@)
	BUILD=$(BUILD) guest/mkinitramfs.sh --out $@ \
		--add $(LGUEST_EXIT_BIN):/sbin/lguest-exit $(NET_GUEST_ADDS) \
		$(foreach f,$(LAUNCHER_GUEST_FILES),--add $(f):/test/$(notdir $(f)))

.PHONY: lguest
lguest: $(LGUEST_BIN)

VM_PROGS += $(LGUEST_BIN) $(LAUNCHER_TEST_BIN) $(LAUNCHER_PTY_BIN) \
	$(LAUNCHER_MEMLOCK_BIN) \
	$(LAUNCHER_GUEST_KERNEL) $(LAUNCHER_GUEST_INITRAMFS)
VM_KMODS += kvm_amd
VM_SUITES += launcher
