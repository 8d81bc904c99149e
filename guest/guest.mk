# SPDX-License-Identifier: GPL-2.0
#
# The guest: a minimal x86-64 kernel and a busybox initramfs for lguest to
# boot (see guest/README.md).
#
#   make guest         $(BUILD)/guest/bzImage and initramfs.cpio.gz
#   make guest-check   boot them under plain QEMU with virtio-mmio disks,
#                      network, console and rng; prints TAP
#
# The kernel build takes minutes the first time; build-kernel.sh caches it
# and rebuilds only when the config fragment, the scripts or the source
# tarball change.  guest-check is not part of `make check` for that reason.

GUEST_KERNEL := $(BUILD)/guest/bzImage
GUEST_INITRAMFS := $(BUILD)/guest/initramfs.cpio.gz
GUEST_LINUX_TARBALL ?= /usr/src/linux-source-6.1.tar.xz
# /sbin/lguest-exit: writes its argument to the launcher's exit port.  Built
# here under its own name (lguest/launcher.mk builds the same source for
# its own initramfs), so the two rules never clash.
GUEST_EXIT_BIN := $(BUILD)/guest/lguest-exit

$(GUEST_KERNEL): guest/config-fragment guest/build-kernel.sh \
		 guest/check-config.sh $(wildcard $(GUEST_LINUX_TARBALL))
	BUILD=$(BUILD) GUEST_LINUX_TARBALL=$(GUEST_LINUX_TARBALL) \
		guest/build-kernel.sh

$(GUEST_EXIT_BIN): tests/launcher/lguest-exit.c
	@mkdir -p $(dir $@)
	$(CC) $(VM_CFLAGS) -o $@ $<

$(GUEST_INITRAMFS): guest/mkinitramfs.sh guest/initramfs/init \
		    $(GUEST_EXIT_BIN) $(wildcard /bin/busybox)
	BUILD=$(BUILD) guest/mkinitramfs.sh --out $@ \
		--add $(GUEST_EXIT_BIN):/sbin/lguest-exit $(NET_GUEST_ADDS)

.PHONY: guest guest-check
guest: $(GUEST_KERNEL) $(GUEST_INITRAMFS)

guest-check: guest
	@BUILD=$(BUILD) guest/test-guest.sh $(GUEST_KERNEL) $(GUEST_INITRAMFS)
