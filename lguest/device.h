/* SPDX-License-Identifier: GPL-2.0 */
/*L:240
 * Devices.  Before the first one, what every device in the launcher sees
 * of the rest of it, which is this header and nothing more: the guest's
 * memory, with guest_ptr() in front of every access (L:050); a claim on a
 * range of MMIO or port space, whose reads and writes the run loop hands
 * over (L:410, L:420); interrupt lines to pulse or hold; the I/O thread,
 * which calls a device back when one of its file descriptors has input
 * (L:400); and the kernel command line, where a device announces itself
 * (L:120).  The launcher core (launcher.c, boot.c, the CPU backends)
 * implements these and devices (uart.c, virtio_*.c) only use them, so the
 * unit tests can put a device on a fake launcher over plain malloc()ed
 * memory and test it without a guest.
 */
#ifndef LGUEST_DEVICE_H
#define LGUEST_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Guest RAM: guest-physical 0 .. size lives at base in our memory. */
struct guest_mem {
	uint8_t *base;
	uint64_t size;
};

/*
 * A pointer to guest-physical [gpa, gpa + len), or NULL if any of it lies
 * outside RAM (or the sum wraps).  Everything a guest hands us goes
 * through here before we touch it.
 */
void *guest_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len);

/* A device's MMIO window.  Offsets are relative to base. */
struct mmio_ops {
	/* Fill data[0..len) for a read of len (1, 2, 4 or 8) bytes. */
	void (*read)(void *opaque, uint64_t offset, void *data, unsigned int len);
	void (*write)(void *opaque, uint64_t offset, const void *data,
		      unsigned int len);
};

/* Claim [base, base + len) of guest-physical MMIO space; 0 or -1. */
int mmio_register(uint64_t base, uint64_t len, const struct mmio_ops *ops,
		  void *opaque);

/* Port I/O, for the UART and friends.  Same shape. */
int pio_register(uint16_t base, uint16_t len, const struct mmio_ops *ops,
		 void *opaque);

/* Pulse (edge) or set the level of a PIC input line (0-15). */
void irq_pulse(unsigned int line);
void irq_set_level(unsigned int line, int level);

/*
 * The I/O thread's poll loop: call fn(opaque) whenever fd is readable.
 * Device callbacks run on the I/O thread; MMIO callbacks on the vCPU
 * thread.  A device that needs both takes its own lock.
 */
int io_watch(int fd, void (*fn)(void *opaque), void *opaque);

/*
 * Stop watching fd (0, or -1 if it was not watched): what a device does
 * at the fd's end of file, which poll() would report for ever.  Safe from
 * the fd's own callback; from another thread the callback may still be
 * running when this returns.
 */
int io_unwatch(int fd);

/*
 * The in-kernel paths, for devices whose queues the host kernel serves
 * (the vring network backend).  notify_bind: a guest 4-byte write of
 * datamatch to addr signals fd inside the hypervisor, and the guest goes
 * on without us.  irq_bind: each signal of fd raises line; with isr_addr
 * (a virtio-mmio InterruptStatus register) lg.ko also answers the
 * guest's reads of it and its acks itself.  KVM cannot, so there the
 * reads still come to the device's MMIO handler.  0, or -1 with errno.
 */
int notify_bind(uint64_t addr, uint32_t datamatch, int fd);
int irq_bind(int fd, unsigned int line, uint64_t isr_addr);

/*
 * A console device other than the UART (the virtio console) has started
 * to write to the terminal.  The kernel writes its messages to every
 * console it has, so from now on the UART's copy is dropped; before this,
 * the UART's copy is the only one there is.
 */
void console_handover(void);

/*
 * Devices announce themselves on the guest's kernel command line
 * (virtio_mmio.device=4K@0x...:IRQ, console=..., ...).
 */
void cmdline_append(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* Where virtio-mmio devices go: one 4 KiB window each, from here up. */
#define VIRTIO_MMIO_BASE	0xfeb00000ULL
#define VIRTIO_MMIO_SIZE	0x1000ULL

/*
 * The RIP of the guest CPU whose exit this thread is handling (a device
 * register access): true and *rip, or false on a thread that runs no CPU
 * (the I/O thread).  A system call: for reports (L:705), not the data path.
 */
bool guest_rip(uint64_t *rip);

/* The end of the guest, from any thread, with the launcher's exit status. */
void launcher_exit(int status) __attribute__((noreturn));

/* Die with a clear one-line message (the launcher's err(1, ...) habit). */
void die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

#endif /* LGUEST_DEVICE_H */
