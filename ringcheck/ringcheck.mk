# SPDX-License-Identifier: GPL-2.0
#
# ringcheck: the virtio ring rules checked against other implementations
# (ringcheck/ringcheck.h says how).  A host program: vhost-user back-ends
# run on this machine with no VM.
#
#   make ringcheck            $(BUILD)/ringcheck/ringcheck
#   make ringcheck-testpmd    ringcheck against DPDK's vhost-user back-end
#   make ringcheck-selftest   each check fails against a back-end that
#                             breaks its rule (tests/ringcheck/host/vu_loop.c)
#   make ringcheck-doc        the results matrix of ring-conformance.md

RINGCHECK_BIN := $(BUILD)/ringcheck/ringcheck

$(RINGCHECK_BIN): $(wildcard ringcheck/*.c) $(wildcard ringcheck/*.h) ringcheck/ringcheck.mk
	$(call build_program,$(CC) $(USER_CFLAGS))

RINGCHECK_VU_LOOP := $(BUILD)/ringcheck/vu_loop

$(RINGCHECK_VU_LOOP): tests/ringcheck/host/vu_loop.c ringcheck/ringcheck.mk
	$(call build_program,$(CC) $(USER_CFLAGS))

.PHONY: ringcheck ringcheck-testpmd ringcheck-selftest ringcheck-doc
ringcheck: $(RINGCHECK_BIN)

ringcheck-selftest: $(RINGCHECK_BIN) $(RINGCHECK_VU_LOOP)
	@tests/ringcheck/host/selftest.sh $(RINGCHECK_BIN) $(RINGCHECK_VU_LOOP)

ringcheck-testpmd: $(RINGCHECK_BIN)
	@tests/ringcheck/host/testpmd.sh $(RINGCHECK_BIN)

# The results matrix in Documentation/ring-conformance.md, from a run.
ringcheck-doc: $(RINGCHECK_BIN) $(RINGCHECK_VU_LOOP)
	@tests/ringcheck/host/gen-doc.sh $(RINGCHECK_BIN) $(RINGCHECK_VU_LOOP) \
		Documentation/ring-conformance.md $(BUILD)/vm/ringcheck.result

HOST_TESTS += ringcheck-selftest ringcheck-testpmd

# The ringcheck suite in the test VM (tests/ringcheck/vm/ringcheck.sh):
# the vhost-net target against the VM's kernel, with its known deviations,
# and the vringfd target (our modules, loaded from /lib/lguest).
#
#   make vm-suite SUITE=ringcheck
$(BUILD)/vm/bin/ringcheck: $(wildcard ringcheck/*.c) $(wildcard ringcheck/*.h)
VM_PROGS += $(BUILD)/vm/bin/ringcheck
VM_SUITES += ringcheck
VM_KMODS += tun vhost_net
VM_SCRIPTS += tests/ringcheck/vm/ringcheck.sh tests/ringcheck/deviations.awk \
	ringcheck/deviations/vhost-net-6.1 ringcheck/deviations/vhost-net-6.12
