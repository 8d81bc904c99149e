# SPDX-License-Identifier: GPL-2.0
#
# Host unit tests of the launcher's virtio devices (transport, rings,
# blk, console, rng, net's copy backend, strict mode's judging of the
# driver) against fake guest memory, under
# ASan and UBSan.
#   make launcher-unit

LAUNCHER_UNIT_BIN := $(BUILD)/launcher-unit/virtio_unit
LAUNCHER_UNIT_SRCS := $(wildcard tests/launcher/unit/*.c) \
	lguest/virtio_mmio.c lguest/virtqueue.c lguest/virtio_blk.c \
	lguest/virtio_console.c lguest/virtio_rng.c lguest/virtio_net.c lguest/virtio_strict.c \
	tests/lib/tap.c tests/lib/driver_ring.c lguest/vring_mem.c fs/vring_core.c
LAUNCHER_UNIT_HDRS := $(wildcard tests/launcher/unit/*.h tests/lib/*.h) lguest/device.h \
	lguest/virtio_mmio.h lguest/virtio_device.h lguest/virtqueue.h lguest/virtio_strict.h \
	include/uapi/linux/tun_vring.h include/uapi/linux/vringfd.h \
	fs/vring_core.h lib/vring_core_user.h lib/kernel_user.h
LAUNCHER_UNIT_CFLAGS := -Wall -Wextra -Werror -O1 -g -Ilguest -Ifs -Ilib \
	-Iinclude/uapi -Itests/launcher/unit -Itests/lib -fsanitize=address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer -pthread -D_GNU_SOURCE

HOST_TESTS += launcher-unit
.PHONY: launcher-unit

$(LAUNCHER_UNIT_BIN): $(LAUNCHER_UNIT_SRCS) $(LAUNCHER_UNIT_HDRS)
	$(call build_program,$(CC) $(LAUNCHER_UNIT_CFLAGS))

launcher-unit: $(LAUNCHER_UNIT_BIN)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 $(LAUNCHER_UNIT_BIN)
