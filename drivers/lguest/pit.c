// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's timer: an Intel 8254 programmable interval timer, channels
 * 0-2 at ports 0x40-0x42 with the control word at 0x43, and port 0x61
 * where the PC wires channel 2's gate and output.
 */

/*H:600 The 8254 is three 16-bit counters ticking down at 1.193182 MHz.
 * Channel 0's output is IRQ 0, the guest's clock interrupt; channel 2's
 * gate and output appear in port 0x61, which is how Linux measures the
 * TSC's frequency at boot (it loads 50 ms into channel 2 and counts TSC
 * cycles until the output goes high).  Channel 1 once refreshed DRAM.
 *
 * We never tick anything.  A counter is remembered as "it held this count
 * at that time": every read computes where it must be now from the host
 * clock, and for channel 0 we compute when the output will next rise, so
 * the caller can sleep on an hrtimer until then.  A guest that is not
 * looking at its timer costs us nothing.
 */
#ifdef __KERNEL__
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/limits.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/string.h>
#include <linux/time64.h>
#include <linux/types.h>
#endif

#include "lg_emul.h"

#define LG_PIT_CH0		0x40
#define LG_PIT_CONTROL		0x43
#define LG_PIT_PORT61		0x61

#define LG_PIT_READ_BACK	3	/* "channel" 3 in a control word */
#define LG_PIT_RB_NO_COUNT	0x20
#define LG_PIT_RB_NO_STATUS	0x10
#define LG_PIT_STATUS_OUT	0x80
#define LG_PIT_STATUS_NULL	0x40

#define LG_PIT_61_GATE2		0x01
#define LG_PIT_61_REFRESH	0x10
#define LG_PIT_61_OUT2		0x20
/* The DRAM refresh bit flips every 15.085 us on a PC. */
#define LG_PIT_REFRESH_NS	15085

static u32 lg_pit_modulus(const struct lg_pit_channel *ch)
{
	return ch->bcd ? 10000 : 65536;
}

/* A count of 0 means the full modulus: 65536 (or 10000 in BCD). */
static u32 lg_pit_full(const struct lg_pit_channel *ch, u16 count)
{
	return count ? count : lg_pit_modulus(ch);
}

static u16 lg_pit_from_bcd(u16 v)
{
	return (v & 0xf) + ((v >> 4) & 0xf) * 10 + ((v >> 8) & 0xf) * 100 +
	       (v >> 12) * 1000;
}

static u16 lg_pit_to_bcd(u16 v)
{
	return (v % 10) | ((v / 10 % 10) << 4) | ((v / 100 % 10) << 8) |
	       ((v / 1000 % 10) << 12);
}

/* Whole PIT clocks between when the count started and now. */
static u64 lg_pit_elapsed(const struct lg_pit_channel *ch, u64 now_ns)
{
	if (now_ns <= ch->start_ns)
		return 0;
	return mul_u64_u32_div(now_ns - ch->start_ns, LG_PIT_HZ, NSEC_PER_SEC);
}

/* The first time at which lg_pit_elapsed() reaches clocks. */
static u64 lg_pit_time_of(const struct lg_pit_channel *ch, u64 clocks)
{
	u64 ns = mul_u64_u32_div(clocks, NSEC_PER_SEC, LG_PIT_HZ);

	if (lg_pit_elapsed(ch, ch->start_ns + ns) < clocks)
		ns++;
	return ch->start_ns + ns;
}

static bool lg_pit_counting(const struct lg_pit_channel *ch)
{
	return ch->armed && !ch->paused;
}

/*H:610 What a channel shows at a moment: its count and its output pin.
 * Mode 0 (what Linux's TSC calibration uses) holds the output low from
 * the count being written until the count runs out, then high.  Mode 2,
 * the rate generator behind the periodic tick, drops the output for one
 * clock every time the count reaches 1 and reloads.  Mode 3 is a square
 * wave: high for the first half of the period, low for the second, with
 * the counter going down by two.  Modes 4 and 5 pulse the output low for
 * one clock when the count runs out; Linux's one-shot clock event uses
 * mode 4.  Modes 1 and 5 only start when the gate rises.
 */
static void lg_pit_state(const struct lg_pit_channel *ch, u64 now_ns,
			 u32 *count, bool *out)
{
	u32 modulus = lg_pit_modulus(ch), start = lg_pit_full(ch, ch->start_count);
	u32 period = lg_pit_full(ch, ch->reload), phase, half;
	u64 clocks;

	if (!lg_pit_counting(ch)) {
		*count = start % modulus;
		/* Mode 0 is low until it expires; the others idle high. */
		*out = ch->mode != 0 || ch->expired;
		return;
	}
	clocks = lg_pit_elapsed(ch, now_ns);
	switch (ch->mode) {
	case 0:
	case 1:
		*count = (start + modulus - clocks % modulus) % modulus;
		*out = ch->expired || clocks >= start;
		break;
	case 2:
		phase = clocks % period;
		*count = period - phase;
		*out = phase != period - 1;
		break;
	case 3:
		phase = clocks % period;
		half = (period + 1) / 2;
		if (phase >= half)
			phase -= half;
		*count = (period - 2 * phase) & ~1U;
		*out = clocks % period < half;
		break;
	default:	/* 4, 5 */
		*count = (start + modulus - clocks % modulus) % modulus;
		*out = clocks != start;
		break;
	}
}

static u16 lg_pit_read_count(const struct lg_pit_channel *ch, u64 now_ns)
{
	u32 count;
	bool out;

	lg_pit_state(ch, now_ns, &count, &out);
	count %= lg_pit_modulus(ch);
	return ch->bcd ? lg_pit_to_bcd(count) : count;
}

static bool lg_pit_out(const struct lg_pit_channel *ch, u64 now_ns)
{
	u32 count;
	bool out;

	lg_pit_state(ch, now_ns, &count, &out);
	return out;
}

/*
 * Freeze a channel where it is: its count becomes the count it starts
 * from, and in mode 0 an output that has gone high stays high.
 */
static void lg_pit_freeze(struct lg_pit_channel *ch, u64 now_ns)
{
	u32 count;
	bool out;

	lg_pit_state(ch, now_ns, &count, &out);
	if (ch->mode == 0 && lg_pit_counting(ch))
		ch->expired = out;
	ch->start_count = count;
	ch->start_ns = now_ns;
}

/*H:615 How often channel 0 may interrupt.  A guest can write a count of
 * 1 (or 2, the least mode 3 takes) in a periodic mode: 1.2 million
 * interrupts a second, each an hrtimer firing on a host CPU and a kick
 * of the guest, charged to nobody and going on while the guest sleeps or
 * the launcher is not even in RUN.  No guest needs a tick shorter than
 * KVM's limit of 200 us, so IRQ 0 edges come at most every 239 clocks;
 * ticks that would come faster are folded into one edge, as missed ticks
 * are anyway (H:620).  The count the guest reads back is unchanged.
 */
#define LG_PIT_MIN_IRQ_PERIOD	239	/* clocks: 200 us at 1.193182 MHz */

static u32 lg_pit_irq_period(const struct lg_pit_channel *ch)
{
	return max_t(u32, lg_pit_full(ch, ch->reload), LG_PIT_MIN_IRQ_PERIOD);
}

/*H:620 When does channel 0 next raise IRQ 0?  In the periodic modes the
 * output rises at the end of every period; in the one-shot modes once,
 * when the count runs out.  We keep that moment in irq_due_ns, and
 * lg_pit_ticks() counts the edges that have passed since the last call, so
 * a guest that was not scheduled for a while gets told how many ticks it
 * missed rather than a burst of them.
 */
static void lg_pit_update_due(struct lg_pit *pit, u64 now_ns)
{
	const struct lg_pit_channel *ch = &pit->ch[0];
	u32 period = lg_pit_irq_period(ch);
	u64 clocks;

	pit->irq_due_ns = U64_MAX;
	if (!lg_pit_counting(ch))
		return;
	switch (ch->mode) {
	case 2:
	case 3:
		clocks = lg_pit_elapsed(ch, now_ns);
		pit->irq_due_ns = lg_pit_time_of(ch, (clocks / period + 1) *
						 period);
		break;
	case 0:
	case 4:
		clocks = lg_pit_full(ch, ch->start_count);
		if (!ch->expired)
			pit->irq_due_ns = lg_pit_time_of(ch, clocks);
		break;
	}
}

unsigned int lg_pit_ticks(struct lg_pit *pit, u64 now_ns)
{
	struct lg_pit_channel *ch = &pit->ch[0];
	u64 due = pit->irq_due_ns, period, first, last;

	if (due == U64_MAX || now_ns < due)
		return 0;
	if (ch->mode != 2 && ch->mode != 3) {
		/* One-shot: the edge has happened; no more until rewritten. */
		pit->irq_due_ns = U64_MAX;
		return 1;
	}
	period = lg_pit_irq_period(ch);
	first = lg_pit_elapsed(ch, due) / period;
	last = lg_pit_elapsed(ch, now_ns) / period;
	pit->irq_due_ns = lg_pit_time_of(ch, (last + 1) * period);
	return min_t(u64, last - first + 1, UINT_MAX);
}

/*
 * A new count.  Modes 1 and 5 wait for a gate edge; the others start now
 * unless their gate is low (only channel 2's gate can be).
 */
static void lg_pit_load(struct lg_pit *pit, unsigned int n, u16 value,
			u64 now_ns)
{
	struct lg_pit_channel *ch = &pit->ch[n];

	if (ch->bcd)
		value = lg_pit_from_bcd(value) % 10000;
	ch->reload = value;
	ch->start_count = value;
	ch->start_ns = now_ns;
	ch->armed = 1;
	ch->expired = 0;
	ch->paused = ch->mode == 1 || ch->mode == 5 || !ch->gate;
	if (n == 0)
		lg_pit_update_due(pit, now_ns);
}

/*
 * Channel 2's gate, from port 0x61 bit 0.  Low stops modes 0 and 4 where
 * they are and holds modes 2 and 3 (output high); a rising edge resumes
 * modes 0 and 4 and restarts the others from their count.
 */
static void lg_pit_set_gate(struct lg_pit_channel *ch, bool gate, u64 now_ns)
{
	if (ch->gate == gate)
		return;
	ch->gate = gate;
	if (!ch->armed)
		return;
	if (!gate) {
		if (ch->mode != 1 && ch->mode != 5) {
			lg_pit_freeze(ch, now_ns);
			ch->paused = 1;
		}
		return;
	}
	if (ch->mode != 0 && ch->mode != 4) {
		ch->start_count = ch->reload;
		ch->expired = 0;
	}
	ch->start_ns = now_ns;
	ch->paused = 0;
}

static u8 lg_pit_status(const struct lg_pit_channel *ch, u64 now_ns)
{
	u8 status = ch->rw_mode << 4 | ch->mode << 1 | ch->bcd;

	if (lg_pit_out(ch, now_ns))
		status |= LG_PIT_STATUS_OUT;
	if (!ch->armed)
		status |= LG_PIT_STATUS_NULL;
	return status;
}

/* A latched count stays until read in full; later latches are ignored. */
static void lg_pit_latch(struct lg_pit_channel *ch, u64 now_ns)
{
	if (ch->latched)
		return;
	ch->latch = lg_pit_read_count(ch, now_ns);
	ch->latched = 1;
}

/*H:630 The control word at port 0x43.  Its top two bits pick a channel;
 * "channel 3" is the read-back command, which latches count and/or status
 * of several channels at once.  Access mode 0 is the counter latch
 * command: freeze a copy of the count so the guest can read both bytes of
 * one value.  Anything else sets a new mode, which stops the channel until
 * a count is written: Linux's clockevent shutdown relies on that.
 */
static void lg_pit_control(struct lg_pit *pit, u8 val, u64 now_ns)
{
	unsigned int n = val >> 6, i;
	struct lg_pit_channel *ch;

	if (n == LG_PIT_READ_BACK) {
		for (i = 0; i < 3; i++) {
			ch = &pit->ch[i];
			if (!(val & BIT(i + 1)))
				continue;
			if (!(val & LG_PIT_RB_NO_COUNT))
				lg_pit_latch(ch, now_ns);
			if (!(val & LG_PIT_RB_NO_STATUS) && !ch->status_latched) {
				ch->status = lg_pit_status(ch, now_ns);
				ch->status_latched = 1;
			}
		}
		return;
	}
	ch = &pit->ch[n];
	if (!((val >> 4) & 3)) {
		lg_pit_latch(ch, now_ns);
		return;
	}
	lg_pit_freeze(ch, now_ns);
	ch->rw_mode = (val >> 4) & 3;
	ch->mode = (val >> 1) & 7;
	if (ch->mode > 5)	/* 6 and 7 are aliases of 2 and 3 */
		ch->mode -= 4;
	ch->bcd = val & 1;
	ch->write_lsb_next = 1;
	ch->read_lsb_next = 1;
	ch->latched = 0;
	ch->status_latched = 0;
	ch->armed = 0;
	ch->paused = 0;
	ch->expired = 0;
	if (n == 0)
		pit->irq_due_ns = U64_MAX;
}

static void lg_pit_write_count(struct lg_pit *pit, unsigned int n, u8 val,
			       u64 now_ns)
{
	struct lg_pit_channel *ch = &pit->ch[n];

	switch (ch->rw_mode) {
	case 1:
		lg_pit_load(pit, n, val, now_ns);
		break;
	case 2:
		lg_pit_load(pit, n, val << 8, now_ns);
		break;
	default:
		if (ch->write_lsb_next) {
			ch->write_lsb = val;
			ch->write_lsb_next = 0;
			/* Mode 0 stops counting between the two bytes. */
			if (ch->mode == 0 && ch->armed) {
				lg_pit_freeze(ch, now_ns);
				ch->armed = 0;
				ch->expired = 0;
				if (n == 0)
					pit->irq_due_ns = U64_MAX;
			}
			break;
		}
		ch->write_lsb_next = 1;
		lg_pit_load(pit, n, ch->write_lsb | val << 8, now_ns);
		break;
	}
}

static u8 lg_pit_read_port(struct lg_pit_channel *ch, u64 now_ns)
{
	u16 value;
	u8 byte;

	if (ch->status_latched) {
		ch->status_latched = 0;
		return ch->status;
	}
	value = ch->latched ? ch->latch : lg_pit_read_count(ch, now_ns);
	switch (ch->rw_mode) {
	case 1:
		ch->latched = 0;
		return value & 0xff;
	case 2:
		ch->latched = 0;
		return value >> 8;
	}
	if (ch->read_lsb_next) {
		byte = value & 0xff;
	} else {
		byte = value >> 8;
		ch->latched = 0;
	}
	ch->read_lsb_next = !ch->read_lsb_next;
	return byte;
}

void lg_pit_reset(struct lg_pit *pit)
{
	unsigned int i;

	memset(pit, 0, sizeof(*pit));
	for (i = 0; i < 3; i++) {
		pit->ch[i].rw_mode = 3;
		pit->ch[i].write_lsb_next = 1;
		pit->ch[i].read_lsb_next = 1;
		/* Channels 0 and 1 have their gates tied high on a PC. */
		pit->ch[i].gate = i != 2;
	}
	pit->irq_due_ns = U64_MAX;
}

bool lg_pit_owns_port(u16 port)
{
	return (port >= LG_PIT_CH0 && port <= LG_PIT_CONTROL) ||
	       port == LG_PIT_PORT61;
}

/*H:640 Port 0x61 is the PC's "system control port B": bit 0 is channel
 * 2's gate, bit 1 feeds the speaker, bit 4 is the DRAM refresh toggle and
 * bit 5 shows channel 2's output.  Linux's pit_calibrate_tsc() raises the
 * gate, starts channel 2 in mode 0 and spins until bit 5 goes high; the
 * TSC cycles it counted meanwhile give the TSC frequency.  Because our
 * count is computed from the host clock, the guest measures the TSC (which
 * runs at the host's rate) against real time, and gets it right.
 */
static u8 lg_pit_port61_read(struct lg_pit *pit, u64 now_ns)
{
	u8 val = pit->port61 & 0x0f;

	if (lg_pit_out(&pit->ch[2], now_ns))
		val |= LG_PIT_61_OUT2;
	if ((now_ns / LG_PIT_REFRESH_NS) & 1)
		val |= LG_PIT_61_REFRESH;
	return val;
}

int lg_pit_io(struct lg_pit *pit, u16 port, bool is_write, u8 *val,
	      u64 now_ns)
{
	if (port == LG_PIT_PORT61) {
		if (is_write) {
			pit->port61 = *val & 0x0f;
			lg_pit_set_gate(&pit->ch[2], *val & LG_PIT_61_GATE2,
					now_ns);
		} else {
			*val = lg_pit_port61_read(pit, now_ns);
		}
		return 0;
	}
	if (!lg_pit_owns_port(port))
		return -EINVAL;
	if (port == LG_PIT_CONTROL) {
		if (is_write)
			lg_pit_control(pit, *val, now_ns);
		else
			*val = 0xff;	/* the control word cannot be read */
		return 0;
	}
	if (is_write)
		lg_pit_write_count(pit, port - LG_PIT_CH0, *val, now_ns);
	else
		*val = lg_pit_read_port(&pit->ch[port - LG_PIT_CH0], now_ns);
	return 0;
}
