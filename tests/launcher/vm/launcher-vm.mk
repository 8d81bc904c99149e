# SPDX-License-Identifier: GPL-2.0
#
# Debian's own kernel as an lguest guest: the test host VM's
# /boot/vmlinuz-$(VM_KVER) (the stock 6.1 kernel, ~8 MB) booted by the
# launcher with a busybox initramfs, on --hv=lguest and --hv=kvm.
#
#   make vm-suite SUITE=stock
#
# The kernel goes into the test VM as /bin/stock-vmlinuz, its initramfs
# (guest/mkinitramfs.sh's, plus the exit-port helper and the probe) as
# /bin/stock-initramfs.cpio.gz.  See tests/launcher/stock-README.
#
# Include after lguest/launcher.mk (it uses $(LGUEST_EXIT_BIN)).

STOCK_KERNEL := $(BUILD)/stock/stock-vmlinuz
STOCK_INITRAMFS := $(BUILD)/stock/stock-initramfs.cpio.gz

$(STOCK_KERNEL): /boot/vmlinuz-$(VM_KVER)
	@mkdir -p $(dir $@)
	cp $< $@

$(STOCK_INITRAMFS): guest/mkinitramfs.sh guest/initramfs/init \
		$(LGUEST_EXIT_BIN) tests/launcher/stock-probe.sh \
		tests/launcher/guest-lib.sh tests/launcher/stock.mk
	@mkdir -p $(dir $@)
	BUILD=$(BUILD) guest/mkinitramfs.sh --out $@ \
		--add $(LGUEST_EXIT_BIN):/sbin/lguest-exit \
		--add tests/launcher/stock-probe.sh:/test/stock-probe.sh \
		--add tests/launcher/guest-lib.sh:/test/guest-lib.sh

VM_PROGS += $(STOCK_KERNEL) $(STOCK_INITRAMFS)
VM_SUITES += stock
