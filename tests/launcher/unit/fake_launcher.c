// SPDX-License-Identifier: GPL-2.0
/*
 * The fake launcher: lguest/device.h over a malloc'd "guest RAM", with
 * every call the devices make recorded for the tests to look at.  The
 * buffer is exactly GUEST_RAM_SIZE bytes, so AddressSanitizer catches a
 * device touching one byte past the guest's memory.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "launcher_unit.h"
#include "virtio_mmio.h"
#include "virtio_strict.h"

struct guest_mem test_mem;
struct fake_window fake_windows[16];
unsigned int fake_window_count;
unsigned int irq_pulses[16];
char fake_cmdline[1024];
struct fake_watch fake_watches[FAKE_MAX_WATCHES];
unsigned int fake_watch_count;

static uint64_t next_free_gpa;
jmp_buf die_jump;
bool die_armed;
char die_message[256];

/*
 * A guest vCPU running while the launcher reads its RAM: the test arms
 * a hook that runs once, at the Nth lookup of one guest address (the
 * count makes "between strict mode's read and the walker's" a place).
 */
uint64_t fake_race_gpa;
unsigned int fake_race_countdown;
void (*fake_race)(void);

void *guest_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	if (gpa > mem->size || len > mem->size - gpa)
		return NULL;
	if (fake_race && gpa == fake_race_gpa && !--fake_race_countdown) {
		void (*race)(void) = fake_race;

		fake_race = NULL;
		race();
	}
	return mem->base + gpa;
}

int mmio_register(uint64_t base, uint64_t len, const struct mmio_ops *ops,
		  void *opaque)
{
	if (fake_window_count == 16)
		return -1;
	fake_windows[fake_window_count++] = (struct fake_window){
		base, len, ops, opaque };
	return 0;
}

int pio_register(uint16_t base, uint16_t len, const struct mmio_ops *ops,
		 void *opaque)
{
	(void)base, (void)len, (void)ops, (void)opaque;
	return -1;
}

void irq_pulse(unsigned int line)
{
	if (line < 16)
		irq_pulses[line]++;
}

void irq_set_level(unsigned int line, int level)
{
	(void)line, (void)level;
}

int io_watch(int fd, void (*fn)(void *opaque), void *opaque)
{
	if (fake_watch_count == FAKE_MAX_WATCHES)
		return -1;
	fake_watches[fake_watch_count++] = (struct fake_watch){ fd, fn, opaque };
	return 0;
}

/* The launcher's terminal bookkeeping: nothing to do here. */
void console_handover(void)
{
}

/* A device stops watching fd (at its end of file): forget it. */
int io_unwatch(int fd)
{
	unsigned int i;

	for (i = 0; i < fake_watch_count; i++) {
		if (fake_watches[i].fd == fd) {
			fake_watches[i] = fake_watches[--fake_watch_count];
			return 0;
		}
	}
	return -1;
}

static struct fake_watch *find_watch(int fd)
{
	for (unsigned int i = 0; i < fake_watch_count; i++)
		if (fake_watches[i].fd == fd)
			return &fake_watches[i];
	return NULL;
}

bool fake_watched(int fd)
{
	return find_watch(fd) != NULL;
}

/* A copy: the callback may unwatch fd, which moves the table's entries. */
bool fake_fd_ready(int fd)
{
	struct fake_watch *watch = find_watch(fd), copy;

	if (!watch)
		return false;
	copy = *watch;
	copy.fn(copy.opaque);
	return true;
}

/*
 * The in-kernel paths (the vring network backend) don't exist here; the
 * unit tests only run the copy backend, which never asks for them.
 */
int notify_bind(uint64_t addr, uint32_t datamatch, int fd)
{
	(void)addr, (void)datamatch, (void)fd;
	errno = ENOSYS;
	return -1;
}

int irq_bind(int fd, unsigned int line, uint64_t isr_addr)
{
	(void)fd, (void)line, (void)isr_addr;
	errno = ENOSYS;
	return -1;
}

void cmdline_append(const char *fmt, ...)
{
	size_t used = strlen(fake_cmdline);
	va_list ap;

	if (used)
		fake_cmdline[used++] = ' ';
	va_start(ap, fmt);
	vsnprintf(fake_cmdline + used, sizeof(fake_cmdline) - used, fmt, ap);
	va_end(ap);
}

/*
 * The guest's RIP at a register access: a fixed, recognisable value, or
 * none when a test plays the I/O thread.
 */
uint64_t fake_rip = FAKE_RIP;
bool fake_on_io_thread;

bool guest_rip(uint64_t *rip)
{
	if (fake_on_io_thread)
		return false;
	*rip = fake_rip;
	return true;
}

/* The launcher ending (strict mode's fatal variant): back to the test. */
jmp_buf *fake_exit_jump;
int fake_exit_status = -1;

void launcher_exit(int status)
{
	fake_exit_status = status;
	if (!fake_exit_jump)
		tap_bail_out("launcher_exit(%d) outside a test that expects it",
			     status);
	longjmp(*fake_exit_jump, 1);
}

/* A device dying on guest input is a failed test, not a crashed run. */
void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(die_message, sizeof(die_message), fmt, ap);
	va_end(ap);
	if (!die_armed)
		tap_bail_out("die() outside a test: %s", die_message);
	longjmp(die_jump, 1);
}

void fake_reset(void)
{
	virtio_destroy_all();
	free(test_mem.base);
	test_mem.base = aligned_alloc(4096, GUEST_RAM_SIZE);
	if (!test_mem.base)
		tap_bail_out("no memory for the fake guest");
	memset(test_mem.base, 0, GUEST_RAM_SIZE);
	test_mem.size = GUEST_RAM_SIZE;
	next_free_gpa = 0x1000;
	fake_window_count = 0;
	fake_watch_count = 0;
	virtio_strict_set_mode(VIRTIO_STRICT_OFF);
	virtio_strict_set_output(NULL);
	fake_rip = FAKE_RIP;
	fake_on_io_thread = false;
	fake_race = NULL;
	fake_exit_jump = NULL;
	fake_exit_status = -1;
	memset(irq_pulses, 0, sizeof(irq_pulses));
	fake_cmdline[0] = '\0';
}

uint64_t guest_alloc(uint64_t bytes)
{
	uint64_t gpa = next_free_gpa;

	next_free_gpa += (bytes + 4095) & ~4095ULL;
	if (next_free_gpa > GUEST_RAM_SIZE)
		tap_bail_out("fake guest memory exhausted");
	return gpa;
}

void *host(uint64_t gpa)
{
	return test_mem.base + gpa;
}

uint32_t mmio_read32(struct fake_window *win, uint64_t offset)
{
	uint32_t value;

	win->ops->read(win->opaque, offset, &value, 4);
	return value;
}

void mmio_write32(struct fake_window *win, uint64_t offset, uint32_t value)
{
	win->ops->write(win->opaque, offset, &value, 4);
}
