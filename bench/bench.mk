# SPDX-License-Identifier: GPL-2.0
#
# Benchmarks that run in the test host VM (`make bench`).
#
#   $(BUILD)/vm/bin/echo_bench   vring pair through vring_echo vs a pipe
#
# The VM suite "bench" (tests/vm/suites/bench.sh) runs it.

$(BUILD)/bench/echo_bench.o: bench/echo_bench.c tests/vring/ring.h $(VRING_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(VM_CFLAGS) -Itests/vring -c $< -o $@

$(BUILD)/vm/bin/echo_bench: $(BUILD)/bench/echo_bench.o $(BUILD)/vring/ring.o \
		$(LIBVRINGFD)
	@mkdir -p $(dir $@)
	$(CC) $(VM_CFLAGS) -o $@ $^

VM_PROGS += $(BUILD)/vm/bin/echo_bench
BENCH_SUITES += bench
