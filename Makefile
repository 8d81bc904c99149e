# SPDX-License-Identifier: GPL-2.0
#
# lguest: one Makefile for the modules, the userspace code, the tests and
# the demo.  Everything built lands in build/.
#
#   make                 modules + userspace + test programs + VM initramfs
#   make run             boot the test host VM with our modules, get a shell
#   make check           every test; ends with "N passed, N failed"
#   make bench           the benchmark VM suites
#   make soak            two guests under network load for SOAK_SECS (300)
#   make modules         vringfd.ko, vring_echo.ko for $(KVER) (6.1)
#   make modules-6.12    the same against the newest installed 6.12 headers
#   make checkpatch      checkpatch.pl --strict on every kernel source file
#   make vm-suite SUITE=smoke   one VM suite (VM_KVER=... to pick the kernel)
#   make vm-qemu         the test VM's patched QEMU (VM_QEMU=qemu-system-x86_64
#                        runs Debian's stock one instead)
#   make deps            install (as root) or list the Debian packages needed
#   make clean
#
# Each test subject adds its rules in fragments included below (one per
# tests/<subject>/<kind>/ folder, see tests/README.md); the variables
# before the includes are the contract between them.

BUILD := build
CC := gcc
USER_CFLAGS := -Wall -Wextra -Werror -O2 -g -Iinclude/uapi -Ilib -Itests/vringfd/kmod
VM_CFLAGS := $(USER_CFLAGS) -static
LIBVRINGFD := $(BUILD)/lib/libvringfd.a
comma := ,

# Fragments append to these.
VM_PROGS :=
VM_SUITES := smoke
HOST_TESTS :=
BENCH_SUITES :=
# Debian kernel modules a VM suite needs (e.g. tun), packed with their
# dependencies into the initramfs so that `modprobe <name>` works there.
VM_KMODS :=
# The scripts of the VM suites (each next to the programs it runs) and
# the libraries they source, packed into the test VM's /suites/ under
# their own names: VM_SUITES and BENCH_SUITES name them, VM_SCRIPTS says
# where they are.  tests/README.md lists them all.
VM_SCRIPTS := tests/vm/lib.sh tests/vm/smoke.sh
# What the lguest guest's initramfs gets besides busybox: programs for its
# /bin (GUEST_TOOLS) and test scripts for its /test (GUEST_SCRIPTS).  The
# rules that pack it read them with secondary expansion ($$(GUEST_TOOLS)
# in a prerequisite list), so fragments may add to them in any order.
GUEST_TOOLS :=
GUEST_SCRIPTS :=
# The exit-port helper every guest initramfs holds as /sbin/lguest-exit
# (tests/launcher/vm/launcher-vm.mk builds it).
LGUEST_EXIT := $(BUILD)/vm/bin/lguest-exit

# The kernels.  Both are picked from what is installed, newest first, so a
# Debian point release changing the ABI number needs no edit here.
newest_kernel = $(shell ls /lib/modules 2>/dev/null | grep '^$(subst .,\.,$(1))\.' | sort -V | tail -1)
KVER ?= $(call newest_kernel,6.1)
KVER612 ?= $(call newest_kernel,6.12)
KDIR ?= /lib/modules/$(KVER)/build
KDIR612 ?= /lib/modules/$(KVER612)/build
# The kernel the VM suites boot (make check VM_KVER=$(KVER612) for 6.12).
VM_KVER ?= $(KVER)

# --- how programs are built -------------------------------------------------
#
# One recipe for every program made from C files, objects and libraries in
# one go: $(call build_program,COMPILER AND FLAGS[,LIBRARIES]) links $^
# less its headers and make fragments.  Each rule names its own flags
# (static for the test VM, sanitizers for unit tests, clang for the fuzzer).
define build_program
@mkdir -p $(@D)
$(1) -o $@ $(filter %.c %.o %.a,$^)$(if $(2), $(2))
endef

# The test VM's programs, static, in $(BUILD)/vm/bin/: a fragment lists a
# program's objects (or its one C file) and headers as prerequisites, and
# may set PROG_CFLAGS (e.g. -pthread) and PROG_LDLIBS (e.g. -lm) for it.
$(BUILD)/vm/bin/%:
	$(call build_program,$(CC) $(VM_CFLAGS) $(PROG_CFLAGS),$(PROG_LDLIBS))

# Their objects: $(BUILD)/<path>.o from <path>.c, with what the folder's
# fragment adds in OBJ_CFLAGS ($(BUILD)/tests/lg/vm/%.o: OBJ_CFLAGS = ...).
# Headers are listed as prerequisites of the objects that include them.
$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(VM_CFLAGS) $(OBJ_CFLAGS) -c $< -o $@

# libvringfd, the userspace helper (lib/vringfd.c).
$(BUILD)/lib/vringfd.o: lib/vringfd.h include/uapi/linux/vringfd.h
$(LIBVRINGFD): $(BUILD)/lib/vringfd.o
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

.SECONDEXPANSION:

# The fragments, by subject (tests/README.md maps them to suites).  None
# reads at parse time what another defines, so their order is free.
include lguest/launcher.mk guest/guest.mk tests/vm/qemu/qemu.mk
include tests/lib/lib.mk
include tests/vringfd/unit/vringfd-unit.mk tests/vringfd/fuzz/vringfd-fuzz.mk \
	tests/vringfd/vm/vringfd-vm.mk
include tests/conformance/vm/conformance-vm.mk
include tests/lg/unit/lg-unit.mk tests/lg/vm/lg-vm.mk tests/lg/fuzz/lg-fuzz.mk
include tests/testhost/vm/testhost-vm.mk
include tests/tunvring/vm/tunvring-vm.mk
include tests/launcher/unit/launcher-unit.mk tests/launcher/vm/launcher-vm.mk \
	tests/launcher/fuzz/launcher-fuzz.mk
include tests/net/vm/net-vm.mk
include tests/smp/vm/smp-vm.mk
include tests/demo/host/demo-host.mk
include bench/bench.mk bench/boot.mk bench/net.mk
include ringcheck/ringcheck.mk
include packaging/packaging.mk

.DEFAULT_GOAL := all

.PHONY: journey journey-check
.PHONY: all modules modules-6.12 userspace vm-initramfs check run bench soak \
	checkpatch clean deps vm-suite FORCE

# --- kernel modules --------------------------------------------------------
#
# Kbuild runs in build/kmod-<kver>/, a copy of the kernel sources, so the
# 6.1 and 6.12 builds never share objects.  The copy is made with checksums:
# only files whose contents changed get a new mtime, so Kbuild rebuilds
# exactly what changed, and nothing at all when nothing did.

KMOD_DIRS := fs tests/vringfd/kmod include drivers
KMOD_SRCS := Kbuild \
	$(shell find $(KMOD_DIRS) \( -name Kbuild -o -name '*.[chS]' \) 2>/dev/null)
KMOD_NAMES := fs/vringfd.ko tests/vringfd/kmod/vring_echo.ko drivers/lguest/lg.ko drivers/net/tun_vring.ko
kmod_dir = $(BUILD)/kmod-$(1)
kmods_of = $(addprefix $(BUILD)/kmod-$(1)/,$(KMOD_NAMES))
kdir_of = $(if $(filter $(KVER),$(1)),$(KDIR),$(if $(filter $(KVER612),$(1)),$(KDIR612),/lib/modules/$(1)/build))

# One grouped rule per kernel version: Kbuild builds all modules at once.
$(BUILD)/kmod-%/fs/vringfd.ko $(BUILD)/kmod-%/tests/vringfd/kmod/vring_echo.ko \
$(BUILD)/kmod-%/drivers/lguest/lg.ko $(BUILD)/kmod-%/drivers/net/tun_vring.ko: $(KMOD_SRCS)
	@test -d $(call kdir_of,$*) || \
		{ echo "no kernel headers in $(call kdir_of,$*) (see 'make deps')"; exit 1; }
	@mkdir -p $(BUILD)/kmod-$*
	rsync -rcR --delete --filter='+ */' --filter='+ Kbuild' --filter='+ *.[chS]' \
		--filter='- *' Kbuild $(KMOD_DIRS) $(BUILD)/kmod-$*/
	$(MAKE) -C $(call kdir_of,$*) M=$(abspath $(BUILD)/kmod-$*) modules
	@touch $(call kmods_of,$*)

modules: $(call kmods_of,$(KVER))

ifeq ($(KVER612),)
modules-6.12:
	@echo "no 6.12 kernel in /lib/modules (see 'make deps')"; exit 1
else
modules-6.12: $(call kmods_of,$(KVER612))
endif

# --- userspace and the test host VM ----------------------------------------

userspace: $(LIBVRINGFD) $(VM_PROGS) $(RINGCHECK_BIN) $(RINGCHECK_VU_LOOP)

INITRAMFS = $(BUILD)/vm/initramfs-$(VM_KVER).cpio.gz
VM_INPUTS = tests/vm/init tests/vm/mkinitramfs.sh $(VM_SCRIPTS)

# What goes into the initramfs besides files: rewritten only when it
# changes, so adding a program or a Debian module repacks it.
INITRAMFS_SPEC = $(BUILD)/vm/initramfs-$(VM_KVER).spec
initramfs_spec = $(sort $(VM_KMODS)) $(VM_PROGS) $(VM_SCRIPTS)
$(INITRAMFS_SPEC): FORCE
	@mkdir -p $(dir $@)
	@echo '$(initramfs_spec)' | cmp -s - $@ || echo '$(initramfs_spec)' >$@

# VM_ALLOW_PARTIAL=1 packs whatever did build (make check uses it after a
# failed build, so that the suites which can still run do run).
ifeq ($(VM_ALLOW_PARTIAL),1)
$(INITRAMFS): FORCE
	@mkdir -p $(dir $@)
	tests/vm/mkinitramfs.sh --allow-missing --out $@ --kver $(VM_KVER) \
		--kmod-dir $(call kmod_dir,$(VM_KVER)) \
		$(addprefix --kmod ,$(sort $(VM_KMODS))) \
		$(addprefix --suite ,$(VM_SCRIPTS)) $(VM_PROGS)
else
$(INITRAMFS): $(call kmods_of,$(VM_KVER)) $(VM_PROGS) $(VM_INPUTS) $(INITRAMFS_SPEC)
	@mkdir -p $(dir $@)
	tests/vm/mkinitramfs.sh --out $@ --kver $(VM_KVER) \
		--kmod-dir $(call kmod_dir,$(VM_KVER)) \
		$(addprefix --kmod ,$(sort $(VM_KMODS))) \
		$(addprefix --suite ,$(VM_SCRIPTS)) $(VM_PROGS)
endif

vm-initramfs: $(INITRAMFS)

all: modules userspace vm-initramfs

vm-suite: vm-initramfs
	@test -n "$(SUITE)" || { echo "usage: make vm-suite SUITE=<name>"; exit 1; }
	@BUILD=$(BUILD) INITRAMFS=$(INITRAMFS) tests/vm/run-suite.sh $(SUITE) $(VM_KVER)

# --- tests ------------------------------------------------------------------

# scripts/check.sh runs every part, keeps going after failures and ends with
# the one "N passed, N failed" line; logs in build/check/.
check:
	+@MAKE="$(MAKE)" BUILD=$(BUILD) KVER=$(KVER) KVER612=$(KVER612) \
		VM_KVER=$(VM_KVER) INITRAMFS=$(INITRAMFS) \
		HOST_TESTS="$(HOST_TESTS)" VM_SUITES="$(VM_SUITES)" \
		VM_JOBS="$(VM_JOBS)" scripts/check.sh check

bench:
	+@MAKE="$(MAKE)" BUILD=$(BUILD) VM_KVER=$(VM_KVER) INITRAMFS=$(INITRAMFS) \
		BENCH_SUITES="$(BENCH_SUITES)" scripts/check.sh bench
	@$(MAKE) --no-print-directory bench-plots

# Two lg.ko guests moving TCP both ways on four queue pairs each for
# SOAK_SECS: a hunt for rare failures under load (check runs it for 60 s).
SOAK_SECS ?= 300
soak: vm-initramfs
	@case "$(SOAK_SECS)" in ''|*[!0-9]*) \
		echo "make soak: SOAK_SECS=$(SOAK_SECS): want whole seconds" >&2; exit 2;; esac
	@BUILD=$(BUILD) INITRAMFS=$(INITRAMFS) VM_TIMEOUT=$$(($(SOAK_SECS) + 600)) \
		VM_APPEND="soak.secs=$(SOAK_SECS) $(VM_APPEND)" \
		tests/vm/run-suite.sh soak $(VM_KVER)

checkpatch:
	@scripts/checkpatch.sh

# The numbered tour through the sources, in the manner of the original
# lguest's (its /*H:010-style comments, which its Documentation/lguest
# Makefile gathered into one story): scripts/journey.pl gathers every
# /*P:NNN, /*L:NNN, /*H:NNN ... comment in chapter order.  Documentation
# and the tests quote stop numbers too: journey.pl checks that every one
# they quote exists.
JOURNEY_SRCS = $(sort $(shell grep -rlE '/\*[A-Z]:[0-9]{3}' fs drivers lguest include \
	--include='*.c' --include='*.h' --include='*.S' 2>/dev/null))
JOURNEY_REFS = $(sort $(shell grep -rlE '\b[A-Z]:[0-9]{3}\b' README.md Documentation tests \
	bench guest lib 2>/dev/null))
journey:
	@mkdir -p $(BUILD)
	@perl scripts/journey.pl $(JOURNEY_SRCS) --refs $(JOURNEY_REFS) >$(BUILD)/journey.txt
	@echo "journey: $(BUILD)/journey.txt ($$(grep -c '^\[' $(BUILD)/journey.txt) stops)"

# make check: the tour must extract cleanly and read in order: no unknown
# chapter, no stop numbered twice, every comment closed, every "X:NNN"
# naming a stop that exists, a preface naming each chapter's first stop
# in turn, and every chapter handing on to the next (scripts/journey.pl).
HOST_TESTS += journey-check
journey-check:
	@mkdir -p $(BUILD)
	@if perl scripts/journey.pl $(JOURNEY_SRCS) --refs $(JOURNEY_REFS) \
		>$(BUILD)/journey.txt 2>$(BUILD)/journey.err; then \
		echo "ok 1 - journey: $$(grep -c '^\[' $(BUILD)/journey.txt) stops extract in order"; \
	else \
		echo "not ok 1 - journey: extraction failed"; sed 's/^/# /' $(BUILD)/journey.err; \
		exit 1; \
	fi

include Documentation/htmldocs.mk

# --- the demo and packages ------------------------------------------------

deps:
	@scripts/install-deps.sh

run:
	@scripts/install-deps.sh
	@$(MAKE) --no-print-directory vm-initramfs
	@tests/vm/run-shell.sh $(VM_KVER) $(INITRAMFS)

clean:
	rm -rf $(BUILD) .checkpatch-camelcase.*

# Prerequisite of rules that must always run.
FORCE:
