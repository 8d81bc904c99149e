/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Memory that never answers, for the tests: a userfaultfd trap over a few
 * pages, so that the kernel's first copy from (or to) them waits until the
 * test says otherwise, or for ever.  The kernel must be allowed to wait on
 * it (root, or vm.unprivileged_userfaultfd=1).
 */
#ifndef VRING_TEST_UFFD_H
#define VRING_TEST_UFFD_H

#include <stddef.h>

/*
 * Drop the pages of [addr, addr + len) (page-aligned, anonymous memory)
 * and register them for missing-page faults: every access now waits for
 * uffd_zero().  The userfaultfd (non-blocking), or -1 and errno.
 */
int uffd_trap(void *addr, size_t len);
/*
 * Read the fault messages pending on uffd until `want` have come or
 * timeout_ms passed; the faults stay unanswered.  How many were read.
 */
int uffd_read_faults(int uffd, int want, int timeout_ms);
/* Answer: map zero pages over [addr, addr + len), waking every fault. */
int uffd_zero(int uffd, void *addr, size_t len);

#endif /* VRING_TEST_UFFD_H */
