// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-console: what the guest transmits arrives on the output fd; what
 * is written to the input fd arrives in the guest's receive buffers.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "launcher_unit.h"
#include "virtio_mmio.h"

#define RECEIVE_QUEUE	0
#define TRANSMIT_QUEUE	1

static void transmit_reaches_fd(void)
{
	struct test_driver drv;
	struct driver_buf bufs[2] = {
		{ guest_alloc(6), 6, false }, { guest_alloc(7), 7, false } };
	char got[32] = "";
	uint32_t id, len;
	int out[2];

	CHECK(pipe2(out, O_NONBLOCK) == 0);
	virtio_console_create(&test_mem, out[1], -1);
	CHECK(fake_watch_count == 0);
	CHECK(driver_probe(&drv, &fake_windows[0], ~0ULL, 2));
	memcpy(host(bufs[0].addr), "hello ", 6);
	memcpy(host(bufs[1].addr), "world!\n", 7);
	driver_add(&drv, TRANSMIT_QUEUE, bufs, 2);
	driver_kick(&drv, TRANSMIT_QUEUE);
	CHECK(driver_used(&drv, TRANSMIT_QUEUE, &id, &len) && len == 0);
	CHECK(read(out[0], got, sizeof(got) - 1) == 13);
	CHECK(!strcmp(got, "hello world!\n"));
	close(out[0]);
	close(out[1]);
}

static void input_reaches_guest(void)
{
	struct test_driver drv;
	struct driver_buf buf = { guest_alloc(64), 64, true };
	uint32_t id, len;
	int in[2], out[2];

	CHECK(pipe2(in, O_NONBLOCK) == 0 && pipe2(out, O_NONBLOCK) == 0);
	virtio_console_create(&test_mem, out[1], in[0]);
	CHECK(fake_watch_count == 1 && fake_watches[0].fd == in[0]);
	CHECK(driver_probe(&drv, &fake_windows[0], ~0ULL, 2));
	/* Input before any receive buffer waits for one. */
	CHECK(write(in[1], "ab", 2) == 2);
	fake_watches[0].fn(fake_watches[0].opaque);
	CHECK(!driver_used(&drv, RECEIVE_QUEUE, &id, &len));
	driver_add(&drv, RECEIVE_QUEUE, &buf, 1);
	driver_kick(&drv, RECEIVE_QUEUE);
	CHECK(driver_used(&drv, RECEIVE_QUEUE, &id, &len) && len == 2);
	CHECK(!memcmp(host(buf.addr), "ab", 2));
	CHECK(irq_pulses[5] == 1);
	/* Input with a buffer waiting goes straight in. */
	driver_add(&drv, RECEIVE_QUEUE, &buf, 1);
	driver_kick(&drv, RECEIVE_QUEUE);
	CHECK(write(in[1], "xyz", 3) == 3);
	fake_watches[0].fn(fake_watches[0].opaque);
	CHECK(driver_used(&drv, RECEIVE_QUEUE, &id, &len) && len == 3);
	CHECK(!memcmp(host(buf.addr), "xyz", 3));
	for (int i = 0; i < 2; i++) {
		close(in[i]);
		close(out[i]);
	}
}

/*
 * Receive buffers with no room (readable only) take no input: the first
 * is given back empty and delivery stops there, rather than going through
 * every such buffer the guest offers (a guest that keeps offering them
 * would keep the I/O thread turning for nothing).
 */
static void roomless_buffer_stops_delivery(void)
{
	struct test_driver drv;
	struct driver_buf roomless = { guest_alloc(8), 8, false };
	struct driver_buf room = { guest_alloc(8), 8, true };
	uint32_t id, len;
	int in[2], out[2];

	CHECK(pipe2(in, O_NONBLOCK) == 0 && pipe2(out, O_NONBLOCK) == 0);
	virtio_console_create(&test_mem, out[1], in[0]);
	CHECK(driver_probe(&drv, &fake_windows[0], ~0ULL, 2));
	for (int i = 0; i < 3; i++)
		driver_add(&drv, RECEIVE_QUEUE, &roomless, 1);
	CHECK(write(in[1], "ab", 2) == 2);
	fake_watches[0].fn(fake_watches[0].opaque);
	CHECK(driver_used(&drv, RECEIVE_QUEUE, &id, &len) && len == 0);
	CHECK(!driver_used(&drv, RECEIVE_QUEUE, &id, &len));
	/* The input waits: each kick gives back one more roomless buffer... */
	for (int i = 0; i < 2; i++) {
		driver_kick(&drv, RECEIVE_QUEUE);
		CHECK(driver_used(&drv, RECEIVE_QUEUE, &id, &len) && len == 0);
		CHECK(!driver_used(&drv, RECEIVE_QUEUE, &id, &len));
	}
	/* ... and a buffer with room, once there is one, gets it all. */
	driver_add(&drv, RECEIVE_QUEUE, &room, 1);
	driver_kick(&drv, RECEIVE_QUEUE);
	CHECK(driver_used(&drv, RECEIVE_QUEUE, &id, &len) && len == 2);
	CHECK(!memcmp(host(room.addr), "ab", 2));
	for (int i = 0; i < 2; i++) {
		close(in[i]);
		close(out[i]);
	}
}

const struct tap_test console_tests[] = {
	{ "console: transmitted bytes arrive on the output pipe", transmit_reaches_fd },
	{ "console: input pipe bytes arrive in receive buffers", input_reaches_guest },
	{ "console: a receive buffer with no room ends the delivery", roomless_buffer_stops_delivery },
	{ NULL, NULL },
};
