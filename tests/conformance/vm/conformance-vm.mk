# SPDX-License-Identifier: GPL-2.0
#
# The ring ABI conformance suite: virtio 1.2 split-ring statements checked
# against vringfd and vring_echo in the test host VM.
#
#   $(BUILD)/vm/bin/ring_conformance   the test program (static)
#   make conformance-selftest          its own machinery, on the host
#   make conformance-doc               run the VM suite "conformance" (on
#                                      6.1 and 6.12) and regenerate the
#                                      table in Documentation/ring-conformance.md
#
# The VM suite is tests/conformance/vm/conformance.sh.

CONF_SRCS := $(wildcard tests/conformance/vm/*.c)
CONF_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(CONF_SRCS))
CONF_HDRS := $(wildcard tests/conformance/vm/*.h) include/uapi/linux/vringfd.h \
	tests/vringfd/kmod/vring_echo.h tests/lib/tap.h

$(BUILD)/tests/conformance/vm/%.o: OBJ_CFLAGS = -pthread -Itests/lib
$(CONF_OBJS): $(CONF_HDRS)

$(BUILD)/vm/bin/ring_conformance: PROG_CFLAGS = -pthread
$(BUILD)/vm/bin/ring_conformance: $(CONF_OBJS) $(BUILD)/tests/lib/tap.o

VM_PROGS += $(BUILD)/vm/bin/ring_conformance
VM_SUITES += conformance
VM_SCRIPTS += tests/conformance/vm/conformance.sh

# On the host: the suite's own audit, harvest and guard pages, checked
# against a device this program fakes (no /dev/vring needed).
.PHONY: conformance-selftest
conformance-selftest: $(BUILD)/vm/bin/ring_conformance
	$(BUILD)/vm/bin/ring_conformance -S
HOST_TESTS += conformance-selftest

# The table is generated from real runs: the VM kernel's, and the newest
# 6.12's when one is installed (a line comparing its verdicts).
CONF_DOC_KVERS := $(VM_KVER) $(filter-out $(VM_KVER),$(KVER612))
conf_result = $(BUILD)/vm/conformance-$(1).result

.PHONY: conformance-doc
conformance-doc:
	@for k in $(CONF_DOC_KVERS); do \
		tests/vm/run-suite.sh conformance $$k >/dev/null; \
		cp $(BUILD)/vm/conformance.result $(BUILD)/vm/conformance-$$k.result; \
	done
	tests/conformance/vm/gen-doc.sh $(foreach k,$(firstword $(CONF_DOC_KVERS)),$(call conf_result,$(k))) \
		Documentation/ring-conformance.md \
		$(foreach k,$(wordlist 2,9,$(CONF_DOC_KVERS)),$(call conf_result,$(k)))
