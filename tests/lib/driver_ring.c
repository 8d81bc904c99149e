// SPDX-License-Identifier: GPL-2.0
/* The driver's side of a split ring: see driver_ring.h. */
#include <endian.h>

#include "driver_ring.h"

void driver_ring_init(struct driver_ring *dr, unsigned int num, void *desc,
		      void *avail, void *used)
{
	dr->vr.num = num;
	dr->vr.desc = desc;
	dr->vr.avail = avail;
	dr->vr.used = used;
	driver_ring_reset(dr);
}

void driver_ring_reset(struct driver_ring *dr)
{
	dr->avail_idx = 0;
	dr->last_used = 0;
	dr->next_desc = 0;
}

void driver_desc_fill(struct vring_desc *desc, uint64_t addr, uint32_t len,
		      uint16_t flags, uint16_t next)
{
	desc->addr = htole64(addr);
	desc->len = htole32(len);
	desc->flags = htole16(flags);
	desc->next = htole16(next);
}

void driver_ring_set_desc(struct driver_ring *dr, uint16_t i, uint64_t addr,
			  uint32_t len, uint16_t flags, uint16_t next)
{
	driver_desc_fill(&dr->vr.desc[i], addr, len, flags, next);
}

uint16_t driver_ring_add_chain(struct driver_ring *dr,
			       const struct driver_buf *bufs,
			       unsigned int count)
{
	uint16_t head = dr->next_desc, i = head, next;
	unsigned int b;

	for (b = 0; b < count; b++) {
		bool last = b + 1 == count;
		uint16_t flags = bufs[b].writable ? VRING_DESC_F_WRITE : 0;

		next = (i + 1) % dr->vr.num;
		driver_ring_set_desc(dr, i, bufs[b].addr, bufs[b].len,
				     last ? flags : flags | VRING_DESC_F_NEXT,
				     last ? 0 : next);
		i = next;
	}
	dr->next_desc = i;
	driver_ring_add_head(dr, head);
	return head;
}

void driver_ring_add_head(struct driver_ring *dr, uint16_t head)
{
	dr->vr.avail->ring[dr->avail_idx % dr->vr.num] = htole16(head);
	dr->avail_idx++;
}

void driver_ring_publish(struct driver_ring *dr)
{
	__atomic_store_n(&dr->vr.avail->idx, htole16(dr->avail_idx),
			 __ATOMIC_RELEASE);
}

void driver_ring_publish_head(struct driver_ring *dr, uint16_t head)
{
	driver_ring_add_head(dr, head);
	driver_ring_publish(dr);
}

void driver_ring_set_avail_idx(struct driver_ring *dr, uint16_t idx)
{
	dr->avail_idx = idx;
	driver_ring_publish(dr);
}

uint16_t driver_ring_used_idx(const struct driver_ring *dr)
{
	return le16toh(__atomic_load_n(&dr->vr.used->idx, __ATOMIC_ACQUIRE));
}

bool driver_ring_get_used(struct driver_ring *dr, uint32_t *id,
			  uint32_t *len)
{
	if (driver_ring_used_idx(dr) == dr->last_used)
		return false;
	driver_ring_used_elem(dr, dr->last_used, id, len);
	dr->last_used++;
	return true;
}

void driver_ring_used_elem(const struct driver_ring *dr, uint16_t idx,
			   uint32_t *id, uint32_t *len)
{
	const struct vring_used_elem *elem =
		&dr->vr.used->ring[idx % dr->vr.num];

	*id = le32toh(elem->id);
	*len = le32toh(elem->len);
}

uint16_t driver_ring_used_flags(const struct driver_ring *dr)
{
	return le16toh(__atomic_load_n(&dr->vr.used->flags,
				       __ATOMIC_ACQUIRE));
}

bool driver_ring_kick_wanted(const struct driver_ring *dr, uint16_t old,
			     bool event_idx)
{
	/* Our avail->idx store before we read the device's wish. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (event_idx)
		return vring_need_event(driver_ring_avail_event(dr),
					dr->avail_idx, old);
	return !(driver_ring_used_flags(dr) & VRING_USED_F_NO_NOTIFY);
}

void driver_ring_set_used_event(struct driver_ring *dr, uint16_t idx)
{
	__atomic_store_n(&vring_used_event(&dr->vr), htole16(idx),
			 __ATOMIC_RELEASE);
}

uint16_t driver_ring_avail_event(const struct driver_ring *dr)
{
	return le16toh(__atomic_load_n(&vring_avail_event(&dr->vr),
				       __ATOMIC_ACQUIRE));
}
