// SPDX-License-Identifier: GPL-2.0
/*L:545
 * The ring walker reaches memory only through the five functions its user
 * supplies (R:010); here they are for the launcher, over guest RAM.  An
 * address the walker asks for is guest-physical, and it goes through
 * guest_ptr() like everything else the guest hands us, so no read or
 * write can leave the guest's memory whatever the ring says.
 *
 * The 16-bit ring words are one aligned 2-byte access each, as the walker
 * requires: the guest's vCPU reads used->idx while we step it, and must
 * never see half of the new value.  An atomic load or store of the word
 * gives exactly that, and keeps the compiler from splitting or repeating
 * it.  The orderings between these accesses are the walker's barriers
 * (lib/vring_core_user.h defines them for userspace).
 *
 * These are also what the virtqueue fuzz target (tests/launcher/fuzz/)
 * links, so the fuzzer exercises the very functions a guest's ring goes
 * through.
 */
#include <string.h>

#include "device.h"
#include "vring_core.h"

int vring_core_read(struct vring_core *vr, void *dst, u64 addr, size_t len)
{
	const void *src = guest_ptr(vr->mem, addr, len);

	if (!src)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}

int vring_core_write(struct vring_core *vr, u64 addr, const void *src,
		     size_t len)
{
	void *dst = guest_ptr(vr->mem, addr, len);

	if (!dst)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}

/*
 * Guest RAM starts aligned (on a page in the launcher, on malloc()'s 16
 * bytes in the tests), so an even address is an aligned word.
 */
static __le16 *vring_mem_word(struct vring_core *vr, u64 addr)
{
	if (addr % sizeof(__le16))
		return NULL;
	return guest_ptr(vr->mem, addr, sizeof(__le16));
}

int vring_core_get16(struct vring_core *vr, u64 addr, __le16 *val)
{
	__le16 *word = vring_mem_word(vr, addr);

	if (!word)
		return -EFAULT;
	*val = __atomic_load_n(word, __ATOMIC_RELAXED);
	return 0;
}

int vring_core_put16(struct vring_core *vr, u64 addr, __le16 val)
{
	__le16 *word = vring_mem_word(vr, addr);

	if (!word)
		return -EFAULT;
	__atomic_store_n(word, val, __ATOMIC_RELAXED);
	return 0;
}

/*
 * Nothing to do the moment a ring breaks: the transport looks at each
 * queue after every batch (virtio_queue_done()) and tells the guest and
 * the user then (L:695), once, with the reason the walker recorded.
 */
void vring_core_report(struct vring_core *vr)
{
	(void)vr;
}
