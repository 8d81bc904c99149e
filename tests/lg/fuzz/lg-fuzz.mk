# SPDX-License-Identifier: GPL-2.0
#
# The hostile-guest fuzzer (tests/lg/fuzz/fuzz_guest.c): random guests
# from seeds, built with the tiny-guest builder of tests/lg/vm/, run by
# the VM suite fuzz-guest (tests/lg/fuzz/fuzz-guest.sh).
# make check replays the seed corpus and runs fresh seeds for about a
# minute; `make fuzz-guest` runs FUZZ_SECS (600) of fresh seeds and adds
# any seed that hurt the host to the corpus; `make fuzz-guest SEED=N`
# (or N,M,...) replays seeds alone, printing the guest each builds and
# every exit; FUZZ_BASE=N runs fresh seeds from N again, and
# VM_APPEND=fuzz.args=--no-xsetbv passes options on to fuzz_guest.

FUZZ_GUEST_CORPUS := tests/lg/fuzz/fuzz-seeds.txt

$(BUILD)/tests/lg/fuzz/%.o: OBJ_CFLAGS = -pthread -Itests/lib -Itests/lg/vm
$(BUILD)/tests/lg/fuzz/fuzz_guest.o: tests/lg/vm/guest.h \
	include/uapi/linux/lguest.h tests/lib/tap.h

$(BUILD)/vm/bin/fuzz_guest: $(BUILD)/tests/lg/fuzz/fuzz_guest.o \
	$(BUILD)/tests/lg/vm/guest.o $(BUILD)/tests/lib/tap.o

# The corpus travels in the initramfs as /bin/fuzz-seeds.txt.
$(BUILD)/vm/bin/fuzz-seeds.txt: $(FUZZ_GUEST_CORPUS)
	@mkdir -p $(dir $@)
	cp $< $@

VM_PROGS += $(BUILD)/vm/bin/fuzz_guest $(BUILD)/vm/bin/fuzz-seeds.txt
VM_SUITES += fuzz-guest
VM_SCRIPTS += tests/lg/fuzz/fuzz-guest.sh

FUZZ_SECS ?= 600
.PHONY: fuzz-guest
fuzz-guest: vm-initramfs
	@case "$(FUZZ_SECS)$(subst $(comma),,$(SEED))$(FUZZ_BASE)" in *[!0-9]*) \
		echo "make fuzz-guest: FUZZ_SECS, SEED and FUZZ_BASE want whole numbers" >&2; \
		exit 2;; esac
	@BUILD=$(BUILD) INITRAMFS=$(INITRAMFS) VM_TIMEOUT=$$(($(FUZZ_SECS) + 300)) \
		VM_APPEND="fuzz.secs=$(FUZZ_SECS) $(if $(SEED),fuzz.seed=$(SEED)) $(if $(FUZZ_BASE),fuzz.base=$(FUZZ_BASE)) $(VM_APPEND)" \
		tests/vm/run-suite.sh fuzz-guest $(VM_KVER); \
	status=$$?; \
	tests/lg/fuzz/fuzz-save.sh $(BUILD)/vm/fuzz-guest.result \
		$(BUILD)/vm/fuzz-guest.console.log $(FUZZ_GUEST_CORPUS); \
	exit $$status
