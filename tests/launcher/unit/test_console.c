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
	struct test_buf bufs[2] = {
		{ guest_alloc(6), 6, false }, { guest_alloc(7), 7, false } };
	char got[32] = "";
	uint32_t id, len;
	int out[2];

	expect(pipe2(out, O_NONBLOCK) == 0);
	virtio_console_create(&test_mem, out[1], -1);
	expect(fake_watch_count == 0);
	expect(driver_probe(&drv, &fake_windows[0], ~0ULL, 2));
	memcpy(host(bufs[0].gpa), "hello ", 6);
	memcpy(host(bufs[1].gpa), "world!\n", 7);
	driver_add(&drv, TRANSMIT_QUEUE, bufs, 2);
	driver_kick(&drv, TRANSMIT_QUEUE);
	expect(driver_used(&drv, TRANSMIT_QUEUE, &id, &len) && len == 0);
	expect(read(out[0], got, sizeof(got) - 1) == 13);
	expect(!strcmp(got, "hello world!\n"));
	close(out[0]);
	close(out[1]);
}

static void input_reaches_guest(void)
{
	struct test_driver drv;
	struct test_buf buf = { guest_alloc(64), 64, true };
	uint32_t id, len;
	int in[2], out[2];

	expect(pipe2(in, O_NONBLOCK) == 0 && pipe2(out, O_NONBLOCK) == 0);
	virtio_console_create(&test_mem, out[1], in[0]);
	expect(fake_watch_count == 1 && fake_watches[0].fd == in[0]);
	expect(driver_probe(&drv, &fake_windows[0], ~0ULL, 2));
	/* Input before any receive buffer waits for one. */
	expect(write(in[1], "ab", 2) == 2);
	fake_watches[0].fn(fake_watches[0].opaque);
	expect(!driver_used(&drv, RECEIVE_QUEUE, &id, &len));
	driver_add(&drv, RECEIVE_QUEUE, &buf, 1);
	driver_kick(&drv, RECEIVE_QUEUE);
	expect(driver_used(&drv, RECEIVE_QUEUE, &id, &len) && len == 2);
	expect(!memcmp(host(buf.gpa), "ab", 2));
	expect(irq_pulses[5] == 1);
	/* Input with a buffer waiting goes straight in. */
	driver_add(&drv, RECEIVE_QUEUE, &buf, 1);
	driver_kick(&drv, RECEIVE_QUEUE);
	expect(write(in[1], "xyz", 3) == 3);
	fake_watches[0].fn(fake_watches[0].opaque);
	expect(driver_used(&drv, RECEIVE_QUEUE, &id, &len) && len == 3);
	expect(!memcmp(host(buf.gpa), "xyz", 3));
	for (int i = 0; i < 2; i++) {
		close(in[i]);
		close(out[i]);
	}
}

const struct unit_test console_tests[] = {
	{ "console: transmitted bytes arrive on the output pipe", transmit_reaches_fd },
	{ "console: input pipe bytes arrive in receive buffers", input_reaches_guest },
	{ NULL, NULL },
};
