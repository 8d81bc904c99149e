// SPDX-License-Identifier: GPL-2.0
/* One vCPU's RUN in a thread of its own (vcpu_run.h). */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "guest.h"
#include "tap.h"
#include "vcpu_run.h"

static void on_signal(int sig)
{
	(void)sig;
}

void vcpu_run_catch_usr1(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGUSR1, &sa, NULL);
}

static void *run_thread(void *p)
{
	struct vcpu_run *v = p;

	v->ret = ioctl(v->fd, LHREQ_RUN, &v->run);
	v->err = errno;
	__atomic_store_n(&v->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

bool vcpu_run_start(struct vcpu_run *v, int fd)
{
	v->fd = fd;
	v->done = 0;
	v->joined = false;
	if (pthread_create(&v->thread, NULL, run_thread, v)) {
		v->joined = true;
		tap_ok(false, "start a RUN thread");
		return false;
	}
	return true;
}

bool vcpu_run_done(struct vcpu_run *v)
{
	return __atomic_load_n(&v->done, __ATOMIC_ACQUIRE);
}

void vcpu_run_join(struct vcpu_run *v)
{
	if (!v->joined)
		pthread_join(v->thread, NULL);
	v->joined = true;
}

bool vcpu_run_wait(struct vcpu_run *v, double secs)
{
	double end = guest_now() + secs;

	if (v->joined)
		return true;
	while (!vcpu_run_done(v) && guest_now() < end)
		usleep(1000);
	if (!vcpu_run_done(v))
		return false;
	vcpu_run_join(v);
	return true;
}

/* A signal that comes before the thread is inside RUN is lost: repeat. */
void vcpu_run_stop(struct vcpu_run *v)
{
	if (v->joined)
		return;
	while (!vcpu_run_done(v)) {
		pthread_kill(v->thread, SIGUSR1);
		usleep(20000);
	}
	vcpu_run_join(v);
}

bool vcpu_run_exit_is_out(const struct vcpu_run *v, uint32_t value)
{
	return v->ret == 0 && v->run.exit_reason == LGUEST_EXIT_IO &&
		v->run.io.port == GUEST_PORT && v->run.io.is_write &&
		v->run.io.data == value;
}

void vcpu_run_diag(const char *who, struct vcpu_run *v)
{
	v->run.reason[sizeof(v->run.reason) - 1] = '\0';
	tap_diag("%s: RUN %d (%s), exit %s, port %#x data %#x%s%s", who,
		 v->ret, v->ret ? strerror(v->err) : "ok",
		 guest_exit_name(v->run.exit_reason), v->run.io.port,
		 v->run.io.data,
		 v->run.exit_reason >= LGUEST_EXIT_RESET ? ": " : "",
		 v->run.exit_reason >= LGUEST_EXIT_RESET ? v->run.reason : "");
	if (v->ret == 0 && v->run.exit_reason == LGUEST_EXIT_MMIO)
		tap_diag("%s: MMIO at %#llx, %u bytes, %s", who,
			 (unsigned long long)v->run.mmio.addr, v->run.mmio.len,
			 v->run.mmio.is_write ? "write" : "read");
}
