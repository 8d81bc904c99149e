# SPDX-License-Identifier: GPL-2.0
#
# The vring_core fuzz target (tests/vringfd/fuzz/).
#
#   make fuzz-run       libFuzzer for $(FUZZ_SECONDS) s from the committed
#                       corpus (copied to $(BUILD)/fuzz/run/); one TAP line
#   make fuzz-replay    every committed corpus input once, gcc + sanitizers
#
# Both run in `make check`.  To add a crash input to the corpus after a
# fix, copy it to tests/vringfd/fuzz/corpus/ (or add a seed to
# make_corpus.py).  fuzz_input.h, fuzz_replay.c, run_fuzz.sh and
# fuzz_replay_corpus below also serve the launcher's virtqueue fuzzer
# (tests/launcher/fuzz/).

CLANG ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SRCS := tests/vringfd/fuzz/fuzz_vring_core.c tests/vringfd/unit/fake_mem.c \
	fs/vring_core.c
FUZZ_HDRS := tests/vringfd/unit/fake_mem.h tests/vringfd/fuzz/fuzz_input.h \
	lib/vring_core_user.h lib/kernel_user.h fs/vring_core.h
FUZZ_CFLAGS := $(USER_CFLAGS) -Itests/vringfd/unit -Ifs
FUZZ_CORPUS := tests/vringfd/fuzz/corpus
FUZZER_CFLAGS := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

$(BUILD)/fuzz/fuzz_vring_core: $(FUZZ_SRCS) $(FUZZ_HDRS)
	$(call build_program,$(CLANG) $(FUZZ_CFLAGS) $(FUZZER_CFLAGS))

# The same target without libFuzzer, for replaying inputs (gcc; the
# sanitizer flags come from vringfd-unit.mk).
$(BUILD)/fuzz/fuzz_replay: $(FUZZ_SRCS) $(FUZZ_HDRS) tests/vringfd/fuzz/fuzz_replay.c \
		tests/lib/tap.c tests/lib/tap.h
	$(call build_program,$(CC) $(FUZZ_CFLAGS) -Itests/lib $(SANITIZE_CFLAGS))

.PHONY: fuzz-run fuzz-replay
fuzz-run: $(BUILD)/fuzz/fuzz_vring_core
	@tests/vringfd/fuzz/run_fuzz.sh $< $(FUZZ_CORPUS) $(BUILD)/fuzz/run \
		$(FUZZ_SECONDS)

# $(call fuzz_replay_corpus,REPLAY,CORPUS): every input of CORPUS through
# the replay program REPLAY.  A replay that dies (an invariant aborts)
# leaves its TAP short: say which.
define fuzz_replay_corpus
@for input in $(2)/*; do \
	$(SANITIZE_ENV) $(1) $$input > $(1).out 2>&1; \
	status=$$?; grep -E '^(ok|#)' $(1).out | sed 's/^ok 1 /ok /'; \
	if [ $$status -ne 0 ]; then \
		echo "not ok - fuzz input $$input crashes (status $$status)"; \
		grep -E 'invariant|ERROR|runtime error' $(1).out | head -3 | \
			sed 's/^/#   /'; \
		failed=1; \
	fi; \
done; exit $${failed:-0}
endef

fuzz-replay: $(BUILD)/fuzz/fuzz_replay
	$(call fuzz_replay_corpus,$<,$(FUZZ_CORPUS))

HOST_TESTS += fuzz-replay fuzz-run
