# SPDX-License-Identifier: GPL-2.0
#
# lguest installed like real software (packaging/, debian/).
#
#   make man           $(BUILD)/lguest.1: lguest(1), made by help2man from
#                      `lguest --help` and packaging/lguest.h2m, so the
#                      page and --help cannot drift apart
#   make install       the launcher, lguest(1), the udev rule and the
#                      documentation, under DESTDIR and PREFIX (/usr/local)
#   make install-dkms  the modules' sources and a dkms.conf in
#                      DESTDIR/usr/src/lguest-VERSION; then, as root,
#                      `dkms install lguest/VERSION` builds and installs
#                      them for the running kernel (and, AUTOINSTALL, for
#                      every new one)
#   make deb           build/deb/lguest_VERSION_amd64.deb and
#                      lguest-dkms_VERSION_all.deb, with debhelper and
#                      dh_dkms (debian/)
#   make deb-check     (root; in make check) the packages installed with
#                      dpkg -i, DKMS's modules for both kernels, those
#                      modules in the test VM, and their removal

# The version is debian/changelog's: one place to change it.
VERSION := $(shell dpkg-parsechangelog -l debian/changelog -S Version 2>/dev/null)
PREFIX ?= /usr/local
UDEVDIR ?= /lib/udev
DKMS_SRC = $(DESTDIR)/usr/src/lguest-$(VERSION)
MAN_PAGE := $(BUILD)/lguest.1

# What the DKMS tree holds: the three modules' sources and headers (not
# the test module, vring_echo).
DKMS_FILES := $(wildcard fs/*.c fs/*.h fs/Kbuild drivers/lguest/*.c \
	drivers/lguest/*.h drivers/lguest/*.S drivers/lguest/Kbuild \
	drivers/net/*.c drivers/net/Kbuild include/linux/*.h \
	include/uapi/linux/*.h)

$(MAN_PAGE): $(LGUEST_BIN) packaging/lguest.h2m debian/changelog
	help2man --no-info --version-string=$(VERSION) \
		--include=packaging/lguest.h2m --output=$@ $(LGUEST_BIN)

.PHONY: man install install-dkms deb deb-check
man: $(MAN_PAGE)

install: $(LGUEST_BIN) $(MAN_PAGE)
	install -D -m 0755 $(LGUEST_BIN) $(DESTDIR)$(PREFIX)/bin/lguest
	install -D -m 0644 $(MAN_PAGE) $(DESTDIR)$(PREFIX)/share/man/man1/lguest.1
	install -D -m 0644 packaging/60-lguest.rules \
		$(DESTDIR)$(UDEVDIR)/rules.d/60-lguest.rules
	install -d $(DESTDIR)$(PREFIX)/share/doc/lguest
	install -m 0644 README.md $(wildcard Documentation/*.rst Documentation/*.md) \
		$(DESTDIR)$(PREFIX)/share/doc/lguest/

install-dkms:
	install -d $(DKMS_SRC)
	for f in $(DKMS_FILES); do install -D -m 0644 $$f $(DKMS_SRC)/$$f; done
	grep -v '^obj-m += tests/' Kbuild >$(DKMS_SRC)/Kbuild
	sed 's/@VERSION@/$(VERSION)/' packaging/dkms.conf.in >$(DKMS_SRC)/dkms.conf

# The packages are built in a copy of the tree, so that debhelper's files
# never land in the working tree.
deb:
	rm -rf $(BUILD)/deb/src
	mkdir -p $(BUILD)/deb/src
	tar -c --exclude=./$(BUILD) --exclude=./.git . | tar -x -C $(BUILD)/deb/src
	cd $(BUILD)/deb/src && dpkg-buildpackage -b -us -uc >../build.log 2>&1 || \
		{ tail -30 ../build.log; exit 1; }
	@ls $(BUILD)/deb/*.deb

deb-check: deb $(call kmods_of,$(KVER))
	@BUILD=$(BUILD) tests/packaging/deb-check.sh $(VERSION) $(KVER) $(KVER612)

# The test VM's initramfs with the modules DKMS built (deb-check puts them
# in $(BUILD)/deb/kmod-$(KVER)), everything else as make vm-initramfs has it.
.PHONY: deb-vm-initramfs
deb-vm-initramfs: $(VM_PROGS) $(VM_INPUTS)
	tests/vm/mkinitramfs.sh --out $(BUILD)/deb/initramfs-$(KVER).cpio.gz \
		--kver $(KVER) --kmod-dir $(BUILD)/deb/kmod-$(KVER) \
		$(addprefix --kmod ,$(sort $(VM_KMODS))) \
		$(addprefix --suite ,$(VM_SCRIPTS)) $(VM_PROGS)

HOST_TESTS += deb-check
