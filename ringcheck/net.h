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
	/* Packed used descriptors whose WRITE bit is wrong, and the first. */
	uint32_t write_flag_wrong;
	uint16_t first_write_flag;
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
 * The same with the rings' parts at their least alignments (tight, split
 * rings), and both queues starting where a vhost front-end restoring
 * them with SET_VRING_BASE would have them: start is a split ring's index,
 * or a packed ring's slot | wrap << 15.  SESS_START_RESET(features) is
 * the state after a reset: index 0; slot 0 with wrap counter 1.
 */
#define SESS_START_RESET(f)	((f) & RC_BIT(RC_F_RING_PACKED) ? 0x8000 : 0)
int sess_start_at(struct sess *s, struct rc_target *t, uint64_t features,
		  unsigned int num, bool tight, uint16_t start);
void sess_end(struct sess *s);

/* A queue of either layout (net.c): what split and packed share. */
unsigned int vq_num(const struct rc_queue *q);
int vq_post(struct rc_queue *q, const struct rc_seg *segs, unsigned int n,
	    bool indirect, uint32_t tag);
void vq_publish(struct rc_queue *q);
/* Chains posted so far (16 bits, free-running); the k-th of them. */
uint16_t vq_posted(const struct rc_queue *q);
const struct rc_chain *vq_chain_at(const struct rc_queue *q, uint16_t k);
/* The chain in flight that a used id names, or NULL. */
const struct rc_chain *vq_chain(const struct rc_queue *q, uint32_t id);
bool vq_take(struct rc_queue *q, uint32_t *id, uint32_t *len, uint16_t *flags);
void vq_retire(struct rc_queue *q, uint32_t id);
/* The audit may take the device's used writes for the next n chains. */
void vq_allow_used(struct rc_queue *q, unsigned int n);
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

/*
 * Round trips (net.c), shared by the split and the packed checks: one
 * session at a time, sess; the checks' start and end.
 */
#define RX_SIZE		(RC_NET_HDR_LEN + 1514)
#define WAIT_MS		5000

extern struct sess sess;

/* Frame lengths that vary: 60 to 1514 bytes. */
uint32_t frame_len(uint32_t i);

struct layout {
	const uint32_t *rx_pieces, *tx_pieces;
	bool rx_indirect, tx_indirect;
};

enum rc_result sess_start_check(struct sess *s, struct rc_target *t,
				uint64_t features, unsigned int num);
/* The same with sess_start_at()'s tight layout and start index. */
enum rc_result sess_start_check_at(struct sess *s, struct rc_target *t,
				   uint64_t features, unsigned int num,
				   bool tight, uint16_t idx);
/* End the session sess with result r. */
enum rc_result end(enum rc_result r);

#define START_AT(s, t, f, num, tight, idx) do {				\
		enum rc_result _r = sess_start_check_at(s, t, f, num,	\
							tight, idx);	\
		if (_r != RC_PASS) {					\
			sess_end(s);					\
			return _r;					\
		}							\
	} while (0)
#define START(s, t, f, num)	START_AT(s, t, f, num, false, SESS_START_RESET(f))

/*
 * The audit's verdict: did the device write only where it was allowed
 * since rc_audit_begin()?  If not, rc_why() says where, after what.
 * (Frames it handed a tap are looped back first, for targets that need it.)
 */
bool audit_passed(struct sess *s, const char *after);
/* Let the audit accept writes to the receive chains posted since from. */
void allow_rx_chains(struct sess *s, uint16_t from);
/* Post n receive chains and n transmit frames (unpublished). */
enum rc_result round_trip_post(struct sess *s, unsigned int n,
			       const struct layout *l);
/*
 * Begin the audit (the receive chains posted since rx_from, and used
 * entries for rx_n and tx_n chains, allowed), publish, kick both queues.
 */
void sess_go(struct sess *s, unsigned int rx_n, unsigned int tx_n,
	     uint16_t rx_from);
/*
 * sess_go() n of each, harvest everything (each entry checked), and hold
 * every byte the device changed against what it was given.
 */
enum rc_result round_trip_go(struct sess *s, unsigned int n, uint16_t rx_from);
/* n frames out and back, in one go. */
enum rc_result round_trip(struct sess *s, unsigned int n,
			  const struct layout *l);
/* The same with the chains' segments given (n of each). */
enum rc_result round_trip_segs(struct sess *s, unsigned int n,
			       const struct rc_seg *rx_layout, unsigned int rx_n,
			       const struct rc_seg *tx_layout, unsigned int tx_n);
/*
 * Five kicks of both queues, then the audit begun by the caller (after:
 * what a failure message says came first), then frames must still go
 * out and back.
 */
enum rc_result kicks_change_nothing(struct sess *s, const char *after);

/*
 * Hostile chains.  A device owes a bad driver nothing but safety: it must
 * not write outside what it was given, and it must go on answering (the
 * process that serves other guests stays up).  spoil() makes the last
 * transmit chain posted bad, before it is published; after it, nothing
 * outside the used entries may have moved, and a new connection must
 * carry frames.  Passes only with evidence the device reached the chain.
 */
enum rc_result hostile(struct rc_target *t, uint64_t features,
		       void (*spoil)(struct sess *s, struct rc_queue *tx));

/* Checks of checks_split.c whose bodies serve both layouts (f: features). */
enum rc_result body_loop(struct rc_target *t, uint64_t f);
enum rc_result body_any_layout(struct rc_target *t, uint64_t f);
enum rc_result body_indirect(struct rc_target *t, uint64_t f);
enum rc_result body_zero_length(struct rc_target *t, uint64_t f);
enum rc_result body_max_chain(struct rc_target *t, uint64_t f);
enum rc_result body_full_ring(struct rc_target *t, uint64_t f);
/*
 * vhost: n chains of one descriptor out and back from start (a packed
 * ring's slot | wrap << 15; a split ring starts at 0), then
 * GET_VRING_BASE of the transmit queue must say want.
 */
enum rc_result body_vring_base(struct rc_target *t, uint64_t f,
			       uint16_t start, unsigned int n, uint16_t want);
enum rc_result calls_after(struct rc_target *t, uint64_t features,
			   uint16_t avail_flags, int used_event,
			   uint64_t *calls);
/* The same with a split ring's queues starting at index idx. */
enum rc_result calls_after_at(struct rc_target *t, uint64_t features,
			      uint16_t avail_flags, int used_event,
			      uint16_t idx, uint64_t *calls);

#endif /* RINGCHECK_NET_H */
