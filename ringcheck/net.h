/* SPDX-License-Identifier: GPL-2.0 */
/* A session with a looped-back network device: see net.c. */
#ifndef RINGCHECK_NET_H
#define RINGCHECK_NET_H

#include "ringcheck.h"

#define SLOT		2048	/* bytes of buffer per descriptor slot */
#define MAX_TAGS	65536

struct sess {
	struct rc_target *t;
	bool started;
	struct rc_mem mem;
	struct rc_queue q[2];
	uint64_t rx_bufs, tx_bufs;
	uint32_t rx_posted, tx_posted;
	uint32_t rx_done, tx_done;
	uint32_t tx_nonzero_len;
	/* Received headers whose num_buffers was not 1, and the first. */
	uint32_t bad_num_buffers, first_num_buffers, first_num_buffers_tag;
	uint32_t sent_len[MAX_TAGS];
	bool delivered[MAX_TAGS];	/* frame tag came back (since sent) */
};

/*
 * Memory, both queues of num entries, features (VERSION_1 added): 0, -1
 * (rc_why() says why), or 1 when the device cannot be checked at all.
 */
int sess_start(struct sess *s, struct rc_target *t, uint64_t features,
	       unsigned int num);
/*
 * The same with the rings' parts at their least alignments (tight), and
 * both queues starting at index idx instead of 0.
 */
int sess_start_at(struct sess *s, struct rc_target *t, uint64_t features,
		  unsigned int num, bool tight, uint16_t idx);
void sess_end(struct sess *s);
void sess_kick(struct sess *s, unsigned int queue);
/* Calls since the last look. */
uint64_t sess_calls(struct sess *s, unsigned int queue);
/* Wait up to ms for a call; the calls counted then. */
uint64_t sess_wait_calls(struct sess *s, unsigned int queue, unsigned int ms);
/* Did the device signal the queue's error eventfd? */
bool sess_broken(struct sess *s, unsigned int queue);
unsigned char frame_byte(uint32_t tag, uint32_t i);
/*
 * A receive chain of size bytes, or a transmit chain of the header and a
 * frame of frame_len bytes, cut into the pieces given (0-ended list; the
 * last piece takes the rest), direct or indirect; unpublished.
 */
int sess_post_rx(struct sess *s, uint32_t size, const uint32_t *pieces,
		 bool indirect);
int sess_post_tx(struct sess *s, uint32_t frame_len, const uint32_t *pieces,
		 bool indirect, uint32_t tag);
/*
 * The same with the chain's segments given, each addr an offset in the
 * chain's slot (SLOT bytes); the transmit frame is what follows the
 * header in them.
 */
int sess_post_rx_segs(struct sess *s, const struct rc_seg *layout,
		      unsigned int n, bool indirect);
int sess_post_tx_segs(struct sess *s, const struct rc_seg *layout,
		      unsigned int n, bool indirect, uint32_t tag);
/* Take and check what came back; -1 and rc_why() on a broken rule. */
int sess_harvest_rx(struct sess *s);
int sess_harvest_tx(struct sess *s);
/* Harvest until rx_want frames and tx_want buffers are back, or ms pass. */
int sess_wait(struct sess *s, uint32_t rx_want, uint32_t tx_want,
	      unsigned int ms);

#endif /* RINGCHECK_NET_H */
