/* SPDX-License-Identifier: GPL-2.0 */
/*L:502
 * Between the virtio-mmio transport (virtio_mmio.c) and the device models
 * (virtio_blk.c, virtio_console.c, virtio_rng.c, and virtio_net.c in the
 * network chapter).  A model describes itself in a struct
 * virtio_device_model: its device ID, its feature bits, how many queues
 * it has, and what to do when the guest kicks one of them (queue_notify),
 * with optional hooks for the moments of the handshake that concern it
 * (features_ok, driver_ok, reset).  The transport does everything else:
 * the registers, the feature handshake, the queues' setup and the
 * interrupts.  So a model never sees a register: it sees chains of
 * buffers, taken from a queue and given back with the number of bytes it
 * wrote (the ring they come from is the next chapter's, R:010), always
 * under the device's lock, since MMIO comes on the vCPU thread and input
 * on the I/O thread.  This is kvmtool's shape: one file per device, each
 * filling in one ops struct.
 */
#ifndef LGUEST_VIRTIO_DEVICE_H
#define LGUEST_VIRTIO_DEVICE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <stdio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "device.h"
#include "virtio_mmio.h"
#include "virtqueue.h"
#include "virtio_strict.h"

/*
 * The most queues a device may have: virtio-net's 8 queue pairs and its
 * control queue (--queues=8).  Every device carries this many struct
 * virtqueue, used or not: about 4 KiB each, nearly all of it the array
 * the ring walker writes a chain into (17 of them, about 70 KiB, per
 * device).
 */
#define VIRTIO_DEVICE_MAX_QUEUES	(2 * LGUEST_NET_MAX_PAIRS + 1)

struct virtio_device;
struct strict_device;

/* Features the transport itself offers, on top of the model's. */
#define VIRTIO_MMIO_TRANSPORT_FEATURES	((1ULL << VIRTIO_F_VERSION_1) | \
					 (1ULL << VIRTIO_RING_F_INDIRECT_DESC) | \
					 (1ULL << VIRTIO_RING_F_EVENT_IDX))

struct virtio_device_model {
	const char *name;		/* for messages: "virtio-blk" */
	uint32_t device_id;		/* VIRTIO_ID_BLOCK, ... */
	uint64_t features;		/* device-specific feature bits */
	unsigned int queue_count;
	/*
	 * The guest kicked queue (or a queue had buffers when the driver
	 * became ready).  Called with the device lock held; take chains
	 * with virtqueue_pop(), give them back with virtqueue_push(), then
	 * call virtio_queue_done().
	 */
	void (*queue_notify)(struct virtio_device *dev, unsigned int queue);
	/*
	 * The driver set DRIVER_OK: the queues' addresses and the features
	 * are final (optional; called before the queues are first kicked).
	 */
	void (*driver_ok)(struct virtio_device *dev);
	/*
	 * The driver set FEATURES_OK: may the device work with the features
	 * it accepted (dev->driver_features)?  The transport has already
	 * refused bits we didn't offer; this is for a device's own rules,
	 * such as one feature requiring another (optional).
	 */
	bool (*features_ok)(const struct virtio_device *dev);
	/* The driver reset the device (optional). */
	void (*reset)(struct virtio_device *dev);
	/* Print the device's counters, for -v at exit (optional). */
	void (*print_stats)(struct virtio_device *dev, FILE *out);
	/* Free what the model allocated in priv (optional). */
	void (*destroy)(struct virtio_device *dev);
};

struct virtio_device {
	const struct virtio_device_model *model;
	void *priv;			/* the model's own state */
	const struct guest_mem *mem;
	/* MMIO on the vCPU thread, fd input on the I/O thread: both lock. */
	pthread_mutex_t lock;
	uint64_t mmio_base;
	unsigned int irq;

	/* The transport registers (virtio 1.2, 4.2.2). */
	uint32_t status;
	uint32_t device_features_select;
	uint32_t driver_features_select;
	uint64_t driver_features;
	uint32_t queue_select;
	uint32_t interrupt_status;
	uint32_t config_generation;
	/*
	 * Interrupts come from elsewhere (an irqfd), so interrupt_status
	 * can't know about them: InterruptStatus reads say "used buffers"
	 * always, and the driver looks at its rings.
	 */
	bool irq_external;
	/* Set once a broken queue was reported, until the next reset. */
	bool needs_reset_reported;
	/* --virtio-strict's view of the driver (L:700), or NULL. */
	struct strict_device *strict;

	/* Device config space (offset 0x100 up), little-endian. */
	void *config;
	size_t config_size;

	struct virtqueue queues[VIRTIO_DEVICE_MAX_QUEUES];
};

/*
 * Create a device: picks its MMIO window and IRQ, registers and announces
 * it.  config (config_size bytes) stays owned by the caller (usually
 * inside priv).
 */
struct virtio_device *virtio_device_create(const struct virtio_device_model *model,
					   const struct guest_mem *mem,
					   void *priv, void *config,
					   size_t config_size);

/*
 * After a model used chains of queue: raise the used-buffer interrupt if
 * the guest wants one, or flag the device as needing a reset if the queue
 * broke.  Device lock held.
 */
void virtio_queue_done(struct virtio_device *dev, unsigned int queue);

/* Whether the driver set DRIVER_OK and the device isn't in need of reset. */
bool virtio_device_running(const struct virtio_device *dev);

/* Whether the driver accepted feature bit. */
bool virtio_negotiated(const struct virtio_device *dev, unsigned int bit);

/*
 * A queue broke somewhere we don't see (a ring served by the kernel): set
 * DEVICE_NEEDS_RESET and say why, once.  Device lock held.
 */
void virtio_device_broken(struct virtio_device *dev, unsigned int queue,
			  const char *reason);

#endif /* LGUEST_VIRTIO_DEVICE_H */
