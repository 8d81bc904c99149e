/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel side of vringfd: how a consumer
 * (tests/vringfd/kmod/vring_echo.c, drivers/net/tun_vring.c) works a ring
 * whose memory belongs to a user process.  Documentation/vringfd.rst has
 * the rules; in short:
 *
 *  - vring_attach() takes a /dev/vring file the user handed over and holds
 *    a reference to it until vring_detach().  A ring has one consumer.
 *  - The consumer's ->kick() runs in process context inside the owner's
 *    address space: either in the owner's own write(), or in the ring's
 *    own worker thread, which has adopted the owner's mm (after a kick
 *    eventfd fired) and runs in the owner's cgroups.  In the worker it may
 *    be interrupted by a fatal signal at detach: copies then fail.
 *    Only there may the consumer call the ring functions below, because
 *    they touch user memory; the consumer serialises its own calls.
 *  - The ring's layout cannot change while a consumer is attached
 *    (VRINGSETUP, VRINGSETBASE and VRINGSETLIMIT fail with EBUSY).
 */
#ifndef _LINUX_VRINGFD_H
#define _LINUX_VRINGFD_H

#include <linux/types.h>
#include <uapi/linux/vringfd.h>

struct file;
struct vring;
#include "vring_core.h"

struct vring_consumer_ops {
	/* New buffers may be available: process them. */
	void (*kick)(struct vring *vr, void *priv);
};

struct vring *vring_attach(struct file *file,
			   const struct vring_consumer_ops *ops, void *priv);
void vring_detach(struct vring *vr);
/*
 * Interrupt the ring worker's ->kick() in flight (where it waits on the
 * owner's memory) and start no other until vring_detach(); for a consumer
 * whose ->kick() takes a lock that its own detach path takes first.
 */
void vring_stop_kicks(struct vring *vr);

/* Run ->kick() from a worker in the owner's mm (e.g. from a timer). */
void vring_queue_kick(struct vring *vr);

int vring_get_chain(struct vring *vr, struct vring_chain *chain);
void vring_unget_chains(struct vring *vr, unsigned int n);
long vring_copy_from_chain(struct vring *vr, const struct vring_chain *chain,
			   size_t offset, void *dst, size_t len);
long vring_copy_to_chain(struct vring *vr, const struct vring_chain *chain,
			 size_t offset, const void *src, size_t len);
int vring_add_used(struct vring *vr, u16 head, u32 len);
bool vring_should_signal(struct vring *vr);
void vring_signal(struct vring *vr);
void vring_signal_if_needed(struct vring *vr);
int vring_avail_pending(struct vring *vr);
bool vring_in_worker(struct vring *vr);
int vring_disable_kicks(struct vring *vr);
int vring_enable_kicks(struct vring *vr);
bool vring_is_broken(struct vring *vr);
void vring_mark_broken(struct vring *vr, const char *why);
u32 vring_num(struct vring *vr);

#endif /* _LINUX_VRINGFD_H */
