// SPDX-License-Identifier: GPL-2.0
/*
 * A libFuzzer target for the launcher's virtqueues: lguest/virtqueue.c on
 * fs/vring_core.c, reaching guest RAM through the launcher's own
 * accessors (lguest/vring_mem.c) and guest_ptr() (lguest/mem.c), linked
 * exactly as the launcher links them.  tests/vringfd/fuzz/fuzz_vring_core.c
 * checks the walker against a fake address space; this one checks that
 * what a device gets from it keeps a hostile guest inside its own RAM.
 *
 * The input is a hostile guest.  The first bytes set up the queue as the
 * transport's registers would: its size (now and then one we never
 * offer), its features, where its three parts go (apart, against the end
 * of RAM, or anywhere at all, misaligned and outside RAM included), and
 * whether descriptor addresses are folded into RAM.  Then come the
 * descriptor table, the available ring, used->idx and a few indirect
 * tables, and then a script: the devices' calls (take a chain, put it
 * back, give it back, decide about the interrupt, read and write its
 * buffers) interleaved with the guest scribbling over its RAM, publishing
 * chains and restarting the queue.
 *
 * Guest RAM is one malloc()ed block of exactly FUZZ_RAM_SIZE bytes, so
 * AddressSanitizer sees any access past it.  After every step:
 *  - the launcher wrote nothing but the used ring (taking and giving back
 *    chains) or a chain's writable buffers (a device writing): RAM is
 *    compared with a copy that the guest's own writes keep up to date;
 *  - a chain has head < size, at most 256 iovecs (at most size without
 *    indirect tables), each non-empty and inside RAM, adding up to
 *    out_bytes and in_bytes;
 *  - a pop says -1 exactly when the queue is broken, with a one-line
 *    reason; a broken queue stays broken until the guest starts it again,
 *    writes nothing and asks for no interrupt;
 *  - no interrupt is asked for without a push since the last decision;
 *  - a pop says 0 only when the ring holds nothing more, and with
 *    EVENT_IDX only once avail_event asks the guest to kick for the next
 *    chain, so no chain waits for a kick that will not come.
 *
 * The queue is queue 0 of a device in --virtio-strict mode (L:700), so
 * strict mode's own ring walker (lguest/virtio_strict.c) judges every
 * chain the guest offers and every chain given back, on the same hostile
 * rings, and its register judge sees the guest's register writes and
 * reads (offsets, widths and values from the input, QueueSel past the
 * device's queues included), resets and queues stopped and resized with
 * chains in its bookkeeping.  Strict mode is a bystander: everything
 * above must hold with it watching, it writes no guest RAM, and it says
 * at most one line per (queue, statement), each a line of its own.
 *
 * A failed check aborts, which libFuzzer records as a crash.  Built with
 * fuzz_replay.c instead of libFuzzer it replays saved inputs.
 */
#define _GNU_SOURCE		/* fopencookie() */
#include <linux/virtio_mmio.h>

#include "fuzz_input.h"
#include "virtio_device.h"
#include "virtqueue.h"

#define FUZZ_RAM_SIZE		0x4000ULL	/* 16 KiB of guest RAM */
#define FUZZ_TABLE_GPA		0x2000ULL	/* the input's indirect tables */
#define FUZZ_TABLE_MAX		512		/* entries, up to RAM's end */
#define FUZZ_COPY_MAX		4096

enum fuzz_layout {
	FUZZ_APART,		/* desc 0, avail 0x1000, used 0x1400 */
	FUZZ_AT_END,		/* the avail ring ends on RAM's last byte */
	FUZZ_ANYWHERE,		/* three addresses from the input */
};

struct fuzz_guest {
	struct guest_mem mem;
	uint8_t *before;		/* RAM as the guest last left it */
	/* A strict-mode device; vq is its queue 0. */
	struct virtio_device *dev;
	struct virtqueue *vq;
	bool event_idx, indirect;
	struct virtqueue_chain chain;
	bool chain_valid;		/* the last pop filled chain */
	bool can_unpop;			/* ... and nothing else happened since */
	uint16_t heads[VIRTQUEUE_MAX_SIZE];	/* taken, not given back */
	unsigned int nheads;
	bool pushed;			/* since the last interrupt decision */
	bool was_broken;
	bool used_writable;		/* started and sound before the step */
};

/* ---- Guest RAM, as the guest writes it ------------------------------ */

static void *ram(struct fuzz_guest *g, uint64_t gpa, uint64_t len)
{
	return guest_ptr(&g->mem, gpa, len);
}

/* Input bytes into [gpa, gpa + len) if that is RAM; used up either way. */
static void fill(struct fuzz_guest *g, struct fuzz_input *in, uint64_t gpa,
		 uint64_t len)
{
	uint8_t *p = ram(g, gpa, len);
	uint8_t scratch[16 * FUZZ_TABLE_MAX];

	if (len > sizeof(scratch))
		len = sizeof(scratch);
	take(in, p ? p : scratch, len);
}

/*
 * Raw descriptor addresses almost never land in 16 KiB; when the input
 * asks, fold them (and lengths) into RAM.  The "edge" fold makes each
 * buffer end within two bytes of RAM's end, where off-by-ones live.
 */
static void fold_descs(struct fuzz_guest *g, uint64_t gpa, uint64_t count,
		       bool edge)
{
	uint8_t *table = ram(g, gpa, 16 * count);

	/* The table may be misaligned: the guest put it anywhere. */
	for (uint64_t i = 0; table && i < count; i++) {
		struct vring_desc d;

		memcpy(&d, table + 16 * i, sizeof(d));
		d.addr %= FUZZ_RAM_SIZE + 64;
		if (edge && d.addr <= FUZZ_RAM_SIZE)
			d.len = FUZZ_RAM_SIZE - d.addr + d.len % 5 - 2;
		else
			d.len %= 2048;
		memcpy(table + 16 * i, &d, sizeof(d));
	}
}

/* A 16-bit word of guest RAM, aligned or not (the guest chose). */
static bool get16(struct fuzz_guest *g, uint64_t gpa, uint16_t *val)
{
	const void *p = ram(g, gpa, 2);

	if (p)
		memcpy(val, p, 2);
	return p;
}

/* The guest writes RAM, and the copy launcher writes are judged against. */
static bool guest_write(struct fuzz_guest *g, uint64_t gpa, const void *src,
			uint64_t len)
{
	void *p = ram(g, gpa, len);

	if (p) {
		memcpy(p, src, len);
		memcpy(g->before + gpa, src, len);
	}
	return p;
}

/* ---- Setting up and restarting the queue ---------------------------- */

/* The queue as after a reset, its registers as the guest set them. */
static void queue_reset(struct fuzz_guest *g)
{
	struct virtqueue *vq = g->vq;
	uint64_t desc = vq->desc_gpa, avail = vq->avail_gpa;
	uint64_t used = vq->used_gpa;
	uint16_t size = vq->size;

	virtqueue_reset(vq, &g->mem);
	vq->size = size;
	vq->desc_gpa = desc;
	vq->avail_gpa = avail;
	vq->used_gpa = used;
}

/* The transport's part: QueueReady with the registers as the guest set them. */
static void fuzz_start(struct fuzz_guest *g)
{
	queue_reset(g);
	if (!virtqueue_start(g->vq, g->event_idx, g->indirect))
		FUZZ_CHECK(virtqueue_broken(g->vq) && !g->vq->ready);
	g->chain_valid = g->can_unpop = false;
	g->nheads = 0;
	g->pushed = false;
	g->was_broken = virtqueue_broken(g->vq);
}

static void fuzz_layout(struct fuzz_guest *g, struct fuzz_input *in,
			enum fuzz_layout layout)
{
	struct virtqueue *vq = g->vq;
	uint64_t avail_bytes = 6 + 2ULL * vq->size;
	uint64_t used_bytes = 6 + 8ULL * vq->size;

	switch (layout) {
	case FUZZ_APART:
		vq->desc_gpa = 0;
		vq->avail_gpa = 0x1000;
		vq->used_gpa = 0x1400;
		break;
	case FUZZ_AT_END:
		vq->desc_gpa = 0;
		vq->avail_gpa = FUZZ_RAM_SIZE - avail_bytes;
		vq->used_gpa = (vq->avail_gpa - used_bytes) & ~3ULL;
		break;
	default:
		vq->desc_gpa = take32(in) % (FUZZ_RAM_SIZE + 0x100);
		vq->avail_gpa = take32(in) % (FUZZ_RAM_SIZE + 0x100);
		vq->used_gpa = take32(in) % (FUZZ_RAM_SIZE + 0x100);
		break;
	}
}

/* ---- Strict mode watching ------------------------------------------- */

/*
 * Strict mode's lines go here: counted, and each checked to be one line
 * that starts as every report does.  One device per input, so at most
 * one line per (queue, statement): 1 + VIRTIO_DEVICE_MAX_QUEUES places
 * times fewer than 64 statements.
 */
#define FUZZ_STRICT_LINES_MAX	((1 + VIRTIO_DEVICE_MAX_QUEUES) * 64)

static unsigned long strict_lines;
static bool strict_line_start = true;

static ssize_t strict_write(void *cookie, const char *buf, size_t len)
{
	static const char prefix[] = "lguest: virtio-strict: fuzz";
	static size_t matched;

	(void)cookie;
	for (size_t i = 0; i < len; i++) {
		if (strict_line_start)
			matched = 0;
		strict_line_start = buf[i] == '\n';
		if (matched < sizeof(prefix) - 1) {
			FUZZ_CHECK(buf[i] == prefix[matched]);
			matched++;
		}
		if (buf[i] == '\n')
			strict_lines++;
	}
	return len;
}

static const struct virtio_device_model fuzz_model = {
	.name = "virtio-fuzz",
	.queue_count = 1,
};

static void strict_setup(struct fuzz_guest *g)
{
	static FILE *out;

	if (!out) {
		out = fopencookie(NULL, "w", (cookie_io_functions_t){
					  .write = strict_write });
		if (!out)
			abort();
		setvbuf(out, NULL, _IONBF, 0);
		virtio_strict_set_output(out);
		virtio_strict_set_mode(VIRTIO_STRICT_REPORT);
	}
	strict_lines = 0;
	g->dev = calloc(1, sizeof(*g->dev));
	if (!g->dev)
		abort();
	g->dev->model = &fuzz_model;
	g->dev->mem = &g->mem;
	/* As a live device: its queue is used only after DRIVER_OK. */
	g->dev->status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			 VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK;
	g->dev->strict = strict_device_create(g->dev);
	FUZZ_CHECK(g->dev->strict);
	g->vq = &g->dev->queues[0];
	g->vq->mem = &g->mem;
}

static void strict_teardown(struct fuzz_guest *g)
{
	FUZZ_CHECK(strict_line_start);
	FUZZ_CHECK(strict_lines <= virtio_strict_total());
	FUZZ_CHECK(strict_lines <= FUZZ_STRICT_LINES_MAX);
	strict_device_destroy(g->dev->strict);
	free(g->dev);
}

static void fuzz_setup(struct fuzz_guest *g, struct fuzz_input *in)
{
	uint8_t shape = take8(in), options = take8(in);
	uint16_t tables;
	struct virtqueue *vq;

	strict_setup(g);
	vq = g->vq;

	g->mem.size = FUZZ_RAM_SIZE;
	g->mem.base = calloc(1, FUZZ_RAM_SIZE);
	g->before = malloc(FUZZ_RAM_SIZE);
	if (!g->mem.base || !g->before)
		abort();
	/* A size the driver wrote into QueueNum: mostly one we offer. */
	vq->size = shape & 0x80 ? take16(in) : 1U << (shape % 9);
	g->event_idx = options & 1;
	g->indirect = options & 2;
	fuzz_layout(g, in, ((options >> 2) & 3) % 3);

	fill(g, in, vq->desc_gpa, 16ULL * vq->size);
	fill(g, in, vq->avail_gpa, 6 + 2ULL * vq->size);
	fill(g, in, vq->used_gpa + 2, 2);	/* used->idx */
	tables = take16(in) % FUZZ_TABLE_MAX;
	fill(g, in, FUZZ_TABLE_GPA, 16ULL * tables);
	if (options & 16) {
		fold_descs(g, vq->desc_gpa, vq->size, options & 32);
		fold_descs(g, FUZZ_TABLE_GPA, tables, options & 32);
	}
	memcpy(g->before, g->mem.base, FUZZ_RAM_SIZE);
	fuzz_start(g);
}

/* ---- What must hold ------------------------------------------------- */

static bool in_ram(const struct fuzz_guest *g, const struct iovec *iov)
{
	uintptr_t start = (uintptr_t)g->mem.base;
	uintptr_t base = (uintptr_t)iov->iov_base;

	return base >= start && base - start <= FUZZ_RAM_SIZE &&
	       iov->iov_len <= FUZZ_RAM_SIZE - (base - start);
}

static uint64_t iov_total(const struct fuzz_guest *g, const struct iovec *iov,
			  unsigned int count)
{
	uint64_t total = 0;

	for (unsigned int i = 0; i < count; i++) {
		FUZZ_CHECK(iov[i].iov_len > 0);
		FUZZ_CHECK(in_ram(g, &iov[i]));
		total += iov[i].iov_len;
	}
	return total;
}

static void check_chain(const struct fuzz_guest *g)
{
	const struct virtqueue_chain *chain = &g->chain;
	unsigned int count = chain->out_count + chain->in_count;

	FUZZ_CHECK(chain->head < g->vq->size);
	FUZZ_CHECK(count <= VIRTQUEUE_MAX_SIZE);
	if (!g->indirect)
		FUZZ_CHECK(count <= g->vq->size);
	FUZZ_CHECK(iov_total(g, chain->out, chain->out_count) ==
		   chain->out_bytes);
	FUZZ_CHECK(iov_total(g, chain->in, chain->in_count) ==
		   chain->in_bytes);
	FUZZ_CHECK(chain->out_bytes + chain->in_bytes <= UINT32_MAX);
}

/*
 * May the launcher have written RAM byte gpa in this step?  The used ring
 * of a queue that was started and sound when the step began (it may break
 * halfway, after publishing an avail_event, say).
 */
static bool in_used_ring(const struct fuzz_guest *g, uint64_t gpa)
{
	const struct virtqueue *vq = g->vq;

	return g->used_writable && gpa >= vq->used_gpa &&
	       gpa - vq->used_gpa < 6 + 8ULL * vq->size;
}

static bool in_writable(const struct fuzz_guest *g, uint64_t gpa)
{
	const uint8_t *p = g->mem.base + gpa;

	for (unsigned int i = 0; i < g->chain.in_count; i++) {
		const uint8_t *base = g->chain.in[i].iov_base;

		if (p >= base && p < base + g->chain.in[i].iov_len)
			return true;
	}
	return false;
}

/* Before a device call: may it write the used ring? */
static void snapshot(struct fuzz_guest *g)
{
	g->used_writable = g->vq->ready && !virtqueue_broken(g->vq);
}

/*
 * Every byte the device call changed passes allowed(); the copy then
 * takes the changes.  Blocks are compared first: a call changes a few
 * bytes of 16 KiB.
 */
static void check_writes(struct fuzz_guest *g,
			 bool (*allowed)(const struct fuzz_guest *, uint64_t))
{
	const uint64_t block = 256;

	if (!memcmp(g->before, g->mem.base, FUZZ_RAM_SIZE))
		return;
	for (uint64_t start = 0; start < FUZZ_RAM_SIZE; start += block) {
		if (!memcmp(g->before + start, g->mem.base + start, block))
			continue;
		for (uint64_t gpa = start; gpa < start + block; gpa++)
			if (g->before[gpa] != g->mem.base[gpa])
				FUZZ_CHECK(allowed && allowed(g, gpa));
		memcpy(g->before + start, g->mem.base + start, block);
	}
}

/* Broken exactly when it says so, for one clear line, and for good. */
static void check_broken(struct fuzz_guest *g)
{
	const char *why = virtqueue_broken(g->vq);

	FUZZ_CHECK(!g->was_broken || why);
	FUZZ_CHECK(!why || (why[0] && !strchr(why, '\n')));
	g->was_broken = why;
}

/* ---- The devices' calls --------------------------------------------- */

/* Nothing left to take: the ring is drained, and (EVENT_IDX) armed. */
static void check_drained(struct fuzz_guest *g)
{
	const struct virtqueue *vq = g->vq;
	uint16_t avail_idx, avail_event;

	if (!vq->ready)
		return;
	FUZZ_CHECK(get16(g, vq->avail_gpa + 2, &avail_idx));
	FUZZ_CHECK(avail_idx == vq->core.last_avail);
	if (g->event_idx) {
		FUZZ_CHECK(get16(g, vq->used_gpa + 4 + 8ULL * vq->size,
				 &avail_event));
		FUZZ_CHECK(avail_event == avail_idx);
	}
}

static void op_pop(struct fuzz_guest *g)
{
	int ret;

	snapshot(g);
	ret = virtqueue_pop(g->vq, &g->chain);
	check_writes(g, in_used_ring);
	FUZZ_CHECK(ret >= -1 && ret <= 1);
	FUZZ_CHECK((ret == -1) == !!virtqueue_broken(g->vq));
	g->chain_valid = g->can_unpop = ret == 1;
	if (ret == 0)
		check_drained(g);
	if (ret != 1)
		return;
	check_chain(g);
	if (g->nheads < VIRTQUEUE_MAX_SIZE)
		g->heads[g->nheads++] = g->chain.head;
}

/* Only straight after a pop, as virtqueue.h says. */
static void op_unpop(struct fuzz_guest *g)
{
	if (!g->can_unpop)
		return;
	snapshot(g);
	virtqueue_unpop(g->vq);
	check_writes(g, NULL);
	if (g->nheads)
		g->nheads--;
	g->chain_valid = g->can_unpop = false;
}

static void op_push(struct fuzz_guest *g, struct fuzz_input *in)
{
	unsigned int pick = take8(in);
	uint32_t written = take32(in);
	uint16_t head = pick, used_idx;

	if (g->nheads) {
		pick %= g->nheads;
		head = g->heads[pick];
		g->heads[pick] = g->heads[--g->nheads];
	}
	snapshot(g);
	virtqueue_push(g->vq, head, written);
	check_writes(g, in_used_ring);
	g->can_unpop = false;
	if (!g->vq->ready || virtqueue_broken(g->vq))
		return;
	FUZZ_CHECK(get16(g, g->vq->used_gpa + 2, &used_idx));
	FUZZ_CHECK(used_idx == g->vq->core.used_idx);
	g->pushed = true;
}

static void op_interrupt(struct fuzz_guest *g)
{
	bool wanted;

	snapshot(g);
	wanted = virtqueue_needs_interrupt(g->vq);
	check_writes(g, NULL);
	FUZZ_CHECK(!wanted || (g->pushed && !virtqueue_broken(g->vq)));
	g->pushed = false;
}

/*
 * A device reading the chain's readable buffers (a block write, a packet
 * to send) or filling its writable ones (a block read, a packet received).
 */
static void op_device_copy(struct fuzz_guest *g, struct fuzz_input *in,
			   bool write)
{
	const struct virtqueue_chain *chain = &g->chain;
	uint64_t part = write ? chain->in_bytes : chain->out_bytes;
	size_t skip = take16(in) % (part + 16);
	size_t len = take16(in) % FUZZ_COPY_MAX, done;
	uint8_t buf[FUZZ_COPY_MAX];

	memset(buf, take8(in), len);
	if (!g->chain_valid)
		return;
	snapshot(g);
	if (write)
		done = iov_copy_to(chain->in, chain->in_count, skip, buf, len);
	else
		done = iov_copy_from(chain->out, chain->out_count, skip, buf,
				     len);
	check_writes(g, write ? in_writable : NULL);
	FUZZ_CHECK(done == copy_expect(part, skip, len));
	g->can_unpop = false;
}

/*
 * The guest at the register window, as strict mode sees it: any offset
 * up into config space, any width, any value.  The transport's part is
 * played only as far as strict mode reads it back: QueueSel, the status
 * (a reset puts the queue back to before QueueReady), the features, and
 * QueueReady 0 stopping the queue.
 */
static void op_register(struct fuzz_guest *g, struct fuzz_input *in,
			bool write)
{
	uint64_t offset = take16(in) % (VIRTIO_MMIO_CONFIG + 0x10);
	unsigned int len = 1U << (take8(in) % 4);
	uint32_t value = take32(in);
	struct virtio_device *dev = g->dev;

	snapshot(g);
	if (!write) {
		strict_mmio_read(dev, offset, len, value);
		check_writes(g, NULL);
		return;
	}
	strict_mmio_write(dev, offset, len, value);
	check_writes(g, NULL);
	if (len != 4 || (offset & 3))
		return;
	switch (offset) {
	case VIRTIO_MMIO_QUEUE_SEL:
		dev->queue_select = value;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		dev->driver_features = value;
		break;
	case VIRTIO_MMIO_STATUS:
		if (value) {
			dev->status |= value;
			break;
		}
		/*
		 * A reset while the device holds chains: all forgotten.  The
		 * queue stops; a restart then finds the registers as the
		 * driver would write them again, the same ring (a reset
		 * clears them, but a ring that can never start again would
		 * end the input's interest here).
		 */
		dev->status = 0;
		queue_reset(g);
		g->chain_valid = g->can_unpop = false;
		g->nheads = 0;
		g->was_broken = false;
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		if (!value && dev->queue_select == 0) {
			g->vq->ready = false;
			g->can_unpop = false;
		}
		break;
	}
}

/*
 * The driver stops the queue and gives it a new QueueNum while chains are
 * in flight; a restart (fuzz_start) then starts it at that size.
 */
static void op_resize(struct fuzz_guest *g, struct fuzz_input *in)
{
	uint8_t shape = take8(in);

	g->vq->ready = false;
	g->vq->size = shape & 0x80 ? take16(in) : 1U << (shape % 9);
	g->can_unpop = false;
}

/* ---- The guest, between calls --------------------------------------- */

/* Publish head in the next avail slot, as a driver would. */
static void op_publish(struct fuzz_guest *g, struct fuzz_input *in)
{
	uint16_t head = take16(in), size = g->vq->size, idx;
	uint64_t avail = g->vq->avail_gpa;

	if (!size || !get16(g, avail + 2, &idx))
		return;
	/* Now and then a head one too big. */
	head %= size + 1;
	if (guest_write(g, avail + 4 + 2ULL * (idx % size), &head, 2)) {
		idx++;
		guest_write(g, avail + 2, &idx, 2);
	}
}

/* Two bytes anywhere in RAM: the guest's vCPU runs while we look. */
static void op_scribble(struct fuzz_guest *g, struct fuzz_input *in)
{
	uint16_t offset = take16(in), value = take16(in);

	guest_write(g, offset % (FUZZ_RAM_SIZE - 1), &value, 2);
	g->can_unpop = false;
}

static void fuzz_step(struct fuzz_guest *g, struct fuzz_input *in)
{
	unsigned int op = take8(in) % 13;

	switch (op) {
	case 0:
	case 1:
		op_pop(g);
		break;
	case 2:
		op_unpop(g);
		break;
	case 3:
		op_push(g, in);
		break;
	case 4:
		op_interrupt(g);
		break;
	case 5:
	case 6:
		op_device_copy(g, in, op == 5);
		break;
	case 7:
		op_publish(g, in);
		break;
	case 8:
		op_scribble(g, in);
		break;
	case 9:
		fuzz_start(g);
		break;
	case 10:
	case 11:
		op_register(g, in, op == 10);
		break;
	default:
		op_resize(g, in);
		break;
	}
	check_broken(g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { .data = data, .size = size };
	struct fuzz_guest *g = calloc(1, sizeof(*g));

	if (!g)
		abort();
	fuzz_setup(g, &in);
	/* Every step eats at least one byte, so this ends. */
	while (in.pos < in.size)
		fuzz_step(g, &in);
	strict_teardown(g);
	free(g->before);
	free(g->mem.base);
	free(g);
	return 0;
}

/* lguest/mem.c's guest_mem_create() dies on failure; we never call it. */
void die(const char *fmt, ...)
{
	(void)fmt;
	abort();
}

/* Strict mode's: no vCPU here, so no RIP. */
bool guest_rip(uint64_t *rip)
{
	(void)rip;
	return false;
}

/* Only --virtio-strict=fatal ends the launcher, and we report. */
void launcher_exit(int status)
{
	(void)status;
	abort();
}
