// SPDX-License-Identifier: GPL-2.0
/*
 * The userfaultfd trap of uffd.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/userfaultfd.h>

#include "uffd.h"

int uffd_trap(void *addr, size_t len)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)addr, .len = len },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	int fd, saved;

	if (madvise(addr, len, MADV_DONTNEED) < 0)
		return -1;
	fd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (ioctl(fd, UFFDIO_API, &api) < 0 ||
	    ioctl(fd, UFFDIO_REGISTER, &reg) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static double uffd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

int uffd_read_faults(int uffd, int want, int timeout_ms)
{
	double end = uffd_now_ms() + timeout_ms;
	struct uffd_msg msg[16];
	int got = 0;

	while (got < want) {
		struct pollfd p = { .fd = uffd, .events = POLLIN };
		double left = end - uffd_now_ms();
		ssize_t n;

		if (left <= 0)
			break;
		if (poll(&p, 1, (int)left + 1) <= 0)
			continue;
		n = read(uffd, msg, sizeof(msg));
		if (n > 0)
			got += n / sizeof(msg[0]);
	}
	return got;
}

int uffd_zero(int uffd, void *addr, size_t len)
{
	struct uffdio_zeropage zero = {
		.range = { .start = (uintptr_t)addr, .len = len },
	};

	return ioctl(uffd, UFFDIO_ZEROPAGE, &zero);
}
