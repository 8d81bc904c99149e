// SPDX-License-Identifier: GPL-2.0
/*L:040
 * Guest memory is the simplest part of the whole affair.  The guest's
 * "physical" RAM is nothing but an anonymous mapping in our own address
 * space: guest-physical address p lives at mem->base + p.  Both backends
 * take it as it is (lg.ko with LHREQ_INITIALIZE, KVM as memory slot 0),
 * and the kernel fills pages in on first touch, so a 3 GiB guest costs
 * nothing until it uses the memory.
 */
#include <stdint.h>
#include <sys/mman.h>

#include "launcher.h"

struct guest_mem *guest_mem_create(uint64_t size)
{
	static struct guest_mem mem;
	void *base;

	base = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		die("cannot map %llu MiB of guest memory: %m",
		    (unsigned long long)(size >> 20));
	mem.base = base;
	mem.size = size;
	return &mem;
}

/*L:050
 * Every address the guest hands us (a descriptor, a buffer, a ring) goes
 * through guest_ptr() before we touch it.  The guest controls both gpa and
 * len, so the checks are written so that no sum can wrap.
 */
void *guest_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	if (gpa > mem->size || len > mem->size - gpa)
		return NULL;
	return mem->base + gpa;
}
