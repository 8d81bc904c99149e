# SPDX-License-Identifier: GPL-2.0
#
# Host unit tests of lg.ko's emulation parts (drivers/lguest/pic.c, pit.c,
# lapic.c, ioapic.c, decode.c, walk.c), the very files the module builds, compiled for the
# host with tests/lg/unit/lg_emul_user.h and run under AddressSanitizer
# and UndefinedBehaviorSanitizer.  `make lguest-unit-check` prints TAP.
# events.c and apic.c run too, over the checked kernel stand-ins of
# tests/lg/unit/kmock/ (test_events.c, test_apic_wiring.c).

LGUNIT_EMUL := $(addprefix drivers/lguest/,pic.c pit.c lapic.c ioapic.c decode.c walk.c) \
	       drivers/lguest/events.c drivers/lguest/apic.c \
	       tests/lg/unit/kmock/kmock.c \
	       tests/lib/tap.c
LGUNIT_SRCS := $(sort $(wildcard tests/lg/unit/*.c)) $(LGUNIT_EMUL)
LGUNIT_HDRS := $(wildcard tests/lg/unit/*.h) lib/kernel_user.h tests/lib/tap.h drivers/lguest/lg_emul.h \
	       drivers/lguest/lg.h include/uapi/linux/lguest.h \
	       $(wildcard tests/lg/unit/kmock/*.h tests/lg/unit/kmock/*/*.h)
LGUNIT_CFLAGS := $(USER_CFLAGS) -Idrivers/lguest -Itests/lg/unit -Itests/lib \
		 -Itests/lg/unit/kmock -Wno-unused-parameter \
		 -fsanitize=address,undefined -fno-sanitize-recover=all \
		 -fno-omit-frame-pointer
LGUNIT_ENV := ASAN_OPTIONS=exitcode=86:detect_leaks=1 \
	      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=86
LGUNIT_BIN := $(BUILD)/lguest-unit/test_lg_emul

$(LGUNIT_BIN): $(LGUNIT_SRCS) $(LGUNIT_HDRS)
	$(call build_program,$(CC) $(LGUNIT_CFLAGS))

# If the program dies before its last line (a sanitizer report, a crash),
# one more "not ok" says so, so the count cannot come out clean.
.PHONY: lguest-unit-check
lguest-unit-check: $(LGUNIT_BIN)
	@$(LGUNIT_ENV) $< > $(LGUNIT_BIN).tap 2>&1; \
	status=$$?; cat $(LGUNIT_BIN).tap; \
	if [ $$status -gt 1 ]; then \
		echo "not ok - test_lg_emul died (status $$status)"; \
	fi; \
	exit $$status

HOST_TESTS += lguest-unit-check
