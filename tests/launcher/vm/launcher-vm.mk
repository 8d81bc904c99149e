# SPDX-License-Identifier: GPL-2.0
#
# The launcher's VM suites, run in the test host VM with /bin/lguest
# (lguest/launcher.mk) and the guest it boots there:
#
#   launcher  (tests/launcher/vm/launcher.sh) bad input, tiny hand-made
#             kernels, the real guest on --hv=kvm and --hv=lguest,
#             consoles; in the guest, guest-probe.sh, guest-hvc.sh and
#             guest-poweroff.sh (with guest-lib.sh, which every
#             guest-side script sources)
#   stock     (tests/launcher/vm/stock.sh) Debian's own kernel as an
#             lguest guest; see tests/launcher/vm/stock-README
#   nonroot   (tests/launcher/vm/nonroot.sh) a user who is not root runs
#             guests: /dev/lguest as the udev rule leaves it, an
#             administrator's tap (--tunnet=tap:NAME) on the vring and
#             copy backends; one line for each way it cannot work (in
#             the guest, guest-ping.sh)
#   strict    (tests/launcher/vm/strict.sh) --virtio-strict: the real
#             guest's drivers at work on both hypervisors (guest-strict.sh
#             in the guest) judged clean, and mkminikernel badkick's one
#             broken rule reported
#
# Test helpers, static, in the test VM's /bin:
#
#   mkminikernel   tiny hand-made "kernels" for the boot path
#   pty-run        the launcher on a pseudo-terminal (raw mode, Ctrl-C)
#   memlock-run    the launcher under a locked-memory limit, without
#                  CAP_IPC_LOCK
#   runas          a program as a user who is not root
#   mktap          a persistent tap owned by a user (ip tuntap add ... user)
#
# and the guest-side exit-port helper, $(LGUEST_EXIT) (lguest-exit.c),
# which every guest initramfs holds as /sbin/lguest-exit.

LAUNCHER_HELPERS := $(addprefix $(BUILD)/vm/bin/,mkminikernel pty-run memlock-run \
	runas mktap)
$(LAUNCHER_HELPERS) $(LGUEST_EXIT): $(BUILD)/vm/bin/%: tests/launcher/vm/%.c

VM_PROGS += $(LAUNCHER_HELPERS)
VM_KMODS += kvm_amd
VM_SUITES += launcher strict nonroot
VM_SCRIPTS += tests/launcher/vm/launcher.sh tests/launcher/vm/guest-lib.sh \
	tests/launcher/vm/strict.sh tests/launcher/vm/nonroot.sh
GUEST_SCRIPTS += $(addprefix tests/launcher/vm/,guest-lib.sh guest-probe.sh \
	guest-hvc.sh guest-poweroff.sh guest-strict.sh guest-ping.sh)

# stock: the test host VM's /boot/vmlinuz-$(VM_KVER) (the stock 6.1
# kernel, ~8 MB) booted by the launcher with a busybox initramfs, on
# --hv=lguest and --hv=kvm.
#
#   make vm-suite SUITE=stock
#
# The kernel goes into the test VM as /bin/stock-vmlinuz, its initramfs
# (guest/mkinitramfs.sh's, plus the exit-port helper and the probe) as
# /bin/stock-initramfs.cpio.gz.

STOCK_KERNEL := $(BUILD)/stock/stock-vmlinuz
STOCK_INITRAMFS := $(BUILD)/stock/stock-initramfs.cpio.gz

$(STOCK_KERNEL): /boot/vmlinuz-$(VM_KVER)
	@mkdir -p $(dir $@)
	cp $< $@

$(STOCK_INITRAMFS): guest/mkinitramfs.sh guest/initramfs/init \
		$(LGUEST_EXIT) tests/launcher/vm/stock-probe.sh \
		tests/launcher/vm/guest-lib.sh tests/launcher/vm/launcher-vm.mk
	@mkdir -p $(dir $@)
	BUILD=$(BUILD) guest/mkinitramfs.sh --out $@ \
		--add $(LGUEST_EXIT):/sbin/lguest-exit \
		--add tests/launcher/vm/stock-probe.sh:/test/stock-probe.sh \
		--add tests/launcher/vm/guest-lib.sh:/test/guest-lib.sh

VM_PROGS += $(STOCK_KERNEL) $(STOCK_INITRAMFS)
VM_SUITES += stock
VM_SCRIPTS += tests/launcher/vm/stock.sh
