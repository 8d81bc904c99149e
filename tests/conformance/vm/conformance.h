/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ring ABI conformance suite: the virtio 1.2 split-ring rules (virtio
 * v1.2, section 2.7 "Split Virtqueues") checked one by one against a
 * device-side implementation, vringfd (/dev/vring) driven by the echo test
 * consumer (/dev/vring_echo).
 *
 * The test program plays the driver.  It builds rings by hand in memory it
 * controls, gives vringfd a view of that memory in which every page has
 * exactly the rights the spec gives the device (read-only for descriptor
 * tables, the available ring and device-readable buffers; read-write for
 * the used ring and device-writable buffers; nothing at all for guard
 * pages around them), and then audits every byte the device changed.
 *
 * Documentation/ring-conformance.md lists the statements and the results.
 */
#ifndef CONFORMANCE_H
#define CONFORMANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tap.h"

#define CONF_PAGE		4096UL

/* The split ring, as virtio 1.2 section 2.7.5, 2.7.6 and 2.7.8 lay it out. */
#define CONF_DESC_F_NEXT	1
#define CONF_DESC_F_WRITE	2
#define CONF_DESC_F_INDIRECT	4
#define CONF_AVAIL_F_NO_INTERRUPT	1
#define CONF_USED_F_NO_NOTIFY	1

#define CONF_F_INDIRECT		(1ULL << 28)
#define CONF_F_EVENT_IDX	(1ULL << 29)

struct conf_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct conf_used_elem {
	uint32_t id;
	uint32_t len;
};

/* Sizes from the table at the start of section 2.7. */
static inline size_t conf_desc_size(unsigned int num)
{
	return 16 * (size_t)num;
}

static inline size_t conf_avail_size(unsigned int num)
{
	return 6 + 2 * (size_t)num;
}

static inline size_t conf_used_size(unsigned int num)
{
	return 6 + 8 * (size_t)num;
}

/* ---- The arena: ring memory with a driver view and a device view ---- */

/* What the device may do with a page, as set in its view. */
enum conf_access {
	CONF_NONE,		/* guard: any access faults */
	CONF_READ,		/* descriptors, available ring, readable data */
	CONF_WRITE,		/* used ring, writable data */
};

/* Where a buffer sits in its pages, so a stray access hits a guard. */
enum conf_place {
	CONF_AT_START,		/* starts on a page boundary after a guard */
	CONF_AT_END,		/* ends on a page boundary before a guard */
};

struct conf_range {
	size_t off;
	size_t len;
};

struct conf_arena {
	int memfd;
	size_t size;
	unsigned char *drv;	/* the driver's view: all read-write */
	unsigned char *dev;	/* the device's view: per-page rights */
	size_t top;		/* first unallocated byte (page aligned) */
	unsigned char *snap;	/* contents at the last audit_begin() */
	unsigned char *mask;	/* 1: the device may have changed this byte */
	struct conf_range *regions;	/* what was handed out (no guards) */
	unsigned int nregions, maxregions;
};

struct conf_arena *arena_new(size_t size);
void arena_free(struct conf_arena *ar);
/* npages fresh pages with the device access given, after a guard page. */
size_t arena_pages(struct conf_arena *ar, size_t npages, enum conf_access acc);
/* A buffer of len bytes placed against a guard page. */
size_t arena_buf(struct conf_arena *ar, size_t len, enum conf_access acc,
		 enum conf_place place);
void arena_protect(struct conf_arena *ar, size_t off, size_t len,
		   enum conf_access acc);
unsigned char conf_pattern(size_t off);
void arena_fill_pattern(struct conf_arena *ar, size_t off, size_t len);
bool arena_is_pattern(struct conf_arena *ar, size_t off, size_t len);
static inline uint64_t arena_dev_addr(struct conf_arena *ar, size_t off)
{
	return (uint64_t)(uintptr_t)(ar->dev + off);
}

/* Write audit: snapshot, then allow ranges, then check nothing else moved. */
void audit_begin(struct conf_arena *ar);
void audit_allow(struct conf_arena *ar, size_t off, size_t len);
/* 0, or -1 after reporting the first byte changed outside what is allowed. */
int audit_check(struct conf_arena *ar, const char *when);

/* ---- The driver side of one ring ---- */

struct conf_seg {
	size_t off;		/* arena offset of the buffer */
	uint32_t len;
	bool writable;
};

/* How a chain's segments are put in descriptors. */
enum conf_layout {
	CONF_DIRECT,		/* one ring descriptor per segment */
	CONF_INDIRECT,		/* one ring descriptor -> a table of all */
	CONF_MIXED,		/* the first segment direct, the rest indirect */
};

/* What the driver remembers about a chain it made available. */
struct conf_chain {
	bool busy;
	unsigned int nsegs;
	struct conf_seg *segs;
	unsigned int ndesc;
	uint16_t *descs;	/* ring descriptors it took */
	uint32_t readable, writable;
	uint32_t seed;		/* the readable bytes are gen_byte(seed, i) */
	size_t table_off;	/* its indirect table, if any */
	size_t table_len;
	uint32_t post_seq;	/* chains posted on this ring before it */
};

/* What a posted chain offered, by post sequence (pair mode pairing). */
struct conf_history {
	uint32_t seed;
	uint32_t readable;
};

struct conf_ring {
	struct conf_arena *ar;
	unsigned int num;
	uint64_t features;
	size_t desc_off, avail_off, used_off;
	struct conf_desc *desc;		/* driver views of the three parts */
	uint16_t *avail;		/* flags, idx, ring[num], used_event */
	uint16_t *used_hdr;		/* flags, idx */
	struct conf_used_elem *used_ring;
	uint16_t *avail_event;
	int fd;
	int callfd;
	uint16_t avail_idx;		/* our shadow of avail->idx */
	uint16_t used_seen;		/* next used entry to harvest */
	uint16_t start_idx;		/* used->idx at VRINGSETUP */
	uint32_t posted;		/* chains posted since setup */
	uint32_t harvested;		/* used entries checked since setup */
	struct conf_history *hist;	/* by post sequence, mod 65536 */
	struct conf_chain *chains;	/* by head */
	uint16_t *free_desc;
	unsigned int nfree;
	/* Indirect tables come from here, one slot of table_slot bytes each. */
	size_t table_pool, table_slot;
	uint64_t limit;
};

struct conf_ring_opts {
	unsigned int num;
	uint64_t features;
	uint16_t start_idx;	/* used->idx and avail->idx before setup */
	size_t max_table;	/* largest indirect table, in entries */
	/* 0: page-aligned parts; otherwise byte offsets inside their pages */
	size_t desc_in_page, avail_in_page, used_in_page;
	bool parts_at_end;	/* each part ends right before a guard page */
	uint64_t limit;		/* VRINGSETLIMIT; 0: the arena's size */
	bool no_device;		/* driver side only (the self-test) */
};

int ring_new(struct conf_ring *r, struct conf_arena *ar,
	     const struct conf_ring_opts *o);
void ring_close(struct conf_ring *r);
/* VRINGSETUP again, after forgetting every chain in flight. */
int ring_resetup(struct conf_ring *r);
/* A free descriptor, for tests that build chains by hand. */
uint16_t ring_take_desc(struct conf_ring *r);
/* Build a chain and put its head in the next avail slot (unpublished). */
int ring_post(struct conf_ring *r, const struct conf_seg *segs,
	      unsigned int n, enum conf_layout layout, uint32_t seed);
int ring_post_split(struct conf_ring *r, const struct conf_seg *segs,
		    unsigned int n, unsigned int ndirect, uint32_t seed);
/* Make the posted chains visible: store avail->idx (release). */
void ring_publish(struct conf_ring *r);
int ring_kick(struct conf_ring *r);
/* Read and clear the call eventfd: signals since the last call. */
uint64_t ring_calls(struct conf_ring *r);
uint16_t ring_used_idx(struct conf_ring *r);
void ring_set_used_event(struct conf_ring *r, uint16_t v);
void ring_set_avail_flags(struct conf_ring *r, uint16_t v);
uint16_t ring_used_flags(struct conf_ring *r);
uint16_t ring_avail_event(struct conf_ring *r);
void ring_write_avail_slot(struct conf_ring *r, uint16_t idx, uint16_t head);
void ring_set_avail_idx(struct conf_ring *r, uint16_t idx);
bool ring_broken(struct conf_ring *r, char *why, size_t whylen);
/* Allow what a harvest of used entries [from, to) may have written. */
void ring_allow_used(struct conf_ring *r, uint16_t from, uint16_t to);

/*
 * Check and retire the used entries published since the last harvest:
 * the id must be a chain we posted, the length what the echo must have
 * written, the bytes the echo's.  src, if set, is the ring whose chains
 * fed this one (pair mode).  Returns the number harvested, or -1.
 */
int ring_harvest(struct conf_ring *r, struct conf_ring *src);
/* Harvest a ring whose entries must all have length 0 (pair "in" ring). */
int ring_harvest_in(struct conf_ring *r);

/* The echo consumer. */
int echo_attach(struct conf_ring *in, struct conf_ring *out);
int echo_settle(int echo_fd);
void echo_close(int echo_fd);

/* Deterministic contents for readable buffers. */
unsigned char gen_byte(uint32_t seed, uint32_t i);
void fill_readable(struct conf_ring *r, struct conf_chain *c);

/* ---- Reporting ---- */

/* A test function: 0 pass, -1 fail (after fail() said why), CONF_SKIP. */
typedef int (*conf_test_fn)(void);

struct conf_statement {
	const char *section;	/* "2.7.8.2" */
	const char *id;		/* "len-before-idx" */
	const char *kind;	/* "device MUST", "driver MUST NOT", ... */
	const char *text;	/* the statement, paraphrased */
	conf_test_fn test;	/* NULL: not applicable to a device test */
	const char *why;	/* why not applicable / how it is checked */
};

extern const struct conf_statement conf_statements[];
extern const unsigned int conf_nstatements;

/* A test that cannot run here: says why, returns CONF_SKIP. */
#define CONF_SKIP	1
int conf_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print a "# ..." diagnostic and remember the test failed. */
void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern int conf_failed;
extern int conf_quiet;		/* fail() records but does not print */
int conf_selftest(void);
/*
 * A statement's test stops at its first broken expectation: fail() says
 * why, and the runner turns that into the statement's one TAP line
 * (tests/lib/tap.h prints it).
 */
#define CONF_CHECK(cond, ...) do {		\
	if (!(cond)) {				\
		fail(__VA_ARGS__);		\
		return -1;			\
	}					\
} while (0)
/* The same, for functions that clean up at a label "out". */
#define CONF_CHECK_OUT(cond, ...) do {		\
	if (!(cond)) {				\
		fail(__VA_ARGS__);		\
		goto out;			\
	}					\
} while (0)

/* Helpers the tests share. */
int conf_open_vring(void);
uint32_t conf_rand(void);
void conf_srand(uint32_t seed);

#endif /* CONFORMANCE_H */
