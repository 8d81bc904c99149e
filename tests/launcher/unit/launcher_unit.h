/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host unit tests of the launcher's virtio devices: the device code runs
 * against fake guest memory (a malloc'd buffer) and a fake launcher
 * (fake_launcher.c implements lguest/device.h), and the tests play the
 * guest's driver by hand: registers through the recorded MMIO ops, rings
 * and descriptor chains built in the fake memory.
 */
#ifndef LAUNCHER_UNIT_H
#define LAUNCHER_UNIT_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include "device.h"
#include "driver_ring.h"
#include "virtio_mmio.h"
#include "tap.h"

#define GUEST_RAM_SIZE		(1024 * 1024)
#define TEST_QUEUE_SIZE		16
/* As many queues as a device may have: virtio-net's 8 pairs + control. */
#define TEST_MAX_QUEUES		(2 * LGUEST_NET_MAX_PAIRS + 1)
/* The I/O thread's watches: a console's input, a net card's 8 taps. */
#define FAKE_MAX_WATCHES	16

/* --- the fake launcher ---------------------------------------------- */

extern struct guest_mem test_mem;

struct fake_window {
	uint64_t base, len;
	const struct mmio_ops *ops;
	void *opaque;
};

struct fake_watch {
	int fd;
	void (*fn)(void *opaque);
	void *opaque;
};

extern struct fake_window fake_windows[16];
extern unsigned int fake_window_count;
extern unsigned int irq_pulses[16];
extern char fake_cmdline[1024];
extern struct fake_watch fake_watches[FAKE_MAX_WATCHES];
extern unsigned int fake_watch_count;

/* guest_rip()'s answer (FAKE_RIP unless a test sets it), or none at all. */
#define FAKE_RIP	0xffffffff81234567ULL
extern uint64_t fake_rip;
extern bool fake_on_io_thread;
/* Run race() once, at the countdown-th guest_ptr() of gpa. */
extern uint64_t fake_race_gpa;
extern unsigned int fake_race_countdown;
extern void (*fake_race)(void);
/* Where launcher_exit() jumps (a test that expects it sets it), and why. */
extern jmp_buf *fake_exit_jump;
extern int fake_exit_status;

/* Fresh guest memory, no devices, no recorded calls. */
void fake_reset(void);
/* Guest-physical memory, page-aligned, from the fake guest's allocator. */
uint64_t guest_alloc(uint64_t bytes);
void *host(uint64_t gpa);

uint32_t mmio_read32(struct fake_window *win, uint64_t offset);
void mmio_write32(struct fake_window *win, uint64_t offset, uint32_t value);

/* Is fd watched by the fake I/O thread? */
bool fake_watched(int fd);
/*
 * Play the I/O thread's poll() seeing fd readable: call its callback.
 * false if nobody watches fd (so nothing would have been called).
 */
bool fake_fd_ready(int fd);

/* --- the test's guest driver ------------------------------------------ */

struct test_queue {
	struct driver_ring ring;	/* tests/lib/driver_ring.h */
	uint64_t desc_gpa, avail_gpa, used_gpa;
};

struct test_driver {
	struct fake_window *win;
	uint64_t features;
	struct test_queue queues[TEST_MAX_QUEUES];
};

/*
 * Probe as Linux's virtio_mmio + a virtio driver do: reset, ACKNOWLEDGE,
 * DRIVER, features (wanted & offered), FEATURES_OK, queues, DRIVER_OK.
 * false if the device refused (FEATURES_OK didn't stick).
 */
bool driver_probe(struct test_driver *drv, struct fake_window *win,
		  uint64_t wanted, unsigned int queue_count);
/* The same up to DRIVER_OK, which it leaves unset. */
bool driver_probe_until_ready(struct test_driver *drv, struct fake_window *win,
			      uint64_t wanted, unsigned int queue_count);
/* Status |= bits, as Linux's virtio_add_status() does (read, then write). */
void driver_set_status(struct test_driver *drv, uint32_t bits);
/*
 * Put a chain (buffers at guest-physical addresses) into the descriptor
 * table and publish it on the avail ring; its head.
 */
uint16_t driver_add(struct test_driver *drv, unsigned int queue,
		    const struct driver_buf *bufs, unsigned int count);
void driver_kick(struct test_driver *drv, unsigned int queue);
/* Take the next used entry; false if there is none. */
bool driver_used(struct test_driver *drv, unsigned int queue, uint32_t *id,
		 uint32_t *len);
uint16_t *avail_ring_field(struct test_driver *drv, unsigned int queue,
			   unsigned int index);
uint16_t *used_ring_field(struct test_driver *drv, unsigned int queue,
			  unsigned int index);
struct vring_desc *desc_entry(struct test_driver *drv, unsigned int queue,
			      unsigned int index);

/* --- TAP (tests/lib/tap.h: CHECK() records a failed expectation) ------ */

/* Each file's tests: a table of test functions ending in a NULL name. */
extern const struct tap_test transport_tests[], blk_tests[], rng_tests[],
	console_tests[], notify_tests[], hostile_tests[], net_tests[],
	strict_tests[];

#endif /* LAUNCHER_UNIT_H */
