/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One vCPU's LHREQ_RUN in a thread of its own, for the tests that run
 * several CPUs of a guest at once (test_vcpu.c, test_apic.c): start it,
 * wait for it with a deadline, or pull it out of RUN with signals.
 */
#ifndef VCPU_RUN_H
#define VCPU_RUN_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/lguest.h>

struct vcpu_run {
	int fd;
	pthread_t thread;
	struct lguest_run run;	/* in and out, as RUN left it */
	int ret, err;		/* RUN's return value and errno */
	int done;		/* RUN returned (atomic) */
	bool joined;		/* the thread is gone (or never was) */
};

/* SIGUSR1 interrupts RUN (no SA_RESTART): RUN returns EINTR. */
void vcpu_run_catch_usr1(void);
/* RUN on fd in a new thread, with v->run as the last exit left it. */
bool vcpu_run_start(struct vcpu_run *v, int fd);
bool vcpu_run_done(struct vcpu_run *v);
void vcpu_run_join(struct vcpu_run *v);
/* Wait up to secs for RUN to return; true if it did (then joined). */
bool vcpu_run_wait(struct vcpu_run *v, double secs);
/* Signal the thread until its RUN returns, then join it. */
void vcpu_run_stop(struct vcpu_run *v);
/* Did RUN return with the guest's OUT of value to GUEST_PORT? */
bool vcpu_run_exit_is_out(const struct vcpu_run *v, uint32_t value);
/* A "# who: RUN ..., exit ..." diagnostic line: where the CPU came back. */
void vcpu_run_diag(const char *who, struct vcpu_run *v);

#endif /* VCPU_RUN_H */
