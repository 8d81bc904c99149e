/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --virtio-strict: the launcher's virtio devices judging the guest's
 * driver against the driver-normative statements of virtio 1.2 that a
 * virtio-mmio device with split rings can observe (L:700).  The
 * transport (virtio_mmio.c) and the queues (virtqueue.c) call the hooks
 * below; nothing else changes: a device in strict mode serves the guest
 * exactly as it would without it, and says what the driver did wrong.
 */
#ifndef LGUEST_VIRTIO_STRICT_H
#define LGUEST_VIRTIO_STRICT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum virtio_strict_mode {
	VIRTIO_STRICT_OFF,
	VIRTIO_STRICT_REPORT,	/* one line per new violation, a summary at exit */
	VIRTIO_STRICT_FATAL,	/* the first violation ends the guest */
};

/*
 * The launcher's exit status when strict mode saw a violation, whatever
 * way the guest ended (the summary says which); --help lists it.
 */
#define LGUEST_STATUS_STRICT	4

/* Before the first device is made (--virtio-strict[=fatal]). */
void virtio_strict_set_mode(enum virtio_strict_mode mode);
enum virtio_strict_mode virtio_strict_mode(void);

struct virtio_device;
struct virtqueue;
struct strict_device;

/* Strict state for a new device (NULL when strict mode is off). */
struct strict_device *strict_device_create(struct virtio_device *dev);
void strict_device_destroy(struct strict_device *sd);

/*
 * The transport's hooks, device lock held.  A read is judged with the
 * value it returned; a write before the transport acts on it, against
 * the state the driver saw when it wrote.
 */
void strict_mmio_read(struct virtio_device *dev, uint64_t offset,
		      unsigned int len, uint32_t value);
void strict_mmio_write(struct virtio_device *dev, uint64_t offset,
		       unsigned int len, uint32_t value);

/* The queue went live (QueueReady accepted): its ring starts clean. */
void strict_queue_started(struct virtqueue *vq);
/*
 * Judge every chain the driver made available since the last call: at
 * each notify, and before the device takes a chain (a kick the driver
 * was allowed to leave out, EVENT_IDX, or a queue the I/O thread fills).
 */
void strict_ring_check(struct virtqueue *vq);
/* The device is about to give head back: was its chain left alone? */
void strict_ring_used(struct virtqueue *vq, uint16_t head);

/*
 * At exit: the summary on out, and the exit status to use instead of
 * status (LGUEST_STATUS_STRICT if anything was found).
 */
int virtio_strict_finish(FILE *out, int status);

/* For the tests: violations of statement id so far, on every device. */
unsigned long virtio_strict_count(const char *id);
/* And of every statement. */
unsigned long virtio_strict_total(void);
/* Where the lines go (stderr unless set). */
void virtio_strict_set_output(FILE *out);

#endif /* LGUEST_VIRTIO_STRICT_H */
