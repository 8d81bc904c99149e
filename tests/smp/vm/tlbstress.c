// SPDX-License-Identifier: GPL-2.0
/*
 * tlbstress: make a guest kernel shoot down TLB entries between two CPUs,
 * and check that neither CPU goes on reading through a stale one.
 *
 *	tlbstress [ROUNDS [CPU_A CPU_B]]	(default 1000 rounds, CPUs 0 and 1)
 *
 * Two threads, one pinned to each CPU, take turns.  In round i the writer
 * (CPU_B in odd rounds, CPU_A in even ones) replaces the page at a fixed
 * address with a fresh one (mmap MAP_FIXED: the old page is unmapped and
 * freed), stores i in it and publishes i; the reader, which has been
 * reading that address all along (so its TLB holds the old page's
 * translation), waits for i and reads the page.  It must see i: the
 * kernel cannot free the old page before every CPU that may cache its
 * translation has flushed it, which on x86 takes an IPI to the other CPU
 * (a "TLB shootdown").  A lost IPI hangs the writer in munmap (the caller
 * runs us under a timeout); an IPI that arrives but does not flush shows
 * as the round's old value.
 *
 * Prints "tlbstress: N rounds ok on cpus A and B" and exits 0, or says
 * which round went wrong and exits 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile unsigned int *page;
static unsigned int rounds = 1000;
static unsigned int published, acked;	/* round numbers, 1-based */
static unsigned int bad_round, bad_value;
static int cpus[2] = { 0, 1 };

static void fail(const char *what)
{
	fprintf(stderr, "tlbstress: %s: %s\n", what, strerror(errno));
	exit(2);
}

static unsigned int load(unsigned int *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store(unsigned int *p, unsigned int v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static void *worker(void *arg)
{
	unsigned int me = (unsigned int)(unsigned long)arg, i;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpus[me], &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fail("sched_setaffinity");
	for (i = 1; i <= rounds && !load(&bad_round); i++) {
		if ((i & 1) == me) {
			/* Writer: wait for the last round's reader first. */
			while (load(&acked) != i - 1 && !load(&bad_round))
				(void)*page;
			if (mmap((void *)page, 4096, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
				 -1, 0) != (void *)page)
				fail("mmap");
			*page = i;
			store(&published, i);
			continue;
		}
		/* Reader: keep the translation warm until round i is out. */
		while (load(&published) != i && !load(&bad_round))
			(void)*page;
		if (*page != i) {
			bad_value = *page;
			store(&bad_round, i);
		}
		store(&acked, i);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t threads[2];
	unsigned int t;

	if (argc > 1)
		rounds = strtoul(argv[1], NULL, 10);
	if (!rounds || rounds > 100000000) {
		fprintf(stderr, "tlbstress: want 1 to 100000000 rounds\n");
		return 2;
	}
	if (argc > 3) {
		cpus[0] = atoi(argv[2]);
		cpus[1] = atoi(argv[3]);
	}
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		fail("mmap");
	for (t = 0; t < 2; t++)
		if (pthread_create(&threads[t], NULL, worker,
				   (void *)(unsigned long)t))
			fail("pthread_create");
	for (t = 0; t < 2; t++)
		pthread_join(threads[t], NULL);
	if (bad_round) {
		printf("tlbstress: round %u: cpu %d read %u through a stale translation\n",
		       bad_round, cpus[bad_round & 1 ? 0 : 1], bad_value);
		return 1;
	}
	printf("tlbstress: %u rounds ok on cpus %d and %d\n", rounds, cpus[0],
	       cpus[1]);
	return 0;
}
