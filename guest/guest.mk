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

$(GUEST_KERNEL): guest/config-fragment guest/build-kernel.sh \
		 guest/check-config.sh $(wildcard $(GUEST_LINUX_TARBALL))
	BUILD=$(BUILD) GUEST_LINUX_TARBALL=$(GUEST_LINUX_TARBALL) \
		guest/build-kernel.sh

# /sbin/lguest-exit ($(LGUEST_EXIT)) writes its argument to the
# launcher's exit port; $(GUEST_TOOLS) (the network tools) go into /bin.
$(GUEST_INITRAMFS): guest/mkinitramfs.sh guest/initramfs/init \
		    $(LGUEST_EXIT) $$(GUEST_TOOLS) $(wildcard /bin/busybox)
	BUILD=$(BUILD) guest/mkinitramfs.sh --out $@ \
		--add $(LGUEST_EXIT):/sbin/lguest-exit \
		$(foreach f,$(GUEST_TOOLS),--add $(f):/bin/$(notdir $(f)))

.PHONY: guest guest-check
guest: $(GUEST_KERNEL) $(GUEST_INITRAMFS)

guest-check: guest
	@BUILD=$(BUILD) guest/test-guest.sh $(GUEST_KERNEL) $(GUEST_INITRAMFS)
