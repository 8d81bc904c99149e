# SPDX-License-Identifier: GPL-2.0
#
# lg.ko's VM tests: tiny guests driven through /dev/lguest.
#
#   $(BUILD)/vm/bin/test_lguest   the /dev/lguest ABI with hand-built guests
#   $(BUILD)/vm/bin/test_hostile  guests against their host (the isolation
#                                 review's findings)
#   $(BUILD)/vm/bin/test_kvm      a tiny KVM guest, for the kvm_amd checks
#   $(BUILD)/vm/bin/test_testhost tiny guests that provoke the test host
#                                 QEMU's SVM bugs (tests/vm/suites/testhost-mttcg.sh)
#
# test_lguest, test_hostile and test_kvm run in the VM suite "lguest"
# (tests/vm/suites/lguest.sh), which needs kvm_amd from Debian's kernel for
# the coexistence checks.

LGUEST_TEST_HDRS := tests/lguest/guest.h include/uapi/linux/lguest.h \
	tests/vring/tap.h

$(BUILD)/lguest-tests/%.o: tests/lguest/%.c $(LGUEST_TEST_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(VM_CFLAGS) -pthread -c $< -o $@

$(BUILD)/vm/bin/test_lguest: $(BUILD)/lguest-tests/test_lguest.o \
		$(BUILD)/lguest-tests/guest.o $(BUILD)/vring/tap.o
	@mkdir -p $(dir $@)
	$(CC) $(VM_CFLAGS) -pthread -o $@ $^

$(BUILD)/vm/bin/test_hostile: $(BUILD)/lguest-tests/test_hostile.o \
		$(BUILD)/lguest-tests/guest.o $(BUILD)/vring/tap.o
	@mkdir -p $(dir $@)
	$(CC) $(VM_CFLAGS) -o $@ $^

$(BUILD)/vm/bin/test_kvm: $(BUILD)/lguest-tests/test_kvm.o $(BUILD)/vring/tap.o
	@mkdir -p $(dir $@)
	$(CC) $(VM_CFLAGS) -o $@ $^

$(BUILD)/vm/bin/test_testhost: $(BUILD)/lguest-tests/test_testhost.o \
		$(BUILD)/lguest-tests/guest.o $(BUILD)/vring/tap.o
	@mkdir -p $(dir $@)
	$(CC) $(VM_CFLAGS) -pthread -o $@ $^

VM_PROGS += $(BUILD)/vm/bin/test_lguest $(BUILD)/vm/bin/test_kvm
VM_PROGS += $(BUILD)/vm/bin/test_hostile
VM_PROGS += $(BUILD)/vm/bin/test_testhost
VM_SUITES += lguest
VM_KMODS += kvm_amd
VM_SUITES += nosvm
# Two guests under network load for a minute (tests/vm/suites/soak.sh;
# `make soak` runs it for longer).
VM_SUITES += soak
VM_KMODS += tun

# The hostile-guest fuzzer (tests/lguest/fuzz_guest.c): random guests from
# seeds, run by the VM suite fuzz-guest (tests/vm/suites/fuzz-guest.sh).
# make check replays the seed corpus and runs fresh seeds for about a
# minute; `make fuzz-guest` runs FUZZ_SECS (600) of fresh seeds and adds
# any seed that hurt the host to the corpus; `make fuzz-guest SEED=N`
# (or N,M,...) replays seeds alone, printing the guest each builds and
# every exit; FUZZ_BASE=N runs fresh seeds from N again, and
# VM_APPEND=fuzz.args=--no-xsetbv passes options on to fuzz_guest.
FUZZ_GUEST_CORPUS := tests/lguest/fuzz-seeds.txt
$(BUILD)/vm/bin/fuzz_guest: $(BUILD)/lguest-tests/fuzz_guest.o \
		$(BUILD)/lguest-tests/guest.o $(BUILD)/vring/tap.o
	@mkdir -p $(dir $@)
	$(CC) $(VM_CFLAGS) -o $@ $^

# The corpus travels in the initramfs as /bin/fuzz-seeds.txt.
$(BUILD)/vm/bin/fuzz-seeds.txt: $(FUZZ_GUEST_CORPUS)
	@mkdir -p $(dir $@)
	cp $< $@

VM_PROGS += $(BUILD)/vm/bin/fuzz_guest $(BUILD)/vm/bin/fuzz-seeds.txt
VM_SUITES += fuzz-guest

FUZZ_SECS ?= 600
fuzz_comma := ,
.PHONY: fuzz-guest
fuzz-guest: vm-initramfs
	@case "$(FUZZ_SECS)$(subst $(fuzz_comma),,$(SEED))$(FUZZ_BASE)" in *[!0-9]*) \
		echo "make fuzz-guest: FUZZ_SECS, SEED and FUZZ_BASE want whole numbers" >&2; \
		exit 2;; esac
	@BUILD=$(BUILD) INITRAMFS=$(INITRAMFS) VM_TIMEOUT=$$(($(FUZZ_SECS) + 300)) \
		VM_APPEND="fuzz.secs=$(FUZZ_SECS) $(if $(SEED),fuzz.seed=$(SEED)) $(if $(FUZZ_BASE),fuzz.base=$(FUZZ_BASE)) $(VM_APPEND)" \
		tests/vm/run-suite.sh fuzz-guest $(VM_KVER); \
	status=$$?; \
	tests/lguest/fuzz-save.sh $(BUILD)/vm/fuzz-guest.result \
		$(BUILD)/vm/fuzz-guest.console.log $(FUZZ_GUEST_CORPUS); \
	exit $$status
