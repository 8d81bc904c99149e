# SPDX-License-Identifier: GPL-2.0
#
# Host unit tests of lg.ko's emulation parts (drivers/lguest/pic.c, pit.c,
# decode.c, walk.c), the very files the module builds, compiled for the
# host with tests/lguest-unit/lg_emul_user.h and run under AddressSanitizer
# and UndefinedBehaviorSanitizer.  `make lguest-unit-check` prints TAP.
# events.c runs too, over the checked kernel stand-ins of
# tests/lguest-unit/kmock/ (test_events.c).

LGUNIT_EMUL := $(addprefix drivers/lguest/,pic.c pit.c decode.c walk.c) \
	       drivers/lguest/events.c tests/lguest-unit/kmock/kmock.c
LGUNIT_SRCS := $(sort $(wildcard tests/lguest-unit/*.c)) $(LGUNIT_EMUL)
LGUNIT_HDRS := $(wildcard tests/lguest-unit/*.h) drivers/lguest/lg_emul.h \
	       drivers/lguest/lg.h include/uapi/linux/lguest.h \
	       $(wildcard tests/lguest-unit/kmock/*.h tests/lguest-unit/kmock/*/*.h)
LGUNIT_CFLAGS := $(USER_CFLAGS) -Idrivers/lguest -Itests/lguest-unit \
		 -Itests/lguest-unit/kmock -Wno-unused-parameter \
		 -fsanitize=address,undefined -fno-sanitize-recover=all \
		 -fno-omit-frame-pointer
LGUNIT_ENV := ASAN_OPTIONS=exitcode=86:detect_leaks=1 \
	      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=86
LGUNIT_BIN := $(BUILD)/lguest-unit/test_lg_emul

$(LGUNIT_BIN): $(LGUNIT_SRCS) $(LGUNIT_HDRS)
	@mkdir -p $(@D)
	$(CC) $(LGUNIT_CFLAGS) -o $@ $(LGUNIT_SRCS)

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
