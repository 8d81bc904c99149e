// SPDX-License-Identifier: GPL-2.0
/*L:400
 * The I/O thread.  The vCPU runs on the main thread, inside the kernel
 * most of the time; anything that arrives from the outside world (a key
 * on the console, a block request finished, a packet) is noticed here, by
 * one thread sleeping in poll() over every file descriptor the devices
 * asked us to watch.  A device's callback then raises an interrupt line,
 * which wakes the vCPU in the kernel: no signal, no round trip through
 * the main thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "launcher.h"

#define IO_WATCH_MAX 64

struct io_watcher {
	int fd;
	void (*fn)(void *opaque);
	void *opaque;
};

static pthread_mutex_t io_lock = PTHREAD_MUTEX_INITIALIZER;
static struct io_watcher watchers[IO_WATCH_MAX];
static unsigned int nr_watchers;
/* Writing to wake_pipe[1] makes the poll loop re-read the watch list. */
static int wake_pipe[2] = { -1, -1 };

static void wake_io_thread(void)
{
	if (wake_pipe[1] >= 0 && write(wake_pipe[1], "", 1) < 0 &&
	    errno != EAGAIN)
		die("waking the I/O thread: %m");
}

int io_watch(int fd, void (*fn)(void *opaque), void *opaque)
{
	int ret = -1;

	pthread_mutex_lock(&io_lock);
	if (nr_watchers < IO_WATCH_MAX) {
		watchers[nr_watchers++] = (struct io_watcher){ fd, fn, opaque };
		ret = 0;
	}
	pthread_mutex_unlock(&io_lock);
	if (ret == 0)
		wake_io_thread();
	return ret;
}

/*L:402
 * A device stops listening to an fd at its end of file: an fd at EOF is
 * readable for ever, and poll() would hand it back to us at once, every
 * time, with the I/O thread spinning on a CPU.  The entry is gone from
 * the next poll() on.
 */
int io_unwatch(int fd)
{
	unsigned int i;
	int ret = -1;

	pthread_mutex_lock(&io_lock);
	for (i = 0; i < nr_watchers; i++) {
		if (watchers[i].fd != fd)
			continue;
		watchers[i] = watchers[--nr_watchers];
		ret = 0;
		break;
	}
	pthread_mutex_unlock(&io_lock);
	if (ret == 0)
		wake_io_thread();
	return ret;
}

static void drain_wake_pipe(void)
{
	char buf[64];

	while (read(wake_pipe[0], buf, sizeof(buf)) > 0)
		;
}

/*
 * One callback may unwatch another fd that poll() also found ready in
 * the same round; that one must not be called any more.
 */
static bool still_watched(const struct io_watcher *w)
{
	bool found = false;
	unsigned int i;

	pthread_mutex_lock(&io_lock);
	for (i = 0; i < nr_watchers && !found; i++)
		found = watchers[i].fd == w->fd && watchers[i].fn == w->fn &&
			watchers[i].opaque == w->opaque;
	pthread_mutex_unlock(&io_lock);
	return found;
}

static void *io_thread(void *unused)
{
	struct pollfd fds[IO_WATCH_MAX + 1];
	struct io_watcher copy[IO_WATCH_MAX];
	unsigned int i, n;

	(void)unused;
	for (;;) {
		pthread_mutex_lock(&io_lock);
		n = nr_watchers;
		for (i = 0; i < n; i++) {
			copy[i] = watchers[i];
			fds[i] = (struct pollfd){ .fd = copy[i].fd,
						  .events = POLLIN };
		}
		pthread_mutex_unlock(&io_lock);
		fds[n] = (struct pollfd){ .fd = wake_pipe[0], .events = POLLIN };

		if (poll(fds, n + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %m");
		}
		for (i = 0; i < n; i++)
			if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
			    still_watched(&copy[i]))
				copy[i].fn(copy[i].opaque);
		if (fds[n].revents & POLLIN)
			drain_wake_pipe();
	}
	return NULL;
}

/*L:405
 * The I/O thread blocks every signal: SIGINT, SIGTERM and our own timer
 * signal belong to the main thread, whose KVM_RUN or LHREQ_RUN they are
 * meant to interrupt.
 */
void io_start(void)
{
	sigset_t all, old;
	pthread_t thread;

	if (pipe(wake_pipe) < 0)
		die("pipe: %m");
	/* Neither end may block: a full pipe already says "wake up". */
	if (fcntl(wake_pipe[0], F_SETFL, O_NONBLOCK) < 0 ||
	    fcntl(wake_pipe[1], F_SETFL, O_NONBLOCK) < 0)
		die("fcntl: %m");
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&thread, NULL, io_thread, NULL))
		die("cannot start the I/O thread");
	pthread_detach(thread);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}
