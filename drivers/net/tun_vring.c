// SPDX-License-Identifier: GPL-2.0
/*
 * tun_vring: /dev/tun_vring binds a tap queue to two vringfds, the receive
 * and the transmit ring of a guest's virtio network card, and moves frames
 * between the tap's socket and the guest's buffers inside the kernel.
 * The ABI is in include/uapi/linux/tun_vring.h, the story in
 * Documentation/tun_vring.rst.
 */

/*N:010 The network chapter: a packet's way between the guest and the tap.
 *
 * The guest's virtio-net driver owns two rings in its own memory: a
 * transmit ring, where it offers frames to send, and a receive ring, where
 * it offers empty buffers for frames to come.  The launcher maps the
 * guest's RAM, so every guest-physical address is also an address in the
 * launcher, at RAM base + address.  It registers each ring with /dev/vring
 * (VRINGSETBASE = RAM base, VRINGSETLIMIT = RAM size), and hands both ring
 * fds and a tap fd to this module.
 *
 * From then on the launcher is out of the way.  A guest notify becomes an
 * eventfd signal inside lg.ko; the eventfd kicks the ring; the vringfd
 * worker, borrowing the launcher's address space, calls us; we pass the
 * guest's buffers straight to the tap's sendmsg()/recvmsg() as user
 * memory, so the only copy is the one the tap always makes between its
 * sk_buffs and "user" buffers.  Completions go back through the ring's call
 * eventfd, which lg.ko turns into a guest interrupt.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/if_tap.h>
#include <linux/if_tun.h>
#include <linux/miscdevice.h>
#include <linux/lguest_misc.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/net.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/vringfd.h>
#include <linux/wait.h>
#include <net/sock.h>
#include <uapi/linux/tun_vring.h>

/* The most segments one frame may use.  A longer tx chain is refused (and
 * counted); on rx, buffers beyond it are not used.  1024 is UIO_MAXIOV, the
 * limit readv() and sendmsg() put on user iovecs too.
 */
#define TUN_VRING_MAX_SEGS	UIO_MAXIOV

/* Frames moved per worker run before we let others have the CPU. */
#define TUN_VRING_BUDGET	64

/* The 12-byte virtio 1.x header ends with the __le16 num_buffers. */
#define TUN_VRING_HDR_MRG_LEN		12
#define TUN_VRING_NUM_BUFFERS_OFFSET	10

#define TUN_VRING_KNOWN_FLAGS	(TUN_VRING_F_MRG_RXBUF | TUN_VRING_F_NUM_BUFFERS)

/* One rx chain taken for the frame in hand. */
struct tun_vring_rx_head {
	u16 head;
	u32 room;		/* its writable bytes that made it into the iov */
};

/* The buffers gathered for one received frame. */
struct tun_vring_rx_buf {
	struct iovec *iov;
	unsigned int niov;
	struct tun_vring_rx_head *heads;
	unsigned int nheads;
	size_t room;
};

struct tun_vring {
	/* Serialises TUN_VRING_ATTACH against itself. */
	struct mutex lock;
	bool attached;
	u32 flags;

	struct file *tap_file;
	struct socket *sock;
	struct vring *rx;
	struct vring *tx;

	/* Our entry on the tap socket's wait queue. */
	wait_queue_head_t *tap_head;
	wait_queue_entry_t tap_wait;
	poll_table tap_table;
	/* tx stopped on a full send buffer; EPOLLOUT restarts it. */
	bool tx_blocked;

	/* Receive interrupt moderation (N:235): the gap, in ns (0: none);
	 * when we last signalled, and a signal held back until the timer.
	 * rx_run() arms the timer only while rx_timer_on, under the lock,
	 * so unbind can stop it for good.
	 */
	u64 rx_coalesce_ns;
	/* Busy-polling (N:125): how long a dry ring is watched, in ns. */
	u64 busy_poll_ns;
	/* What polling found, per direction: each has its own writer. */
	u64 rx_busy_poll_hits, tx_busy_poll_hits;
	ktime_t rx_last_signal;
	bool rx_signal_due;
	struct hrtimer rx_timer;
	spinlock_t rx_timer_lock;	/* rx_timer_on against arming */
	bool rx_timer_on;

	/* Scratch for each direction.  Each is used only inside its ring's
	 * ->kick(), which vringfd never runs twice at once for one ring.
	 */
	struct tun_vring_rx_buf rx_buf;
	struct iovec *tx_iov;

	/* rx counters are written only by the rx ring's ->kick(), tx ones only
	 * by the tx ring's: one writer each, read locklessly by GETSTATS.
	 */
	struct tun_vring_stats stats;
};

enum tun_vring_step {
	TUN_VRING_MORE,		/* one frame done, look for another */
	TUN_VRING_IDLE,		/* nothing left to move */
	TUN_VRING_NO_BUFFERS,	/* rx: a frame waits, the guest gave no room */
	TUN_VRING_BLOCKED,	/* tx: the tap cannot take more for now */
	TUN_VRING_STOP,		/* the ring broke */
};

static void tun_vring_count(u64 *counter, u64 n)
{
	WRITE_ONCE(*counter, *counter + n);
}

/* Turn the segments of a chain (readable ones for tx, writable ones for rx)
 * into user iovecs, appended at iov[*niov].  The segment addresses are
 * already base + addr and checked against the limit by the ring code.
 * Returns the bytes added; stops quietly when iov is full.
 */
static size_t tun_vring_iov_add(struct iovec *iov, unsigned int *niov,
				const struct vring_chain *chain, bool writable)
{
	unsigned int i = writable ? chain->nreadable : 0;
	unsigned int end = writable ? chain->nsegs : chain->nreadable;
	size_t bytes = 0;

	for (; i < end && *niov < TUN_VRING_MAX_SEGS; i++) {
		iov[*niov].iov_base = u64_to_user_ptr(chain->segs[i].addr);
		iov[*niov].iov_len = chain->segs[i].len;
		bytes += chain->segs[i].len;
		(*niov)++;
	}
	return bytes;
}

/*N:100 Transmit: the guest's frame goes to the tap.  A tx chain is a
 * virtio_net_hdr followed by the Ethernet frame, in any number of
 * device-readable pieces.  We describe the pieces as an iovec over the
 * launcher's memory and call the tap socket's sendmsg(), exactly what a
 * writev() on the tap fd would do, minus the system call: the tap copies
 * the frame into a fresh sk_buff, honours the header (checksum to finish,
 * GSO to do later) and hands the frame to the host's stack.
 */
static enum tun_vring_step tun_vring_tx_one(struct tun_vring *tv,
					    struct vring *vr)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	struct vring_chain chain;
	unsigned int niov = 0;
	size_t len;
	int ret;

	ret = vring_get_chain(vr, &chain);
	if (ret < 0)
		return TUN_VRING_STOP;
	if (!ret)
		return TUN_VRING_IDLE;

	/* A tx chain the guest could only have built by mistake: nothing to
	 * send, buffers for us to write, or more pieces than we take.  Give it
	 * back unsent so the guest's driver can reuse it, and count it.
	 */
	if (!chain.readable_len || chain.nreadable != chain.nsegs ||
	    chain.nsegs > TUN_VRING_MAX_SEGS) {
		tun_vring_count(&tv->stats.tx_errors, 1);
		tun_vring_count(&tv->stats.tx_malformed, 1);
		goto used;
	}

	len = tun_vring_iov_add(tv->tx_iov, &niov, &chain, false);
	iov_iter_init(&msg.msg_iter, ITER_SOURCE, tv->tx_iov, niov, len);
	ret = tv->sock->ops->sendmsg(tv->sock, &msg, len);
	if (ret == -EAGAIN) {
		/*N:110 The tap's send buffer is full: frames it sent are
		 * still held somewhere (a macvtap's buffer is only the system
		 * default unless its owner raised it; a tun's is unlimited
		 * unless shrunk with TUNSETSNDBUF).  The chain goes back on
		 * the ring and we wait for the tap's EPOLLOUT.  tun and macvtap
		 * send that only to someone who polled and found no room, so
		 * we poll the file ourselves: it answers whether there is room
		 * now and, if not, arms the wake-up.  The flag goes up before
		 * we poll, and the wake-up reads it after the buffer drained,
		 * so one of us always sees the other.
		 */
		vring_unget_chains(vr, 1);
		tun_vring_count(&tv->stats.tx_blocked, 1);
		WRITE_ONCE(tv->tx_blocked, true);
		smp_mb(); /* the flag before we read the buffer's fill */
		if (vfs_poll(tv->tap_file, NULL) & EPOLLOUT) {
			WRITE_ONCE(tv->tx_blocked, false);
			vring_queue_kick(vr);
		}
		return TUN_VRING_BLOCKED;
	}
	if (ret == -EFAULT) {
		/* Inside the limit, yet not mapped: a hole in guest RAM. */
		vring_mark_broken(vr, "cannot read a transmit buffer (bad address)");
		return TUN_VRING_STOP;
	}
	if (ret < 0) {
		/* A header the tap refused, a detached queue, a device gone. */
		tun_vring_count(&tv->stats.tx_errors, 1);
		tun_vring_count(&tv->stats.tx_refused, 1);
	} else {
		/* Counted before the chain is used, so whoever sees it used
		 * sees it counted.  The frame itself may reach its receiver
		 * (inside sendmsg()) before either: a reader on the far side
		 * knows nothing about our counters.
		 */
		tun_vring_count(&tv->stats.tx_packets, 1);
		tun_vring_count(&tv->stats.tx_bytes, len);
	}
used:
	return vring_add_used(vr, chain.head, 0) ? TUN_VRING_STOP :
						   TUN_VRING_MORE;
}

/*N:125 Busy-polling.  Every frame a guest sends after our transmit loop
 * went idle costs a kick: a guest exit, then a wake-up of the ring's
 * worker.  When frames come close together, a little patience is
 * cheaper: with TUN_VRING_SET_BUSY_POLL the loop, finding the ring dry,
 * keeps kicks off and watches the ring (or, receiving, the tap) for up
 * to that long before it asks for kicks again, as vhost-net's busyloop
 * does.  It gives up at once if anything else wants this CPU, or if the
 * ring is being let go (the worker's SIGKILL, R:235); the time it spends
 * is the owner's, since the worker runs in the owner's cgroups.
 *
 * Only the ring's worker polls.  A kick by write() runs us in the
 * owner's own thread (the launcher's vCPU, in the middle of a guest
 * exit), which must not be kept waiting, and which vring_stop_kicks()
 * could not interrupt.  And the time is the run's, not each dry spell's:
 * one deadline per run, *end, set at its first poll, so a run never
 * polls for longer than the time given, however often work turns up.
 *
 * found() looks once: > 0 work came, 0 not yet, < 0 stop.
 */
static bool tun_vring_busy_poll(struct tun_vring *tv,
				int (*found)(struct tun_vring *tv,
					     struct vring *vr),
				struct vring *vr, u64 *end, u64 *hits)
{
	u64 ns = READ_ONCE(tv->busy_poll_ns);
	int ret;

	if (!ns || !vring_in_worker(vr))
		return false;
	if (!*end)
		*end = local_clock() + ns;
	while (local_clock() < *end && !need_resched() &&
	       !signal_pending(current)) {
		ret = found(tv, vr);
		if (ret > 0) {
			tun_vring_count(hits, 1);
			return true;
		}
		if (ret < 0)
			return false;
		cpu_relax();
	}
	return false;
}

static int tun_vring_tx_found(struct tun_vring *tv, struct vring *vr)
{
	return vring_avail_pending(vr);
}

/*N:120 The transmit loop, in the shape every ring consumer has (R:110):
 * kicks off while we drain, and back on, with one more look, when the
 * ring seems empty.  After a budget of frames we requeue ourselves
 * instead of looping on: the ring's worker (R:235) then yields the CPU
 * and notices if it is being stopped, and an owner's write() kick
 * returns.
 */
static void tun_vring_tx_run(struct tun_vring *tv, struct vring *vr)
{
	unsigned int budget = TUN_VRING_BUDGET, done = 0;
	bool unsignalled = false;
	enum tun_vring_step step;
	u64 poll_end = 0;

	tun_vring_count(&tv->stats.tx_runs, 1);
	if (vring_disable_kicks(vr))
		return;
	for (;;) {
		step = tun_vring_tx_one(tv, vr);
		if (step == TUN_VRING_MORE) {
			unsignalled = true;
			if (++done < budget)
				continue;
			vring_queue_kick(vr);
			break;
		}
		if (step != TUN_VRING_IDLE)
			break;
		if (READ_ONCE(tv->busy_poll_ns)) {
			/* What was sent is done: say so before we wait. */
			if (unsignalled)
				vring_signal_if_needed(vr);
			unsignalled = false;
			if (tun_vring_busy_poll(tv, tun_vring_tx_found, vr,
						&poll_end, &tv->tx_busy_poll_hits))
				continue;
		}
		if (vring_enable_kicks(vr) <= 0)
			break;
		if (vring_disable_kicks(vr))
			break;
	}
	if (unsignalled)
		vring_signal_if_needed(vr);
}

static void tun_vring_tx_kick(struct vring *vr, void *priv)
{
	tun_vring_tx_run(priv, vr);
}

/* Write the received header's num_buffers, which the tap leaves alone (it
 * fills the first 10 bytes and skips the rest of the header it was told
 * to expect).  The header may straddle iovecs like anything else.
 */
static int tun_vring_put_num_buffers(const struct tun_vring_rx_buf *buf,
				     u16 count)
{
	__le16 value = cpu_to_le16(count);
	size_t offset = TUN_VRING_NUM_BUFFERS_OFFSET, done = 0;
	unsigned int i;

	for (i = 0; i < buf->niov && done < sizeof(value); i++) {
		size_t n;

		if (offset >= buf->iov[i].iov_len) {
			offset -= buf->iov[i].iov_len;
			continue;
		}
		n = min(buf->iov[i].iov_len - offset, sizeof(value) - done);
		if (copy_to_user(buf->iov[i].iov_base + offset,
				 (u8 *)&value + done, n))
			return -EFAULT;
		done += n;
		offset = 0;
	}
	return 0;
}

/*N:200 Receive: buffers first.  Without mergeable buffers a frame goes
 * into one chain, whatever its size.  With them (VIRTIO_NET_F_MRG_RXBUF)
 * the guest posts equal, page-sized buffers and a frame takes as many
 * chains as it needs, so we gather chains until they hold the header and
 * the frame the tap says is next.  We copy each chain's segments out at
 * once: the ring hands every chain back in the same segment array.
 *
 * If the ring runs dry half-way we keep what we gathered, for the next
 * run to complete.  Giving the chains back instead would look to the ring
 * like buffers still waiting: "kick me when there is more" (R:110) would
 * then be answered at once, forever, and with EVENT_IDX the avail_event
 * we left would be one the guest had already passed (R:100), so it would
 * never kick us for its next buffer at all.
 *
 * Returns the chains held, 0 if the ring ran dry first, or -EIO once the
 * ring is broken.
 */
static int tun_vring_rx_take(struct tun_vring *tv, struct vring *vr,
			     size_t need)
{
	bool mergeable = tv->flags & TUN_VRING_F_MRG_RXBUF;
	struct tun_vring_rx_buf *buf = &tv->rx_buf;
	struct vring_chain chain;
	int ret;

	while (!buf->nheads ||
	       (mergeable && buf->room < need &&
		buf->niov < TUN_VRING_MAX_SEGS)) {
		struct tun_vring_rx_head *head = &buf->heads[buf->nheads];

		ret = vring_get_chain(vr, &chain);
		if (ret < 0)
			return ret;
		if (!ret) {
			/* If the whole ring is not enough, waiting won't help. */
			if (buf->nheads && buf->nheads >= vring_num(vr))
				break;
			return 0;
		}
		/* A receive buffer we may not write is a driver bug that would
		 * jam the ring forever: say so the way a malformed chain does.
		 */
		if (!chain.writable_len) {
			vring_mark_broken(vr, "receive chain with no writable buffer");
			return -EIO;
		}
		head->head = chain.head;
		head->room = tun_vring_iov_add(buf->iov, &buf->niov, &chain,
					       true);
		buf->room += head->room;
		buf->nheads++;
	}
	return buf->nheads;
}

/* Forget the chains held for a half-gathered frame (N:200). */
static void tun_vring_rx_forget(struct tun_vring_rx_buf *buf)
{
	buf->nheads = 0;
	buf->niov = 0;
	buf->room = 0;
}

/* Done with the chains we held: the first `used` were published. */
static void tun_vring_rx_release(struct tun_vring *tv, struct vring *vr,
				 unsigned int used)
{
	struct tun_vring_rx_buf *buf = &tv->rx_buf;

	/* They are the last ones taken: the order unget gives back in. */
	vring_unget_chains(vr, buf->nheads - used);
	tun_vring_rx_forget(buf);
}

/*N:210 Publishing a received frame.  The tap told us how many bytes it
 * wrote (header included); they fill the chains in order, so each chain's
 * used length is what landed in it.  Chains gathered but not needed go
 * back on the ring.  num_buffers must be in place before the first used
 * entry is visible to the guest.
 */
static enum tun_vring_step tun_vring_rx_publish(struct tun_vring *tv,
						struct vring *vr, size_t len)
{
	struct tun_vring_rx_buf *buf = &tv->rx_buf;
	size_t left = len;
	unsigned int i, used = 0;

	while (used < buf->nheads && (left || !used)) {
		left -= min_t(size_t, left, buf->heads[used].room);
		used++;
	}

	if (tv->flags & (TUN_VRING_F_MRG_RXBUF | TUN_VRING_F_NUM_BUFFERS) &&
	    len >= TUN_VRING_HDR_MRG_LEN &&
	    tun_vring_put_num_buffers(buf, used)) {
		vring_mark_broken(vr, "cannot write a receive buffer (bad address)");
		return TUN_VRING_STOP;
	}

	/* Counted first, so a reader who sees the frame sees it counted. */
	tun_vring_count(&tv->stats.rx_packets, 1);
	tun_vring_count(&tv->stats.rx_bytes, len);
	left = len;
	for (i = 0; i < used; i++) {
		u32 n = min_t(size_t, left, buf->heads[i].room);

		if (vring_add_used(vr, buf->heads[i].head, n))
			return TUN_VRING_STOP;
		left -= n;
	}
	tun_vring_rx_release(tv, vr, used);
	return TUN_VRING_MORE;
}

/*N:220 One received frame.  peek_len() tells us the size of the frame at
 * the head of the tap's queue without taking it.  recvmsg() then writes
 * the header and the frame straight into the guest's buffers.
 *
 * A frame larger than the buffers we hold is still taken off the tap
 * (MSG_TRUNC makes recvmsg() return its full length instead of failing),
 * and the chains go back on the ring untouched as far as the guest can
 * tell: it never sees them used, and the next frame lands in them.  That
 * is the drop, counted in rx_dropped.
 */
static enum tun_vring_step tun_vring_rx_one(struct tun_vring *tv,
					    struct vring *vr)
{
	struct tun_vring_rx_buf *buf = &tv->rx_buf;
	struct msghdr msg = { };
	struct socket *sock = tv->sock;
	int len, ret;

	len = sock->ops->peek_len(sock);
	if (len <= 0) {
		/* The frame we gathered for is gone: so are our claims. */
		tun_vring_rx_release(tv, vr, 0);
		return TUN_VRING_IDLE;
	}

	ret = tun_vring_rx_take(tv, vr, TUN_VRING_HDR_MRG_LEN + len);
	if (ret < 0)
		return TUN_VRING_STOP;
	if (!ret)
		return TUN_VRING_NO_BUFFERS;

	iov_iter_init(&msg.msg_iter, ITER_DEST, buf->iov, buf->niov, buf->room);
	ret = sock->ops->recvmsg(sock, &msg, buf->room,
				 MSG_DONTWAIT | MSG_TRUNC);
	if (ret == -EAGAIN || ret == -EBADFD || ret == 0) {
		/* Somebody else read it, or the queue lost its device. */
		tun_vring_rx_release(tv, vr, 0);
		return TUN_VRING_IDLE;
	}
	if (ret == -EFAULT) {
		vring_mark_broken(vr, "cannot write a receive buffer (bad address)");
		return TUN_VRING_STOP;
	}
	if (ret < 0 || ret > buf->room) {
		/* Too big, or smaller buffers than the vnet header itself. */
		tun_vring_rx_release(tv, vr, 0);
		tun_vring_count(&tv->stats.rx_dropped, 1);
		tun_vring_count(ret < 0 ? &tv->stats.rx_refused :
					  &tv->stats.rx_too_big, 1);
		return TUN_VRING_MORE;
	}
	return tun_vring_rx_publish(tv, vr, ret);
}

/*N:235 Receive interrupt moderation.  A guest's driver asks for a signal
 * at the first frame after it caught up, so frames that come one at a
 * time, faster than the guest takes an interrupt, cost an interrupt each:
 * the guest spends its time entering and leaving its handler.  With a gap
 * set (TUN_VRING_SET_RX_COALESCE), a signal due sooner than the gap after
 * the last one waits for a timer, and the frames that arrive meanwhile
 * share it.  A frame after a quiet spell is signalled at once, so a lone
 * ping pays nothing.  The timer fires in interrupt context, where guest
 * memory cannot be read, so it only marks the signal due and queues the
 * rx ring's kick; the receive loop sends it.
 */
static enum hrtimer_restart tun_vring_rx_timer(struct hrtimer *timer)
{
	struct tun_vring *tv = container_of(timer, struct tun_vring, rx_timer);

	WRITE_ONCE(tv->rx_signal_due, true);
	vring_queue_kick(tv->rx);
	return HRTIMER_NORESTART;
}

static void tun_vring_rx_signal(struct tun_vring *tv, struct vring *vr)
{
	u64 gap = READ_ONCE(tv->rx_coalesce_ns);
	ktime_t now = ktime_get();
	ktime_t next = ktime_add_ns(tv->rx_last_signal, gap);

	if (gap && ktime_before(now, next)) {
		spin_lock(&tv->rx_timer_lock);
		if (tv->rx_timer_on && !hrtimer_is_queued(&tv->rx_timer))
			hrtimer_start(&tv->rx_timer, next, HRTIMER_MODE_ABS);
		spin_unlock(&tv->rx_timer_lock);
		tun_vring_count(&tv->stats.rx_coalesced, 1);
		return;
	}
	WRITE_ONCE(tv->rx_signal_due, false);
	tv->rx_last_signal = now;
	vring_signal_if_needed(vr);
}

/* Receiving, the tap is what runs dry: has it a frame for us now? */
static int tun_vring_rx_found(struct tun_vring *tv, struct vring *vr)
{
	return tv->sock->ops->peek_len(tv->sock) > 0;
}

/*N:230 The receive loop.  Two things wake it: the tap (a frame arrived,
 * N:240) and the guest (it posted buffers, via the rx ring's kick).  We
 * only need the guest's kick when we are stuck for buffers, so kicks stay
 * off while frames flow and while the tap is quiet, and come on, with the
 * second look of R:110, only when a frame waits and the ring is empty.
 */
static void tun_vring_rx_run(struct tun_vring *tv, struct vring *vr)
{
	unsigned int budget = TUN_VRING_BUDGET, done = 0;
	enum tun_vring_step step;
	bool unsignalled;
	u64 poll_end = 0;

	tun_vring_count(&tv->stats.rx_runs, 1);
	if (vring_disable_kicks(vr))
		return;
	/* The timer's: signal whatever we do below. */
	unsignalled = READ_ONCE(tv->rx_signal_due);
	for (;;) {
		step = tun_vring_rx_one(tv, vr);
		if (step == TUN_VRING_MORE) {
			unsignalled = true;
			if (++done < budget)
				continue;
			vring_queue_kick(vr);
			break;
		}
		if (step == TUN_VRING_IDLE && READ_ONCE(tv->busy_poll_ns)) {
			/* The guest hears of what it has before we wait. */
			if (unsignalled)
				tun_vring_rx_signal(tv, vr);
			unsignalled = false;
			if (tun_vring_busy_poll(tv, tun_vring_rx_found, vr,
						&poll_end,
						&tv->rx_busy_poll_hits))
				continue;
		}
		if (step != TUN_VRING_NO_BUFFERS)
			break;
		if (vring_enable_kicks(vr) <= 0) {
			tun_vring_count(&tv->stats.rx_no_buffers, 1);
			break;
		}
		if (vring_disable_kicks(vr))
			break;
	}
	if (unsignalled)
		tun_vring_rx_signal(tv, vr);
}

static void tun_vring_rx_kick(struct vring *vr, void *priv)
{
	tun_vring_rx_run(priv, vr);
}

static const struct vring_consumer_ops tun_vring_rx_ops = {
	.kick = tun_vring_rx_kick,
};

static const struct vring_consumer_ops tun_vring_tx_ops = {
	.kick = tun_vring_tx_kick,
};

/*N:240 How a frame arriving on the tap reaches us.  We put an entry on
 * the tap socket's wait queue, the one poll() and blocking read() sleep
 * on, but with our own wake function: the tap calls it (in softirq or
 * with locks held) when a frame is queued, and all it does is queue the rx
 * ring's kick, which runs the receive loop in the launcher's address
 * space.  EPOLLOUT restarts a transmit that found the tap full.
 */
static int tun_vring_tap_wake(wait_queue_entry_t *wait, unsigned int mode,
			      int sync, void *key)
{
	struct tun_vring *tv = container_of(wait, struct tun_vring, tap_wait);
	__poll_t mask = key_to_poll(key);

	/* A wake-up without a key could be anything: treat it as all. */
	if (!mask || (mask & (EPOLLIN | EPOLLRDNORM | EPOLLERR | EPOLLHUP)))
		vring_queue_kick(tv->rx);
	if ((!mask || (mask & (EPOLLOUT | EPOLLWRNORM))) &&
	    READ_ONCE(tv->tx_blocked)) {
		WRITE_ONCE(tv->tx_blocked, false);
		vring_queue_kick(tv->tx);
	}
	return 0;
}

static void tun_vring_tap_queue_proc(struct file *file,
				     wait_queue_head_t *head,
				     poll_table *table)
{
	struct tun_vring *tv = container_of(table, struct tun_vring,
					    tap_table);

	/* tun and macvtap each have one queue; take the first offered. */
	if (tv->tap_head)
		return;
	tv->tap_head = head;
	add_wait_queue(head, &tv->tap_wait);
}

/*N:250 Which fds are taps.  tun_get_socket() recognises a /dev/net/tun
 * file; a macvtap (or ipvtap) queue file is recognised by tap.ko's
 * tap_get_socket(), which we borrow only if tap.ko is loaded, so that a
 * plain tun user does not need it.  The socket lives as long as the file,
 * and we hold the file.
 */
static struct socket *tun_vring_get_socket(struct file *file)
{
	struct socket *sock;

	sock = tun_get_socket(file);
	if (!IS_ERR(sock))
		return sock;
#if IS_ENABLED(CONFIG_TAP)
	{
		struct socket *(*get_tap_socket)(struct file *file);

		get_tap_socket = symbol_get(tap_get_socket);
		if (get_tap_socket) {
			sock = get_tap_socket(file);
			symbol_put(tap_get_socket);
			if (!IS_ERR(sock) || PTR_ERR(sock) == -EBADFD)
				return sock;
		}
	}
#endif
	return ERR_PTR(-ENOTSOCK);
}

static struct vring *tun_vring_attach_ring(int fd,
					   const struct vring_consumer_ops *ops,
					   struct tun_vring *tv)
{
	struct file *file;
	struct vring *vr;

	file = fget(fd);
	if (!file)
		return ERR_PTR(-EBADF);
	vr = vring_attach(file, ops, tv);
	fput(file);
	return vr;
}

/* Is this fd the same open file as that one? (for rx_fd == tx_fd) */
static bool tun_vring_same_file(int fd1, int fd2)
{
	struct file *a, *b;
	bool same;

	a = fget(fd1);
	b = fget(fd2);
	same = a && a == b;
	if (a)
		fput(a);
	if (b)
		fput(b);
	return same;
}

/*N:280 Taking the pieces apart again, in the one order that is safe.
 * First the wait-queue entry, so the tap can no longer queue kicks on a
 * ring we are about to let go.  Then the rings: vring_detach() interrupts
 * a kick of the ring's worker that waits on the launcher's memory, then
 * takes the ring's lock, which every ->kick() runs under, so when it
 * returns no kick of ours is running and none will start (a kick already
 * queued finds no consumer and does nothing).  Only then the tap file,
 * whose socket those kicks used.  This must never run inside one of our
 * own kicks, and cannot: only release() and a failed ATTACH call it.
 *
 * The receive loop may hold chains of the rx ring for a frame it could
 * not yet fit (N:200).  They are the old ring's buffers, at the old
 * ring's addresses: once it is detached they are forgotten, or an ATTACH
 * retried after a failure would write its first frame into them and
 * publish their heads on the new ring.  The old ring does not get them
 * back; its owner resets it with VRINGSETUP, as a launcher does when the
 * guest resets the device.
 */
static void tun_vring_unbind(struct tun_vring *tv)
{
	if (tv->tap_head)
		remove_wait_queue(tv->tap_head, &tv->tap_wait);
	tv->tap_head = NULL;
	/* No receive loop arms the timer after this, and it is not running. */
	spin_lock(&tv->rx_timer_lock);
	tv->rx_timer_on = false;
	spin_unlock(&tv->rx_timer_lock);
	hrtimer_cancel(&tv->rx_timer);
	if (tv->rx)
		vring_detach(tv->rx);
	if (tv->tx)
		vring_detach(tv->tx);
	tv->rx = NULL;
	tv->tx = NULL;
	tun_vring_rx_forget(&tv->rx_buf);
	if (tv->tap_file)
		fput(tv->tap_file);
	tv->tap_file = NULL;
	tv->sock = NULL;
}

/*N:260 TUN_VRING_ATTACH puts the binding together.  Each fd is checked
 * and referenced in turn, and each failure says which fd was wrong:
 * EBADF (not open), ENOTSOCK (tap_fd is not a tap), EBADFD (a tun fd with
 * no device: TUNSETIFF missing), EINVAL (not a /dev/vring, or rx and tx
 * are one ring), ENXIO (ring not set up), EBUSY (the ring already has a
 * consumer).  The socket must be known before the rings are attached,
 * since a kick may come the moment they are; the wait-queue entry goes on
 * last, when both rings are ours.
 */
static int tun_vring_bind(struct tun_vring *tv,
			  const struct tun_vring_attach *arg)
{
	int err;

	if (arg->flags & ~TUN_VRING_KNOWN_FLAGS)
		return -EINVAL;
	if (tun_vring_same_file(arg->rx_fd, arg->tx_fd))
		return -EINVAL;

	tv->tap_file = fget(arg->tap_fd);
	if (!tv->tap_file)
		return -EBADF;
	tv->sock = tun_vring_get_socket(tv->tap_file);
	if (IS_ERR(tv->sock)) {
		err = PTR_ERR(tv->sock);
		tv->sock = NULL;
		goto undo;
	}
	tv->flags = arg->flags;
	tv->stats = (struct tun_vring_stats){ };
	tv->rx_busy_poll_hits = 0;
	tv->tx_busy_poll_hits = 0;
	tv->tx_blocked = false;
	tv->rx_signal_due = false;
	tv->rx_last_signal = 0;
	spin_lock(&tv->rx_timer_lock);
	tv->rx_timer_on = true;
	spin_unlock(&tv->rx_timer_lock);

	tv->rx = tun_vring_attach_ring(arg->rx_fd, &tun_vring_rx_ops, tv);
	if (IS_ERR(tv->rx)) {
		err = PTR_ERR(tv->rx);
		tv->rx = NULL;
		goto undo;
	}
	tv->tx = tun_vring_attach_ring(arg->tx_fd, &tun_vring_tx_ops, tv);
	if (IS_ERR(tv->tx)) {
		err = PTR_ERR(tv->tx);
		tv->tx = NULL;
		goto undo;
	}

	/* tun's poll() offers its wait queue only while the file is attached
	 * to a device; no queue offered means no device to bind to.
	 */
	vfs_poll(tv->tap_file, &tv->tap_table);
	if (!tv->tap_head) {
		err = -EBADFD;
		goto undo;
	}

	/* Frames and buffers may both be waiting already. */
	vring_queue_kick(tv->rx);
	vring_queue_kick(tv->tx);
	return 0;

undo:
	tun_vring_unbind(tv);
	return err;
}

static int tun_vring_attach(struct tun_vring *tv,
			    const struct tun_vring_attach __user *uarg)
{
	struct tun_vring_attach arg;
	int err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	mutex_lock(&tv->lock);
	if (tv->attached) {
		err = -EBUSY;
	} else {
		err = tun_vring_bind(tv, &arg);
		tv->attached = !err;
	}
	mutex_unlock(&tv->lock);
	return err;
}

static int tun_vring_get_stats(struct tun_vring *tv,
			       struct tun_vring_stats __user *uarg)
{
	const u64 *from = (const u64 *)&tv->stats;
	struct tun_vring_stats stats;
	u64 *to = (u64 *)&stats;
	unsigned int i;

	for (i = 0; i < sizeof(stats) / sizeof(u64); i++)
		to[i] = READ_ONCE(from[i]);
	stats.busy_poll_hits = READ_ONCE(tv->rx_busy_poll_hits) +
			       READ_ONCE(tv->tx_busy_poll_hits);
	return copy_to_user(uarg, &stats, sizeof(stats)) ? -EFAULT : 0;
}

static long tun_vring_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	struct tun_vring *tv = file->private_data;

	switch (cmd) {
	case TUN_VRING_ATTACH:
		return tun_vring_attach(tv, (void __user *)arg);
	case TUN_VRING_GETSTATS:
		return tun_vring_get_stats(tv, (void __user *)arg);
	case TUN_VRING_SET_RX_COALESCE:
		if (arg > TUN_VRING_MAX_RX_COALESCE_USECS)
			return -EINVAL;
		WRITE_ONCE(tv->rx_coalesce_ns, (u64)arg * NSEC_PER_USEC);
		return 0;
	case TUN_VRING_SET_BUSY_POLL:
		if (arg > TUN_VRING_MAX_BUSY_POLL_USECS)
			return -EINVAL;
		WRITE_ONCE(tv->busy_poll_ns, (u64)arg * NSEC_PER_USEC);
		return 0;
	default:
		return -ENOTTY;
	}
}

static void tun_vring_free(struct tun_vring *tv)
{
	kvfree(tv->rx_buf.iov);
	kvfree(tv->rx_buf.heads);
	kvfree(tv->tx_iov);
	kfree(tv);
}

static int tun_vring_open(struct inode *inode, struct file *file)
{
	struct tun_vring *tv;

	tv = kzalloc(sizeof(*tv), GFP_KERNEL_ACCOUNT);
	if (!tv)
		return -ENOMEM;
	tv->rx_buf.iov = kvmalloc_array(TUN_VRING_MAX_SEGS, sizeof(struct iovec),
					GFP_KERNEL_ACCOUNT);
	tv->rx_buf.heads = kvmalloc_array(TUN_VRING_MAX_SEGS,
					  sizeof(struct tun_vring_rx_head),
					  GFP_KERNEL_ACCOUNT);
	tv->tx_iov = kvmalloc_array(TUN_VRING_MAX_SEGS, sizeof(struct iovec),
				    GFP_KERNEL_ACCOUNT);
	if (!tv->rx_buf.iov || !tv->rx_buf.heads || !tv->tx_iov) {
		tun_vring_free(tv);
		return -ENOMEM;
	}
	mutex_init(&tv->lock);
	spin_lock_init(&tv->rx_timer_lock);
	hrtimer_init(&tv->rx_timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	tv->rx_timer.function = tun_vring_rx_timer;
	init_waitqueue_func_entry(&tv->tap_wait, tun_vring_tap_wake);
	init_poll_funcptr(&tv->tap_table, tun_vring_tap_queue_proc);
	file->private_data = tv;
	return 0;
}

/*N:300 close() of the binding is the whole teardown: however the
 * launcher ends (exit, crash, kill -9), its files are closed and we end up
 * here.  The rings and the tap may already be closed by the launcher; our
 * references kept them alive until now, and dropping them here frees them.
 */
static int tun_vring_release(struct inode *inode, struct file *file)
{
	struct tun_vring *tv = file->private_data;

	tun_vring_unbind(tv);
	tun_vring_free(tv);
	return 0;
}

static const struct file_operations tun_vring_fops = {
	.owner		= THIS_MODULE,
	.open		= tun_vring_open,
	.release	= tun_vring_release,
	.unlocked_ioctl	= tun_vring_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice tun_vring_misc = {
	.minor	= TUN_VRING_MINOR,
	.name	= "tun_vring",
	.fops	= &tun_vring_fops,
	.mode	= 0666,
};

module_misc_device(tun_vring_misc);

MODULE_DESCRIPTION("tun_vring: a tap queue served from two vringfds");
MODULE_AUTHOR("lguest developers");
MODULE_LICENSE("GPL");
MODULE_ALIAS_MISCDEV(TUN_VRING_MINOR);
MODULE_ALIAS("devname:tun_vring");
