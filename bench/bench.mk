# SPDX-License-Identifier: GPL-2.0
#
# Benchmarks that run in the test host VM (`make bench`).
#
#   $(BUILD)/vm/bin/echo_bench   vring pair through vring_echo vs a pipe
#
# The VM suite "bench" (bench/bench.sh) runs it.

$(BUILD)/bench/%.o: OBJ_CFLAGS = -Itests/lib
$(BUILD)/bench/echo_bench.o: tests/lib/ring.h tests/lib/driver_ring.h lib/vringfd.h \
	include/uapi/linux/vringfd.h tests/vringfd/kmod/vring_echo.h

$(BUILD)/vm/bin/echo_bench: $(BUILD)/bench/echo_bench.o $(BUILD)/tests/lib/ring.o \
	$(BUILD)/tests/lib/driver_ring.o $(LIBVRINGFD)

VM_PROGS += $(BUILD)/vm/bin/echo_bench
BENCH_SUITES += bench
VM_SCRIPTS += bench/bench.sh

# The fragments of the other bench suites that are not in the Makefile's
# list: bench/smp.mk (the --cpus=2 benchmarks).
include bench/smp.mk

# Documentation/benchmarks.rst from the last `make bench` run's results
# (bench/gen-doc.sh); run it after make bench, and commit the page.
BENCH_DOC_SUITES := bench-net
.PHONY: bench-doc
bench-doc:
	bench/gen-doc.sh $(BENCH_DOC_SUITES:%=$(BUILD)/vm/%.result) \
		>Documentation/benchmarks.rst.tmp
	mv Documentation/benchmarks.rst.tmp Documentation/benchmarks.rst
