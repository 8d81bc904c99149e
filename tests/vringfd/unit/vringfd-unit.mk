# SPDX-License-Identifier: GPL-2.0
#
# Unit tests of fs/vring_core.c, built for the host against the fake
# address space in tests/vringfd/unit/ and run under AddressSanitizer and
# UndefinedBehaviorSanitizer.  `make unit-check` prints TAP.

UNIT_SRCS := $(sort $(wildcard tests/vringfd/unit/*.c)) fs/vring_core.c \
	tests/lib/tap.c tests/lib/driver_ring.c
UNIT_HDRS := $(wildcard tests/vringfd/unit/*.h tests/lib/*.h) \
	fs/vring_core.h lib/vring_core_user.h lib/kernel_user.h
SANITIZE_CFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
		   -fno-omit-frame-pointer
# vring_core_user.h, the userspace half of vring_core.h, is in lib/
# (USER_CFLAGS has -Ilib).
UNIT_CFLAGS := $(USER_CFLAGS) -Itests/vringfd/unit -Itests/lib -Ifs \
	$(SANITIZE_CFLAGS)

# A sanitizer report ends the program with this status, so a crash is
# told apart from "some tests failed" (status 1).
SANITIZE_ENV := ASAN_OPTIONS=exitcode=86:detect_leaks=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=86

$(BUILD)/unit/test_vring_core: $(UNIT_SRCS) $(UNIT_HDRS)
	$(call build_program,$(CC) $(UNIT_CFLAGS))

# The TAP stream comes from the program; if it dies before its last line,
# one "not ok" more says so, so the count cannot come out clean.
.PHONY: unit-check
unit-check: $(BUILD)/unit/test_vring_core
	@$(SANITIZE_ENV) $< > $(BUILD)/unit/test_vring_core.tap 2>&1; \
	status=$$?; cat $(BUILD)/unit/test_vring_core.tap; \
	if [ $$status -gt 1 ]; then \
		echo "not ok - test_vring_core died (status $$status)"; \
	fi; \
	exit $$status

HOST_TESTS += unit-check
