// SPDX-License-Identifier: GPL-2.0
/*
 * A libFuzzer target for fs/vring_core.c.
 *
 * The input is a whole hostile driver: the first bytes choose the ring
 * (size, features, where its buffer window is, how to fold descriptor
 * addresses towards it, whether chains through an indirect table may be
 * longer than the ring, as the launcher's may), the next ones are the
 * descriptor table, the available ring, used->idx and the start of buffer
 * memory, and the rest is a script of device calls (take a chain, copy,
 * publish a used entry, signal, enable and disable kicks) interleaved
 * with the driver scribbling over its ring between them.
 *
 * After every step we check what must hold whatever the driver wrote:
 *  - no access left the ring's parts and [base, base + limit) (the fake
 *    address space counts escapes), and the device never wrote the
 *    descriptor table or the available ring;
 *  - a returned chain has head < num, at most max_segs segments, readable
 *    ones first, lengths that add up, and every segment inside the window;
 *  - copies move exactly the bytes the chain holds, no more;
 *  - the ring is broken exactly when vring_core_report() ran, once, and a
 *    broken ring answers -EIO.
 * A failed check aborts, which libFuzzer records as a crash.
 *
 * Built with clang -fsanitize=fuzzer it is the fuzz target; built with
 * fuzz_replay.c it replays saved inputs (the corpus) under gcc's sanitizers.
 */
#include "fake_mem.h"
#include "fuzz_input.h"

#define FUZZ_MAX_LOG_NUM	6		/* rings of 1 to 64 entries */
#define FUZZ_MAX_NUM		(1U << FUZZ_MAX_LOG_NUM)
#define FUZZ_DESC_ADDR		0x10000000ULL
#define FUZZ_AVAIL_ADDR		0x11000000ULL
#define FUZZ_USED_ADDR		0x12000000ULL
#define FUZZ_BUF_ADDR		0x40000000ULL
#define FUZZ_BUF_SIZE		4096ULL
#define FUZZ_GUARD		64ULL
#define FUZZ_COPY_MAX		1024

struct fuzz_ring {
	struct fake_mem mem;
	struct vring_core vr;
	struct vring_seg *segs;		/* max_segs entries, so ASan sees more */
	u32 max_segs;
	u8 desc[FUZZ_MAX_NUM * 16];
	u8 avail[6 + 2 * FUZZ_MAX_NUM];
	u8 used[6 + 8 * FUZZ_MAX_NUM];
	u8 buffers[FUZZ_BUF_SIZE + 2 * FUZZ_GUARD];
	u64 buf_start;			/* core address of buffers[0] */

	struct vring_chain chain;	/* the last chain taken, if valid */
	bool chain_valid;
	u16 heads[FUZZ_MAX_NUM];	/* taken, not yet used */
	unsigned int nheads;
	unsigned long reports_seen;
};

/*
 * Descriptor addresses from raw bytes almost never land in a 4 KiB window;
 * when the input asks for it, fold them (and lengths) into a range around
 * the window so that the walk gets past the limit check more often.  The
 * "edge" fold goes further: each buffer ends within two bytes of the
 * window's end, where off-by-one mistakes live.
 */
static void fold_descs(u8 *table, size_t bytes, bool edge)
{
	size_t i;

	for (i = 0; i + 16 <= bytes; i += 16) {
		struct vring_desc d;
		u64 addr;
		u32 len;

		memcpy(&d, table + i, sizeof(d));
		addr = le64toh(d.addr) % (FUZZ_BUF_SIZE + 64);
		len = le32toh(d.len);
		if (edge && addr <= FUZZ_BUF_SIZE)
			len = FUZZ_BUF_SIZE - addr + len % 5 - 2;
		else
			len %= 1100;
		d.addr = htole64(addr);
		d.len = htole32(len);
		memcpy(table + i, &d, sizeof(d));
	}
}

/* Where descriptor addresses point, chosen by two bits of the input. */
static void fuzz_window(struct fuzz_ring *fr, unsigned int mode)
{
	struct vring_core *vr = &fr->vr;

	fr->buf_start = FUZZ_BUF_ADDR - FUZZ_GUARD;
	vr->base = FUZZ_BUF_ADDR;
	switch (mode) {
	case 0:		/* the mapped window, guards around it */
		vr->limit = FUZZ_BUF_SIZE;
		break;
	case 1:		/* half of it: the rest is mapped but forbidden */
		vr->limit = FUZZ_BUF_SIZE / 2;
		break;
	case 2:		/* everything: unmapped buffers fault, legitimately */
		vr->limit = U64_MAX;
		break;
	default:	/* at the top of the address space: sums overflow */
		fr->buf_start = 0ULL - sizeof(fr->buffers);
		vr->base = fr->buf_start + FUZZ_GUARD;
		vr->limit = U64_MAX;
		break;
	}
}

static bool fuzz_setup(struct fuzz_ring *fr, struct fuzz_input *in)
{
	u8 shape = take8(in), options = take8(in), fill;
	u32 num = 1U << (shape % (FUZZ_MAX_LOG_NUM + 1));
	struct vring_core *vr = &fr->vr;

	vr->num = num;
	fr->max_segs = options & 64 ? 4 * num : num;
	vr->features = 0;
	if (options & 1)
		vr->features |= 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	if (options & 2)
		vr->features |= 1ULL << VIRTIO_RING_F_EVENT_IDX;
	vr->desc = FUZZ_DESC_ADDR;
	vr->avail = FUZZ_AVAIL_ADDR;
	vr->used = FUZZ_USED_ADDR;
	vr->mem = &fr->mem;
	fuzz_window(fr, (options >> 2) & 3);
	if (vring_core_check_layout(num, vr->features, vr->desc, vr->avail,
				    vr->used))
		return false;

	take(in, fr->desc, vring_core_desc_size(num));
	take(in, fr->avail, vring_core_avail_size(num));
	take(in, fr->used + 2, 2);		/* used->idx */
	fill = take8(in);
	take(in, fr->buffers + FUZZ_GUARD, 16 * (size_t)fill);
	if (options & 16) {
		fold_descs(fr->desc, vring_core_desc_size(num), options & 32);
		fold_descs(fr->buffers + FUZZ_GUARD, 16 * (size_t)fill,
			   options & 32);
	}

	fr->segs = calloc(fr->max_segs, sizeof(*fr->segs));
	if (!fr->segs)
		abort();
	fake_mem_init(&fr->mem);
	fake_mem_map(&fr->mem, "desc", vr->desc, vring_core_desc_size(num),
		     fr->desc, FAKE_READ);
	fake_mem_map(&fr->mem, "avail", vr->avail, vring_core_avail_size(num),
		     fr->avail, FAKE_READ);
	fake_mem_map(&fr->mem, "used", vr->used, vring_core_used_size(num),
		     fr->used, FAKE_READ | FAKE_WRITE);
	fake_mem_map(&fr->mem, "buffers", fr->buf_start, sizeof(fr->buffers),
		     fr->buffers, FAKE_READ | FAKE_WRITE);
	FUZZ_CHECK(vring_core_init(vr, fr->segs, fr->max_segs) == 0);
	FUZZ_CHECK(!vr->broken);
	FUZZ_CHECK(vr->last_avail == vr->used_idx);
	return true;
}

/* ---- What must hold ----------------------------------------------- */

static bool seg_in_window(const struct vring_core *vr,
			  const struct vring_seg *seg)
{
	u64 end;

	if (seg->addr < vr->base ||
	    __builtin_add_overflow(seg->addr, (u64)seg->len, &end))
		return false;
	return end - vr->base <= vr->limit;
}

static void check_chain(const struct fuzz_ring *fr,
			const struct vring_chain *chain)
{
	const struct vring_core *vr = &fr->vr;
	u64 readable = 0, writable = 0;
	unsigned int i;

	FUZZ_CHECK(chain->head < vr->num);
	FUZZ_CHECK(chain->nsegs <= fr->max_segs);
	FUZZ_CHECK(chain->nreadable <= chain->nsegs);
	for (i = 0; i < chain->nsegs; i++) {
		const struct vring_seg *seg = &chain->segs[i];

		FUZZ_CHECK(seg->writable == (i >= chain->nreadable));
		FUZZ_CHECK(seg_in_window(vr, seg));
		if (seg->writable)
			writable += seg->len;
		else
			readable += seg->len;
	}
	FUZZ_CHECK(readable == chain->readable_len);
	FUZZ_CHECK(writable == chain->writable_len);
	FUZZ_CHECK(readable + writable <= U32_MAX);
}

static void check_state(struct fuzz_ring *fr)
{
	struct fake_mem *mem = &fr->mem;

	if (mem->escapes || mem->ring_faults)
		fprintf(stderr, "%s\n", mem->first_problem);
	FUZZ_CHECK(mem->escapes == 0);
	FUZZ_CHECK(mem->ring_faults == 0);
	FUZZ_CHECK(mem->reports <= 1);
	FUZZ_CHECK((mem->reports == 1) == (fr->vr.broken != NULL));
	FUZZ_CHECK(mem->reported == fr->vr.broken);
}

/* A call's result: -EIO exactly when the ring is (now) broken. */
static void check_result(const struct fuzz_ring *fr, long ret)
{
	FUZZ_CHECK(ret >= 0 || ret == -EIO);
	FUZZ_CHECK((ret == -EIO) == (fr->vr.broken != NULL));
}

/* ---- The device's calls ------------------------------------------- */

static void op_next_avail(struct fuzz_ring *fr)
{
	int ret = vring_core_next_avail(&fr->vr, &fr->chain);

	check_result(fr, ret);
	FUZZ_CHECK(ret <= 1);
	fr->chain_valid = ret == 1;
	if (ret != 1)
		return;
	check_chain(fr, &fr->chain);
	if (fr->nheads < FUZZ_MAX_NUM)
		fr->heads[fr->nheads++] = fr->chain.head;
}

/* Host byte behind position pos of the readable or writable part. */
static u8 *chain_byte(struct fuzz_ring *fr, bool writable, size_t pos)
{
	const struct vring_chain *chain = &fr->chain;
	unsigned int i;

	for (i = 0; i < chain->nsegs; i++) {
		const struct vring_seg *seg = &chain->segs[i];

		if (!!seg->writable != writable)
			continue;
		if (pos < seg->len)
			return fake_mem_host(&fr->mem, seg->addr + pos, 1);
		pos -= seg->len;
	}
	return NULL;
}

static void op_copy_from(struct fuzz_ring *fr, struct fuzz_input *in)
{
	size_t offset = take16(in) % ((size_t)fr->chain.readable_len + 16);
	size_t len = take16(in) % FUZZ_COPY_MAX, i;
	u8 dst[FUZZ_COPY_MAX];
	long ret;

	if (!fr->chain_valid)
		return;
	ret = vring_core_copy_from_chain(&fr->vr, &fr->chain, offset, dst,
					 len);
	check_result(fr, ret);
	if (ret < 0)
		return;
	FUZZ_CHECK((size_t)ret ==
		   copy_expect(fr->chain.readable_len, offset, len));
	for (i = 0; i < (size_t)ret; i++) {
		u8 *byte = chain_byte(fr, false, offset + i);

		FUZZ_CHECK(byte && *byte == dst[i]);
	}
}

/* Do the chain's writable segments overlap (so later writes win)? */
static bool writable_overlap(const struct vring_chain *chain)
{
	unsigned int i, j;

	for (i = chain->nreadable; i < chain->nsegs; i++)
		for (j = i + 1; j < chain->nsegs; j++)
			if (chain->segs[i].addr <
			    chain->segs[j].addr + chain->segs[j].len &&
			    chain->segs[j].addr <
			    chain->segs[i].addr + chain->segs[i].len)
				return true;
	return false;
}

static void op_copy_to(struct fuzz_ring *fr, struct fuzz_input *in)
{
	size_t offset = take16(in) % ((size_t)fr->chain.writable_len + 16);
	size_t len = take16(in) % FUZZ_COPY_MAX, i;
	u8 src[FUZZ_COPY_MAX], seed = take8(in);
	long ret;

	if (!fr->chain_valid)
		return;
	for (i = 0; i < len; i++)
		src[i] = (u8)(seed + i * 13);
	ret = vring_core_copy_to_chain(&fr->vr, &fr->chain, offset, src, len);
	check_result(fr, ret);
	if (ret < 0)
		return;
	FUZZ_CHECK((size_t)ret ==
		   copy_expect(fr->chain.writable_len, offset, len));
	if (writable_overlap(&fr->chain))
		return;
	for (i = 0; i < (size_t)ret; i++) {
		u8 *byte = chain_byte(fr, true, offset + i);

		FUZZ_CHECK(byte && *byte == src[i]);
	}
}

static void op_push_used(struct fuzz_ring *fr, struct fuzz_input *in)
{
	unsigned int pick = take8(in);
	u32 len = take32(in);
	u16 head, before = fr->vr.used_idx;
	int ret;

	if (fr->nheads) {
		pick %= fr->nheads;
		head = fr->heads[pick];
		fr->heads[pick] = fr->heads[--fr->nheads];
	} else {
		head = pick;	/* a consumer bug, but must stay in bounds */
	}
	ret = vring_core_push_used(&fr->vr, head, len);
	check_result(fr, ret);
	FUZZ_CHECK(ret <= 0);
	if (!ret)
		FUZZ_CHECK(fr->vr.used_idx == (u16)(before + 1));
}

/* Give back the most recent n chains (they come again). */
static void op_discard(struct fuzz_ring *fr, struct fuzz_input *in)
{
	unsigned int n = take8(in) % (fr->nheads + 1);

	vring_core_discard(&fr->vr, n);
	fr->nheads -= n;
	fr->chain_valid = false;
}

static void op_kicks(struct fuzz_ring *fr, bool enable)
{
	int ret = enable ? vring_core_enable_kicks(&fr->vr) :
			   vring_core_disable_kicks(&fr->vr);

	check_result(fr, ret);
	FUZZ_CHECK(ret <= (enable ? 1 : 0));
}

/* A broken ring (or one that breaks now) never asks for a signal. */
static void op_need_signal(struct fuzz_ring *fr)
{
	bool signal = vring_core_need_signal(&fr->vr);

	FUZZ_CHECK(!(signal && fr->vr.broken));
}

/* ---- The driver, between calls ------------------------------------ */

/* Publish head in the next avail slot, as a driver would. */
static void op_publish(struct fuzz_ring *fr, struct fuzz_input *in)
{
	u16 head = take16(in), idx, num = fr->vr.num;
	__le16 raw;

	memcpy(&raw, fr->avail + 2, 2);
	idx = le16toh(raw);
	raw = htole16(head % (num + 1));	/* now and then one too big */
	memcpy(fr->avail + 4 + 2 * (idx & (num - 1)), &raw, 2);
	raw = htole16(idx + 1);
	memcpy(fr->avail + 2, &raw, 2);
}

/* Overwrite two bytes anywhere in the driver's memory. */
static void op_scribble(struct fuzz_ring *fr, struct fuzz_input *in)
{
	u8 where = take8(in);
	u16 offset = take16(in), value = take16(in);
	u8 *area;
	size_t size;

	switch (where % 4) {
	case 0:
		area = fr->desc;
		size = vring_core_desc_size(fr->vr.num);
		break;
	case 1:
		area = fr->avail;
		size = vring_core_avail_size(fr->vr.num);
		break;
	case 2:
		area = fr->used;
		size = vring_core_used_size(fr->vr.num);
		break;
	default:
		area = fr->buffers + FUZZ_GUARD;
		size = FUZZ_BUF_SIZE;
		break;
	}
	offset %= size - 1;
	memcpy(area + offset, &value, 2);
}

static void fuzz_step(struct fuzz_ring *fr, struct fuzz_input *in)
{
	switch (take8(in) % 11) {
	case 0:
	case 1:
		op_next_avail(fr);
		break;
	case 2:
		op_copy_from(fr, in);
		break;
	case 3:
		op_copy_to(fr, in);
		break;
	case 4:
		op_push_used(fr, in);
		break;
	case 5:
		op_need_signal(fr);
		break;
	case 6:
		op_kicks(fr, false);
		break;
	case 7:
		op_kicks(fr, true);
		break;
	case 8:
		op_discard(fr, in);
		break;
	case 9:
		op_publish(fr, in);
		break;
	default:
		op_scribble(fr, in);
		break;
	}
	check_state(fr);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct fuzz_input in = { .data = data, .size = size };
	struct fuzz_ring *fr = calloc(1, sizeof(*fr));
	bool was_broken = false;

	if (!fr)
		abort();
	if (!fuzz_setup(fr, &in))
		goto out;
	/* Every step eats at least one byte, so this ends. */
	while (in.pos < in.size) {
		fuzz_step(fr, &in);
		/* Once broken, always broken, with one report. */
		FUZZ_CHECK(!was_broken || fr->vr.broken);
		was_broken = fr->vr.broken;
	}
	/* A broken ring refuses to do anything more. */
	if (was_broken) {
		FUZZ_CHECK(vring_core_next_avail(&fr->vr, &fr->chain) == -EIO);
		FUZZ_CHECK(vring_core_push_used(&fr->vr, 0, 0) == -EIO);
		FUZZ_CHECK(fr->mem.reports == 1);
	}
out:
	free(fr->segs);
	free(fr);
	return 0;
}
