// SPDX-License-Identifier: GPL-2.0
/* virtio-rng: writable buffers come back full of random bytes. */
#include <string.h>

#include "launcher_unit.h"
#include "virtio_mmio.h"

static bool all_zero(const uint8_t *bytes, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (bytes[i])
			return false;
	return true;
}

static void fills_buffer(void)
{
	struct test_driver drv;
	struct driver_buf buf = { guest_alloc(64), 64, true };
	uint32_t id, len;
	uint16_t head;

	virtio_rng_create(&test_mem);
	CHECK(driver_probe(&drv, &fake_windows[0], ~0ULL, 1));
	head = driver_add(&drv, 0, &buf, 1);
	driver_kick(&drv, 0);
	CHECK(driver_used(&drv, 0, &id, &len));
	CHECK(id == head && len == 64);
	CHECK(!all_zero(host(buf.addr), 64));
	/* The bytes past the buffer are untouched. */
	CHECK(all_zero((uint8_t *)host(buf.addr) + 64, 64));
}

static void fills_every_buffer_of_chain(void)
{
	struct test_driver drv;
	struct driver_buf bufs[2] = {
		{ guest_alloc(16), 16, true }, { guest_alloc(100), 100, true } };
	uint32_t id, len;

	virtio_rng_create(&test_mem);
	CHECK(driver_probe(&drv, &fake_windows[0], ~0ULL, 1));
	driver_add(&drv, 0, bufs, 2);
	driver_kick(&drv, 0);
	CHECK(driver_used(&drv, 0, &id, &len) && len == 116);
	CHECK(!all_zero(host(bufs[0].addr), 16));
	CHECK(!all_zero(host(bufs[1].addr), 100));
}

const struct tap_test rng_tests[] = {
	{ "rng: fills a 64-byte buffer, used len 64", fills_buffer },
	{ "rng: fills every buffer of a chain", fills_every_buffer_of_chain },
	{ NULL, NULL },
};
