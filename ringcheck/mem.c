// SPDX-License-Identifier: GPL-2.0
/*
 * The driver's memory: one memfd, which the target shares with the device
 * (a VMM shares guest RAM so).  Everything in it starts as a known
 * pattern, so that a byte the device wrote where it should not stands out.
 *
 * The snapshot is what the memory should hold: every store the driver
 * makes goes into it as well (rc_mem_put, rc_mem_fill), and at the end of
 * each audit the bytes the device was allowed to write are taken into it.
 * So a byte the device changed anywhere else, at any time since the
 * session began (between audits too), shows at the next audit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ringcheck.h"

int rc_mem_init(struct rc_mem *m, size_t size)
{
	memset(m, 0, sizeof(*m));
	m->fd = memfd_create("ringcheck", MFD_CLOEXEC);
	if (m->fd < 0) {
		rc_error("memfd_create: %m");
		return -1;
	}
	if (ftruncate(m->fd, size) < 0) {
		rc_error("ftruncate of the memfd to %zu bytes: %m", size);
		close(m->fd);
		return -1;
	}
	m->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
	m->snap = malloc(size);
	m->allow = malloc(size);
	if (m->base == MAP_FAILED || !m->snap || !m->allow) {
		rc_error("cannot map %zu bytes for the rings: %m", size);
		if (m->base != MAP_FAILED)
			munmap(m->base, size);
		free(m->snap);
		free(m->allow);
		close(m->fd);
		return -1;
	}
	m->size = size;
	/* Page 0 stays unused: address 0 in a descriptor is never ours. */
	m->top = RC_PAGE;
	rc_mem_fill(m, 0, size);
	memset(m->allow, 0, size);
	return 0;
}

void rc_mem_free(struct rc_mem *m)
{
	if (m->size)
		munmap(m->base, m->size);
	free(m->snap);
	free(m->allow);
	if (m->fd >= 0)
		close(m->fd);
	memset(m, 0, sizeof(*m));
	m->fd = -1;
}

uint64_t rc_mem_alloc(struct rc_mem *m, size_t len, size_t align)
{
	uint64_t addr = (m->top + align - 1) & ~(uint64_t)(align - 1);

	if (addr + len > m->size) {
		rc_error("out of ring memory (%zu bytes wanted, %zu left)", len,
			 m->size - (size_t)addr);
		abort();
	}
	m->top = addr + len;
	rc_mem_fill(m, addr, len);
	return addr;
}

unsigned char rc_pattern(uint64_t addr)
{
	/* Never 0, and different on neighbouring bytes and pages. */
	return (unsigned char)((addr * 7 + (addr >> 12) * 13) | 0x80);
}

void rc_mem_fill(struct rc_mem *m, uint64_t addr, size_t len)
{
	for (size_t i = 0; i < len; i++)
		m->base[addr + i] = m->snap[addr + i] = rc_pattern(addr + i);
}

void rc_mem_put(struct rc_mem *m, uint64_t addr, const void *src, size_t len)
{
	memcpy(m->base + addr, src, len);
	memcpy(m->snap + addr, src, len);
}

int64_t rc_mem_unpatterned(struct rc_mem *m, uint64_t addr, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (m->base[addr + i] != rc_pattern(addr + i))
			return (int64_t)(addr + i);
	return -1;
}

void rc_audit_begin(struct rc_mem *m)
{
	memset(m->allow, 0, m->top);
}

void rc_audit_allow(struct rc_mem *m, uint64_t addr, size_t len)
{
	if (addr < m->size)
		memset(m->allow + addr, 1,
		       len < m->size - addr ? len : m->size - addr);
}

int64_t rc_audit_end(struct rc_mem *m)
{
	int64_t bad = -1;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* Nothing above top was handed out; the device has no reason there. */
	for (size_t i = 0; i < m->size; i++) {
		if (m->base[i] == m->snap[i])
			continue;
		if (!m->allow[i]) {
			if (bad < 0)
				bad = (int64_t)i;
			continue;
		}
		m->snap[i] = m->base[i];
	}
	memset(m->allow, 0, m->top);
	return bad;
}

void rc_put_desc(struct rc_mem *m, uint64_t at, uint64_t addr, uint32_t len,
		 uint16_t w12, uint16_t w14)
{
	unsigned char d[16];

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &w12, 2);
	memcpy(d + 14, &w14, 2);
	rc_mem_put(m, at, d, 16);
}
