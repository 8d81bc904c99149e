// SPDX-License-Identifier: GPL-2.0
/*
 * VRINGSETUP and the window (VRINGSETBASE, VRINGSETLIMIT): what the device
 * accepts, what it refuses and with which errno, and what an fd does
 * before it is set up or while nobody consumes its ring.
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vringfd.h"
#include "vringfd_tests.h"

#define SETUP_NUM 256
/* The top of the user address space on x86-64 with 4-level paging. */
#define USER_TOP_4LEVEL 0x7ffffffff000ULL
/* An address in the kernel's direct map: never a user address. */
#define KERNEL_ADDR 0xffff888000000000ULL

enum setup_field { F_NUM, F_FLAGS, F_FEATURES, F_DESC, F_AVAIL, F_USED, F_LAST };

/* One way to get VRINGSETUP wrong, and the errno it must give. */
struct bad_setup {
	const char *what;
	enum setup_field field;
	int how;		/* 0: set to value, 1: add value */
	uint64_t value;
	int err;
};

static const struct bad_setup bad_setups[] = {
	{ "num 0", F_NUM, 0, 0, EINVAL },
	{ "num 3 (not a power of two)", F_NUM, 0, 3, EINVAL },
	{ "num 100 (not a power of two)", F_NUM, 0, 100, EINVAL },
	{ "num 65536 (above 32768)", F_NUM, 0, 65536, EINVAL },
	{ "num 0x80000000", F_NUM, 0, 0x80000000ULL, EINVAL },
	{ "num 0xffffffff", F_NUM, 0, 0xffffffffULL, EINVAL },
	{ "flags 1", F_FLAGS, 0, 1, EINVAL },
	{ "flags 0x80000000", F_FLAGS, 0, 0x80000000ULL, EINVAL },
	{ "feature bit 0", F_FEATURES, 0, 1ULL << 0, EINVAL },
	{ "feature bit 27", F_FEATURES, 0, 1ULL << 27, EINVAL },
	{ "feature bit 30", F_FEATURES, 0, 1ULL << 30, EINVAL },
	{ "feature bit 32 (VERSION_1)", F_FEATURES, 0, 1ULL << 32, EINVAL },
	{ "feature bit 63", F_FEATURES, 0, 1ULL << 63, EINVAL },
	{ "known + unknown features", F_FEATURES, 0,
	  (1ULL << VRINGFD_F_EVENT_IDX) | (1ULL << 5), EINVAL },
	{ "desc 8-byte aligned only", F_DESC, 1, 8, EINVAL },
	{ "desc odd", F_DESC, 1, 1, EINVAL },
	{ "avail odd", F_AVAIL, 1, 1, EINVAL },
	{ "used 2-byte aligned only", F_USED, 1, 2, EINVAL },
	{ "used odd", F_USED, 1, 1, EINVAL },
	{ "last_used odd", F_LAST, 1, 1, EINVAL },
	{ "desc at a kernel address", F_DESC, 0, KERNEL_ADDR, EFAULT },
	{ "avail at a kernel address", F_AVAIL, 0, KERNEL_ADDR, EFAULT },
	{ "used at a kernel address", F_USED, 0, KERNEL_ADDR, EFAULT },
	{ "last_used at a kernel address", F_LAST, 0, KERNEL_ADDR, EFAULT },
	{ "desc table running past the end of memory", F_DESC, 0,
	  0xfffffffffffff000ULL, EFAULT },
	{ "desc table straddling the top of user memory", F_DESC, 0,
	  USER_TOP_4LEVEL - 16, EFAULT },
};

static void apply_bad(struct vring_setup *s, const struct bad_setup *b)
{
	__u64 *field64 = NULL;
	__u32 *field32 = NULL;

	switch (b->field) {
	case F_NUM: field32 = &s->num; break;
	case F_FLAGS: field32 = &s->flags; break;
	case F_FEATURES: field64 = &s->features; break;
	case F_DESC: field64 = &s->desc; break;
	case F_AVAIL: field64 = &s->avail; break;
	case F_USED: field64 = &s->used; break;
	case F_LAST: field64 = &s->last_used; break;
	}
	if (field32)
		*field32 = b->how ? *field32 + (uint32_t)b->value : (uint32_t)b->value;
	else
		*field64 = b->how ? *field64 + b->value : b->value;
}

static void check_unconfigured(int fd, const char *when)
{
	struct vring_status st;

	memset(&st, 0xff, sizeof(st));
	if (!TAP_OK_CALL(vringfd_get_status(fd, &st),
			 "VRINGGETSTATUS %s", when))
		return;
	tap_ok(st.num == 0 && st.attached == 0 && st.broken == 0 &&
	       st.reason[0] == '\0',
	       "status %s: num 0, not attached, not broken (num %u attached %u broken %u)",
	       when, st.num, st.attached, st.broken);
	TAP_ERRNO(write(fd, "x", 1), EINVAL, "write %s fails with EINVAL", when);
}

/* The ways VRINGSETUP must fail, none of which may configure the fd. */
static void test_setup_errors(struct test_ring *r, int fd)
{
	struct vring_setup good, s;
	void *hole;
	size_t i;

	ring_fill_setup(r, &good);
	for (i = 0; i < sizeof(bad_setups) / sizeof(bad_setups[0]); i++) {
		s = good;
		apply_bad(&s, &bad_setups[i]);
		TAP_ERRNO(vringfd_setup(fd, &s), bad_setups[i].err,
			  "VRINGSETUP with %s fails with %s",
			  bad_setups[i].what, strerror(bad_setups[i].err));
	}

	/* A used ring we cannot read: its idx is read at setup time. */
	hole = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	s = good;
	s.used = (uintptr_t)hole;
	TAP_ERRNO(vringfd_setup(fd, &s), EFAULT,
		  "VRINGSETUP with used in an unreadable page fails with EFAULT");
	munmap(hole, 4096);
	s.used = (uintptr_t)hole;
	TAP_ERRNO(vringfd_setup(fd, &s), EFAULT,
		  "VRINGSETUP with used in an unmapped page fails with EFAULT");

	TAP_ERRNO(ioctl(fd, VRINGSETUP, NULL), EFAULT,
		  "VRINGSETUP with a NULL argument fails with EFAULT");
	TAP_ERRNO(ioctl(fd, VRINGSETUP, (void *)KERNEL_ADDR), EFAULT,
		  "VRINGSETUP with a kernel pointer argument fails with EFAULT");
	TAP_ERRNO(ioctl(fd, _IO(VRINGFD_IOCTL_MAGIC, 0x3f), 0), ENOTTY,
		  "an unknown ioctl fails with ENOTTY");
	check_unconfigured(fd, "after the failed VRINGSETUPs");
}

/* Sizes and features that must be accepted, and what the status says. */
static void test_setup_accepts(struct test_ring *r, int fd)
{
	uint64_t both = (1ULL << VRINGFD_F_INDIRECT_DESC) |
			(1ULL << VRINGFD_F_EVENT_IDX);
	struct vring_setup s;
	struct vring_status st;
	unsigned int num;

	ring_fill_setup(r, &s);
	for (num = 1; num <= SETUP_NUM; num *= 4) {
		s.num = num;
		if (TAP_OK_CALL(vringfd_setup(fd, &s), "VRINGSETUP num %u", num)) {
			vringfd_get_status(fd, &st);
			tap_ok(st.num == num, "status num %u after setup (%u)",
			       num, st.num);
		}
	}
	ring_fill_setup(r, &s);
	s.features = both;
	TAP_OK_CALL(vringfd_setup(fd, &s),
		    "VRINGSETUP with INDIRECT_DESC and EVENT_IDX");
	/* used->idx 1 and *last_used 0: poll has something to report. */
	r->driver.vr.used->idx = 1;
	s.features = 0;
	TAP_OK_CALL(vringfd_setup(fd, &s), "VRINGSETUP with used->idx 1");
	tap_ok(poll_one(fd, POLLIN, 0) == POLLIN,
	       "used->idx 1, last_used 0: poll reports POLLIN");
	s.last_used = 0;
	TAP_OK_CALL(vringfd_setup(fd, &s), "VRINGSETUP with no last_used");
	tap_ok(poll_one(fd, POLLIN, 0) == 0,
	       "poll without last_used never reports POLLIN");
	r->driver.vr.used->idx = 0;

	ring_fill_setup(r, &s);
	TAP_OK_CALL(vringfd_setup(fd, &s), "VRINGSETUP num %u", SETUP_NUM);
	vringfd_get_status(fd, &st);
	tap_ok(st.num == SETUP_NUM && !st.broken && !st.attached &&
	       st.last_avail == 0 && st.used_idx == 0 && st.reason[0] == '\0',
	       "status after setup: num %u, indices 0, not broken, not attached",
	       SETUP_NUM);
	tap_ok(st.base == 0, "default base is 0 (%#llx)",
	       (unsigned long long)st.base);
	tap_ok(st.limit >= USER_TOP_4LEVEL,
	       "default limit covers the user address space (%#llx)",
	       (unsigned long long)st.limit);
}

/* No consumer: a kick is accepted and does nothing at all. */
static void test_no_consumer(struct test_ring *r)
{
	static char big[65536];
	uint8_t in[32], out[32];
	struct seg segs[2] = { { in, 32, false }, { out, 32, true } };
	struct vring_status st;

	r->fd = vringfd_open_layout(r->num, 0, r->driver.vr.desc, r->driver.vr.avail,
				    r->driver.vr.used, &r->driver.last_used);
	ring_add_chain(r, segs, 2);
	driver_ring_publish(&r->driver);
	tap_ok(write(r->fd, "kick", 4) == 4,
	       "write with no consumer returns n (4)");
	tap_ok(write(r->fd, big, sizeof(big)) == sizeof(big),
	       "write with no consumer returns n (65536)");
	tap_ok(write(r->fd, "", 0) == 0, "write with no consumer returns n (0)");
	ring_status(r, &st);
	tap_ok(driver_ring_used_idx(&r->driver) == 0 && st.last_avail == 0 && !st.broken,
	       "with no consumer nothing was taken or used (used->idx %u, last_avail %u)",
	       driver_ring_used_idx(&r->driver), st.last_avail);
	close(r->fd);
	r->fd = -1;
}

void test_setup(void)
{
	struct test_ring r;
	int fd;

	if (!TAP_OK_CALL(ring_alloc(&r, SETUP_NUM, 0, RING_SPLIT),
			 "map a %u-entry split ring", SETUP_NUM))
		return;
	fd = vringfd_open();
	if (!TAP_OK_CALL(fd, "open /dev/vring"))
		return;
	check_unconfigured(fd, "before VRINGSETUP");
	TAP_ERRNO(write(fd, "", 0), EINVAL,
		  "a 0-byte write before VRINGSETUP fails with EINVAL");
	tap_ok(poll_one(fd, POLLIN | POLLOUT, 0) == POLLOUT,
	       "poll before VRINGSETUP: writable, nothing else");
	test_setup_errors(&r, fd);
	test_setup_accepts(&r, fd);
	tap_ok(poll_one(fd, POLLIN | POLLOUT, 0) == POLLOUT,
	       "poll on a fresh ring: POLLOUT only");
	close(fd);
	ring_clear(&r);
	test_no_consumer(&r);
	ring_free(&r);
}

/*
 * The window.  The values go to the kernel as the ioctl argument itself:
 * a pointer passed by mistake must come back as the pointer's value.
 */
static void test_window_values(void)
{
	uint64_t not_a_pointer = 0x12345000, stack_value = 42;
	struct vring_status st;
	int fd = vringfd_open();

	if (!TAP_OK_CALL(fd, "open /dev/vring for the window"))
		return;
	TAP_OK_CALL(vringfd_set_base(fd, not_a_pointer),
		    "VRINGSETBASE before VRINGSETUP");
	TAP_OK_CALL(vringfd_set_limit(fd, 4096), "VRINGSETLIMIT 4096");
	vringfd_get_status(fd, &st);
	tap_ok(st.base == not_a_pointer && st.limit == 4096,
	       "base and limit are the values passed (%#llx, %#llx)",
	       (unsigned long long)st.base, (unsigned long long)st.limit);
	ioctl(fd, VRINGSETBASE, &stack_value);
	vringfd_get_status(fd, &st);
	tap_ok(st.base == (uintptr_t)&stack_value,
	       "VRINGSETBASE takes its argument by value, not through a pointer");
	TAP_OK_CALL(vringfd_set_base(fd, 0xffffffffffff0000ULL),
		    "VRINGSETBASE accepts any 64-bit value");
	vringfd_get_status(fd, &st);
	tap_ok(st.base == 0xffffffffffff0000ULL,
	       "status shows the 64-bit base (%#llx)", (unsigned long long)st.base);
	close(fd);
}

/* Buffers as offsets from base, right up to the limit and one byte past. */
static void test_window_ring(void)
{
	struct test_ring r;
	struct vring_status st;
	struct arena a;
	uint8_t *end;
	int echo;

	if (arena_create(&a, 65536) || ring_create(&r, 64, 0, RING_LEGACY) < 0) {
		tap_ok(false, "window ring: %s", strerror(errno));
		return;
	}
	end = a.start + a.len;
	TAP_OK_CALL(vringfd_set_base(r.fd, (uintptr_t)a.start), "VRINGSETBASE after VRINGSETUP");
	TAP_OK_CALL(vringfd_set_limit(r.fd, a.len), "VRINGSETLIMIT after VRINGSETUP");
	r.base = (uintptr_t)a.start;
	echo = echo_open();
	TAP_OK_CALL(echo_attach(echo, r.fd, -1), "attach the echo to the windowed ring");

	tap_ok(echo_roundtrip(&r, a.start + 100, a.start + 4096, 1000, 1),
	       "round trip with buffers given as offsets from base");
	tap_ok(r.driver.vr.desc[0].addr == 100 && r.driver.vr.desc[1].addr == 4096,
	       "the descriptors held offsets (%llu, %llu), not addresses",
	       (unsigned long long)r.driver.vr.desc[0].addr,
	       (unsigned long long)r.driver.vr.desc[1].addr);
	tap_ok(echo_roundtrip(&r, end - 400, end - 116, 100, 2),
	       "a buffer ending exactly at the limit is accepted");

	TAP_ERRNO(vringfd_set_base(r.fd, 0), EBUSY, "VRINGSETBASE while attached fails with EBUSY");
	TAP_ERRNO(vringfd_set_limit(r.fd, 1 << 20), EBUSY,
		  "VRINGSETLIMIT while attached fails with EBUSY");
	TAP_ERRNO(ring_setup_again(&r), EBUSY, "VRINGSETUP while attached fails with EBUSY");
	ring_status(&r, &st);
	tap_ok(st.base == (uintptr_t)a.start && st.limit == a.len && st.attached,
	       "the refused calls changed nothing (base, limit, attached)");

	/*
	 * One byte over: the chain is refused and nothing lands past the end
	 * (built by hand: echo_roundtrip() would clear the byte itself).
	 */
	{
		struct seg segs[2] = { { end - 400, 100, false }, { end - 99, 100, true } };

		pattern_fill(end - 400, 100, 3);
		ring_add_chain(&r, segs, 2);
		driver_ring_publish(&r.driver);
		TAP_ERRNO(write(r.fd, "", 0), EIO,
			  "a writable buffer crossing the limit by one byte: the kick fails with EIO");
	}
	ring_status(&r, &st);
	tap_ok(st.broken && status_reason_has(&st, "limit"),
	       "crossing the limit breaks the ring: \"%s\"", st.reason);
	tap_ok(arena_guards_intact(&a), "nothing was written past the limit");

	TAP_OK_CALL(echo_detach(echo), "VRING_ECHO_DETACH");
	TAP_OK_CALL(vringfd_set_limit(r.fd, a.len / 2), "VRINGSETLIMIT after the detach");
	ring_clear(&r);
	TAP_OK_CALL(ring_setup_again(&r), "VRINGSETUP again after the detach");
	ring_status(&r, &st);
	tap_ok(!st.broken && st.base == (uintptr_t)a.start && st.limit == a.len / 2,
	       "VRINGSETUP cleared broken and kept base and limit");
	TAP_OK_CALL(echo_attach(echo, r.fd, -1), "attach again");
	tap_ok(echo_roundtrip(&r, a.start, a.start + a.len / 2 - 116, 100, 4),
	       "round trip up to the new, lower limit");
	close(echo);
	ring_free(&r);
	arena_destroy(&a);
}

void test_window(void)
{
	test_window_values();
	test_window_ring();
}
