# SPDX-License-Identifier: GPL-2.0
#
# The ring ABI conformance suite: virtio 1.2 split-ring statements checked
# against vringfd and vring_echo in the test host VM.
#
#   $(BUILD)/vm/bin/ring_conformance   the test program (static)
#   make conformance-selftest          its own machinery, on the host
#   make conformance-doc               run the VM suite "conformance" and
#                                      regenerate the results table in
#                                      Documentation/ring-conformance.md
#
# The VM suite is tests/vm/suites/conformance.sh.

CONF_SRCS := $(wildcard tests/conformance/*.c)
CONF_OBJS := $(patsubst tests/conformance/%.c,$(BUILD)/conformance/%.o,$(CONF_SRCS))
CONF_HDRS := $(wildcard tests/conformance/*.h) include/uapi/linux/vringfd.h \
	tests/kmod/vring_echo.h

$(BUILD)/conformance/%.o: tests/conformance/%.c $(CONF_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(VM_CFLAGS) -pthread -c $< -o $@

$(BUILD)/vm/bin/ring_conformance: $(CONF_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(VM_CFLAGS) -pthread -o $@ $^

VM_PROGS += $(BUILD)/vm/bin/ring_conformance
VM_SUITES += conformance

# On the host: the suite's own audit, harvest and guard pages, checked
# against a device this program fakes (no /dev/vring needed).
.PHONY: conformance-selftest
conformance-selftest: $(BUILD)/vm/bin/ring_conformance
	$(BUILD)/vm/bin/ring_conformance -S
HOST_TESTS += conformance-selftest

.PHONY: conformance-doc
conformance-doc: vm-initramfs
	tests/vm/run-suite.sh conformance $(VM_KVER) || true
	tests/conformance/gen-doc.sh $(BUILD)/vm/conformance.result \
		Documentation/ring-conformance.md
