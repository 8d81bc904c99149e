/* SPDX-License-Identifier: GPL-2.0 */
/* The tests' shared world: see conf_env.c. */
#ifndef CONF_ENV_H
#define CONF_ENV_H

#include "conformance.h"

struct conf_env {
	struct conf_arena *ar;
	struct conf_ring r;	/* the ring (self mode) or the "in" ring */
	struct conf_ring out;	/* pair mode: the ring the echo writes to */
	bool pair;
	int echo;
};

int env_open(struct conf_env *e, size_t arena_size,
	     const struct conf_ring_opts *o, bool pair);
void env_close(struct conf_env *e);
int env_run(struct conf_env *e, int expect, const char *what);
int env_kick_and_check(struct conf_env *e, int expect, const char *what);
int env_not_broken(struct conf_ring *r, const char *what);
short env_poll(struct conf_ring *r);
struct conf_seg seg_r(struct conf_env *e, uint32_t len, enum conf_place p);
struct conf_seg seg_w(struct conf_env *e, uint32_t len, enum conf_place p);
/* Segments of the given lengths (0-terminated lists), alternately placed
 * at the start and at the end of their pages; returns how many. */
unsigned int segs_make(struct conf_env *e, struct conf_seg *segs,
		       const uint32_t *rlens, const uint32_t *wlens);
/* A zero-length segment whose address is the first byte of a guard page. */
struct conf_seg seg_zero(struct conf_env *e, bool writable);

/*
 * A pool of small buffers for tests that move many chains: slot i holds
 * the readable and the writable buffer of every chain posted at a
 * position equal to i modulo the number of slots.
 */
struct conf_pool {
	size_t roff, woff;
	unsigned int slots;
	uint32_t slot_size;
};

void pool_new(struct conf_env *e, struct conf_pool *p, unsigned int slots,
	      uint32_t slot_size);
int pool_post(struct conf_ring *r, const struct conf_pool *p, uint32_t rlen,
	      uint32_t wlen, uint32_t seed);

/* The tests, one per statement (see the table in ring_conformance.c). */
int test_queue_size(void);
int test_full_ring(void);
int test_alignment(void);
int test_part_sizes(void);
int test_setup_rejects(void);
int test_any_layout(void);
int test_zero_length(void);
int test_max_chain(void);
int test_no_write_readable(void);
int test_no_read_writable(void);
int test_readable_bounds(void);
int test_writable_bounds(void);
int test_next_without_flag(void);
int test_indirect(void);
int test_indirect_write_flag(void);
int test_chain_then_indirect(void);
int test_avail_ring(void);
int test_used_id(void);
int test_used_len(void);
int test_used_idx(void);
int test_len_before_idx(void);
int test_data_before_idx(void);
int test_flags0_notify(void);
int test_flags1_no_notify(void);
int test_ignore_used_event(void);
int test_event_ignore_flags(void);
int test_event_crossing(void);
int test_event_no_crossing(void);
int test_event_wrap(void);
int test_used_flags_values(void);
int test_event_used_flags_zero(void);
int test_avail_event(void);
int test_no_missed_kick(void);
int test_spurious_kick(void);
int test_idx_wrap(void);
int test_no_use_before_ready(void);
int test_needs_reset(void);
int test_hostile_loop(void);
int test_hostile_next_range(void);
int test_hostile_head_range(void);
int test_hostile_avail_jump(void);
int test_hostile_read_after_write(void);
int test_hostile_over_4g(void);
int test_hostile_outside_limit(void);
int test_hostile_base_overflow(void);
int test_hostile_indirect_unnegotiated(void);
int test_hostile_nested_indirect(void);
int test_hostile_indirect_next(void);
int test_hostile_indirect_len(void);
int test_hostile_indirect_loop(void);
int test_hostile_indirect_next_range(void);
int test_hostile_indirect_too_long(void);
int test_hostile_fault_ring(void);
int test_hostile_fault_used(void);
int test_hostile_fault_buffer(void);

#endif /* CONF_ENV_H */
