# SPDX-License-Identifier: GPL-2.0
#
# The launcher's virtqueue fuzz target (tests/launcher/fuzz/): its
# virtqueues (lguest/virtqueue.c) on the ring walker (fs/vring_core.c),
# through the launcher's own guest-RAM accessors (lguest/vring_mem.c,
# guest_ptr() in lguest/mem.c), linked as the launcher links them, with
# --virtio-strict's judge (lguest/virtio_strict.c) watching.  The
# harness around it is the vring_core fuzzer's (tests/vringfd/fuzz/).
#
#   make launcher-fuzz-run     libFuzzer for $(FUZZ_SECONDS) s from the
#                              committed corpus; one TAP line
#   make launcher-fuzz-replay  every committed corpus input once, gcc +
#                              sanitizers
#
# Both run in `make check`.  To add a crash input to the corpus after a
# fix, copy it to tests/launcher/fuzz/corpus/ (or add a seed to
# make_corpus.py here).

VIRTQUEUE_FUZZ_SRCS := tests/launcher/fuzz/fuzz_virtqueue.c lguest/virtqueue.c \
	lguest/vring_mem.c lguest/mem.c fs/vring_core.c lguest/virtio_strict.c
VIRTQUEUE_FUZZ_HDRS := tests/vringfd/fuzz/fuzz_input.h lguest/virtqueue.h \
	lguest/device.h lguest/launcher.h lib/vring_core_user.h lib/kernel_user.h fs/vring_core.h \
	lguest/virtio_strict.h lguest/virtio_device.h lguest/virtio_mmio.h
VIRTQUEUE_FUZZ_CFLAGS := $(USER_CFLAGS) -Ilguest -Ifs -Itests/vringfd/fuzz
VIRTQUEUE_FUZZ_CORPUS := tests/launcher/fuzz/corpus

$(BUILD)/fuzz/fuzz_virtqueue: $(VIRTQUEUE_FUZZ_SRCS) $(VIRTQUEUE_FUZZ_HDRS)
	$(call build_program,$(CLANG) $(VIRTQUEUE_FUZZ_CFLAGS) $(FUZZER_CFLAGS))

$(BUILD)/fuzz/fuzz_virtqueue_replay: $(VIRTQUEUE_FUZZ_SRCS) \
		$(VIRTQUEUE_FUZZ_HDRS) tests/vringfd/fuzz/fuzz_replay.c \
		tests/lib/tap.c tests/lib/tap.h
	$(call build_program,$(CC) $(VIRTQUEUE_FUZZ_CFLAGS) -Itests/lib \
		$(SANITIZE_CFLAGS))

.PHONY: launcher-fuzz-run launcher-fuzz-replay
launcher-fuzz-run: $(BUILD)/fuzz/fuzz_virtqueue
	@tests/vringfd/fuzz/run_fuzz.sh $< $(VIRTQUEUE_FUZZ_CORPUS) \
		$(BUILD)/fuzz/run-virtqueue $(FUZZ_SECONDS)

launcher-fuzz-replay: $(BUILD)/fuzz/fuzz_virtqueue_replay
	$(call fuzz_replay_corpus,$<,$(VIRTQUEUE_FUZZ_CORPUS))

HOST_TESTS += launcher-fuzz-replay launcher-fuzz-run
