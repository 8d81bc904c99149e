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
# (bench/gen-doc.sh), with its tables as pictures in
# Documentation/benchmarks/ (bench/plot.py); run it after make bench, and
# commit the page and the pictures.
BENCH_DOC_SUITES := bench-net
.PHONY: bench-doc bench-plots bench-plot-check
bench-doc:
	rm -f Documentation/benchmarks/*.png
	bench/plot.py Documentation/benchmarks $(BENCH_DOC_SUITES:%=$(BUILD)/vm/%.result)
	bench/gen-doc.sh $(BENCH_DOC_SUITES:%=$(BUILD)/vm/%.result) \
		>Documentation/benchmarks.rst.tmp
	mv Documentation/benchmarks.rst.tmp Documentation/benchmarks.rst

# make bench's tables as pictures, one per table: $(BUILD)/bench/plots/
# (the bench target makes them after its suites).
bench-plots:
	bench/plot.py $(BUILD)/bench/plots $(wildcard $(BENCH_SUITES:%=$(BUILD)/vm/%.result))

# bench/plot.py against a result of known shape (tests/bench/host/).
bench-plot-check:
	@tests/bench/host/plot-check.sh
HOST_TESTS += bench-plot-check
