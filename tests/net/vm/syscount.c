// SPDX-License-Identifier: GPL-2.0
/*
 * syscount: count the system calls a running process makes, per number.
 *
 *	syscount [-t SECONDS] PID
 *
 * The network tests use it to show that the launcher makes (almost) no
 * system call per packet on the vring backend, and how many it makes on
 * the copy backend.  strace -c would do, but busybox has no strace and the
 * test VM has nothing else, so this is a small static tracer of our own.
 *
 * Every thread of PID is seized with ptrace (PTRACE_SEIZE does not send
 * the target a SIGSTOP, so its job control is left alone), interrupted
 * once and then resumed with PTRACE_SYSCALL; threads it creates later are
 * followed through PTRACE_O_TRACECLONE.  Each syscall-entry stop counts
 * one.  After SECONDS (or at SIGINT/SIGTERM) every thread is interrupted
 * again and detached, and the target runs on as if nothing had happened:
 * a thread interrupted inside a blocking system call sees it restarted
 * (or, for one that returns -EINTR on any pending signal, as lg.ko's
 * LHREQ_RUN does, an EINTR its caller must already cope with), and a
 * signal that arrived while we held the thread is delivered on.
 *
 * Output on stdout:
 *
 *	syscalls N
 *	syscall NR COUNT [NAME]		one per number seen, most frequent first
 *
 * A restarted system call counts again: that is what the kernel sees.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* System call numbers below this get their own counter; others share one. */
#define SYSCOUNT_MAX_NR 1024
#define SYSCOUNT_OTHER_NR SYSCOUNT_MAX_NR

/* How long the final interrupt-and-detach may take before we give up. */
#define SYSCOUNT_DETACH_TIMEOUT_S 5

enum thread_state {
	THREAD_RUNNING,		/* resumed (or listening in a group-stop) */
	THREAD_GONE,		/* exited or detached: nothing more to do */
};

struct thread {
	pid_t tid;
	enum thread_state state;
};

static struct thread *threads;
static size_t nr_threads, threads_size;
static unsigned long long counts[SYSCOUNT_MAX_NR + 1];
static unsigned long long total;

static const struct {
	long nr;
	const char *name;
} syscall_names[] = {
#define NAME(n) { SYS_##n, #n }
	NAME(read), NAME(write), NAME(readv), NAME(writev), NAME(pread64),
	NAME(pwrite64), NAME(preadv), NAME(pwritev), NAME(ioctl), NAME(poll),
	NAME(ppoll), NAME(select), NAME(pselect6), NAME(epoll_wait),
	NAME(epoll_pwait), NAME(epoll_ctl), NAME(sendto), NAME(recvfrom),
	NAME(sendmsg), NAME(recvmsg), NAME(sendmmsg), NAME(recvmmsg),
	NAME(futex), NAME(nanosleep), NAME(clock_nanosleep),
	NAME(clock_gettime), NAME(gettimeofday), NAME(getppid), NAME(getpid),
	NAME(gettid), NAME(restart_syscall), NAME(rt_sigreturn),
	NAME(rt_sigprocmask), NAME(rt_sigaction), NAME(rt_sigtimedwait),
	NAME(kill), NAME(tgkill), NAME(mmap), NAME(munmap), NAME(mprotect),
	NAME(madvise), NAME(brk), NAME(open), NAME(openat), NAME(close),
	NAME(fstat), NAME(newfstatat), NAME(lseek), NAME(fcntl), NAME(dup),
	NAME(dup2), NAME(pipe2), NAME(eventfd2), NAME(socket), NAME(connect),
	NAME(accept), NAME(accept4), NAME(bind), NAME(listen), NAME(shutdown),
	NAME(setsockopt), NAME(getsockopt), NAME(clone), NAME(clone3),
	NAME(execve), NAME(exit), NAME(exit_group), NAME(wait4),
	NAME(sched_yield), NAME(timerfd_settime), NAME(fdatasync), NAME(fsync),
#undef NAME
};

static const char *syscall_name(long nr)
{
	size_t i;

	for (i = 0; i < sizeof(syscall_names) / sizeof(syscall_names[0]); i++)
		if (syscall_names[i].nr == nr)
			return syscall_names[i].name;
	return NULL;
}

static void usage(void)
{
	fprintf(stderr, "usage: syscount [-t SECONDS] PID\n");
	exit(1);
}

static struct thread *find_thread(pid_t tid)
{
	size_t i;

	for (i = 0; i < nr_threads; i++)
		if (threads[i].tid == tid)
			return &threads[i];
	return NULL;
}

static struct thread *add_thread(pid_t tid)
{
	struct thread *t = find_thread(tid);

	if (t) {
		t->state = THREAD_RUNNING;
		return t;
	}
	if (nr_threads == threads_size) {
		threads_size = threads_size ? threads_size * 2 : 16;
		threads = realloc(threads, threads_size * sizeof(*threads));
		if (!threads) {
			fprintf(stderr, "syscount: out of memory\n");
			exit(1);
		}
	}
	t = &threads[nr_threads++];
	t->tid = tid;
	t->state = THREAD_RUNNING;
	return t;
}

static size_t threads_alive(void)
{
	size_t i, n = 0;

	for (i = 0; i < nr_threads; i++)
		n += threads[i].state != THREAD_GONE;
	return n;
}

/*
 * A thread group leader that has exited while its other threads run is a
 * zombie: it will never stop again, and waitpid() reports it only once
 * the whole group is gone.
 */
static bool is_zombie(pid_t tid)
{
	char path[64], buf[256], *state;
	FILE *f;
	bool zombie = false;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return true;
	if (fgets(buf, sizeof(buf), f)) {
		state = strrchr(buf, ')');
		zombie = state && (state[2] == 'Z' || state[2] == 'X');
	}
	fclose(f);
	return zombie;
}

/*
 * Seize every thread listed in /proc/PID/task that we do not have yet.
 * Returns how many were new, or, when not one thread could be seized,
 * -errno of the first failure (so "no such process" and "not permitted"
 * are reported).  A thread that exits between the listing and the seize
 * is skipped, and so is a zombie leader whose other threads live on (it
 * cannot be traced: the kernel refuses an exiting task).
 */
static int seize_new_threads(pid_t pid)
{
	const long options = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE |
			     PTRACE_O_TRACEEXEC;
	char path[64];
	struct dirent *de;
	DIR *dir;
	int added = 0, first_err = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir)
		return nr_threads ? 0 : -ESRCH;
	while ((de = readdir(dir))) {
		pid_t tid = (pid_t)strtol(de->d_name, NULL, 10);

		if (tid <= 0 || find_thread(tid))
			continue;
		if (ptrace(PTRACE_SEIZE, tid, 0L, options) < 0) {
			int err = errno;

			if (err == ESRCH || is_zombie(tid))
				continue;
			if (!first_err)
				first_err = err;
			if (nr_threads)
				fprintf(stderr, "syscount: cannot seize thread %d: %s\n",
					(int)tid, strerror(err));
			continue;
		}
		add_thread(tid);
		/* Its first stop is a PTRACE_EVENT_STOP; we resume it there. */
		ptrace(PTRACE_INTERRUPT, tid, 0L, 0L);
		added++;
	}
	closedir(dir);
	if (!nr_threads)
		return first_err ? -first_err : -ESRCH;
	return added;
}

static void count_syscall_entry(pid_t tid)
{
	struct __ptrace_syscall_info info;
	long got;

	got = ptrace(PTRACE_GET_SYSCALL_INFO, tid, (void *)sizeof(info), &info);
	if (got <= 0 || info.op != PTRACE_SYSCALL_INFO_ENTRY)
		return;
	total++;
	counts[info.entry.nr < SYSCOUNT_MAX_NR ? info.entry.nr :
	       SYSCOUNT_OTHER_NR]++;
}

static bool is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN ||
	       sig == SIGTTOU;
}

/* Take a thread off our list for good, handing it any signal it holds. */
static void detach(struct thread *t, int sig)
{
	if (ptrace(PTRACE_DETACH, t->tid, 0L, (long)sig) < 0 && errno != ESRCH)
		fprintf(stderr, "syscount: detaching thread %d: %s\n",
			(int)t->tid, strerror(errno));
	t->state = THREAD_GONE;
}

/*
 * One wait status of one traced thread.  While counting, every stop is
 * resumed at once with PTRACE_SYSCALL (a group-stop with PTRACE_LISTEN,
 * so the process stays stopped until someone sends SIGCONT); once
 * @detaching, the first stop of each thread detaches it instead.
 */
static void handle_status(pid_t tid, int status, bool counting, bool detaching)
{
	struct thread *t = find_thread(tid);
	int sig, event;
	unsigned long msg;

	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		if (t)
			t->state = THREAD_GONE;
		return;
	}
	if (!WIFSTOPPED(status))
		return;
	/* A thread born of a clone can report before its parent's event. */
	if (!t || t->state == THREAD_GONE)
		t = add_thread(tid);

	sig = WSTOPSIG(status);
	event = (unsigned int)status >> 16;

	if (sig == (SIGTRAP | 0x80)) {
		if (counting)
			count_syscall_entry(tid);
		sig = 0;
	} else if (event == PTRACE_EVENT_CLONE) {
		if (ptrace(PTRACE_GETEVENTMSG, tid, 0L, &msg) == 0)
			add_thread((pid_t)msg);
		sig = 0;
	} else if (event == PTRACE_EVENT_EXEC) {
		/* The execing thread took the leader's id; the old one is gone. */
		if (ptrace(PTRACE_GETEVENTMSG, tid, 0L, &msg) == 0 &&
		    (pid_t)msg != tid && find_thread((pid_t)msg))
			find_thread((pid_t)msg)->state = THREAD_GONE;
		sig = 0;
	} else if (event == PTRACE_EVENT_STOP) {
		if (is_stop_signal(sig) && !detaching) {
			/* A group-stop: keep it stopped, but hear of SIGCONT. */
			ptrace(PTRACE_LISTEN, tid, 0L, 0L);
			return;
		}
		/* Our interrupt, a new thread's first stop, or SIGCONT's. */
		sig = 0;
	} else if (event) {
		sig = 0;
	}
	/* Anything else is a signal-delivery stop: pass the signal on. */

	if (detaching) {
		detach(t, sig);
		return;
	}
	if (ptrace(PTRACE_SYSCALL, tid, 0L, (long)sig) < 0 && errno != ESRCH)
		fprintf(stderr, "syscount: resuming thread %d: %s\n",
			(int)tid, strerror(errno));
}

/* Reap every status waiting; false if waitpid says no tracee is left. */
static bool drain(bool counting, bool detaching)
{
	int status;
	pid_t tid;

	for (;;) {
		tid = waitpid(-1, &status, WNOHANG | __WALL);
		if (tid == 0)
			return true;
		if (tid < 0)
			return errno != ECHILD;
		handle_status(tid, status, counting, detaching);
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Wait for a tracee to change state (SIGCHLD, blocked and so queued) or a
 * stop request, until @deadline (< 0: forever).  Returns the signal, or 0
 * at the deadline.
 */
static int wait_event(const sigset_t *set, double deadline)
{
	struct timespec ts;
	double left;
	int sig;

	for (;;) {
		if (deadline < 0) {
			sig = sigwaitinfo(set, NULL);
		} else {
			left = deadline - now();
			if (left <= 0)
				return 0;
			ts.tv_sec = (time_t)left;
			ts.tv_nsec = (long)((left - ts.tv_sec) * 1e9);
			sig = sigtimedwait(set, NULL, &ts);
			if (sig < 0 && errno == EAGAIN)
				return 0;
		}
		if (sig > 0)
			return sig;
	}
}

/* Interrupt whatever still runs and detach each thread at its next stop. */
static void detach_all(const sigset_t *set)
{
	double deadline = now() + SYSCOUNT_DETACH_TIMEOUT_S;
	size_t i;

	for (i = 0; i < nr_threads; i++)
		if (threads[i].state != THREAD_GONE &&
		    (is_zombie(threads[i].tid) ||
		     ptrace(PTRACE_INTERRUPT, threads[i].tid, 0L, 0L) < 0))
			threads[i].state = THREAD_GONE;	/* exited meanwhile */

	while (threads_alive()) {
		if (!drain(false, true))
			return;
		if (!threads_alive())
			return;
		if (wait_event(set, deadline) == 0) {
			/* Our exit detaches them too, only less gently. */
			fprintf(stderr,
				"syscount: %zu thread(s) did not stop to be detached\n",
				threads_alive());
			return;
		}
	}
}

static int compare_nr(const void *a, const void *b)
{
	unsigned long long ca = counts[*(const int *)a];
	unsigned long long cb = counts[*(const int *)b];

	if (ca != cb)
		return ca < cb ? 1 : -1;
	return *(const int *)a - *(const int *)b;
}

static void print_counts(void)
{
	static int order[SYSCOUNT_MAX_NR + 1];
	int i, n = 0;
	const char *name;

	for (i = 0; i <= SYSCOUNT_MAX_NR; i++)
		if (counts[i])
			order[n++] = i;
	qsort(order, n, sizeof(order[0]), compare_nr);
	printf("syscalls %llu\n", total);
	for (i = 0; i < n; i++) {
		if (order[i] == SYSCOUNT_OTHER_NR) {
			printf("syscall other %llu\n", counts[order[i]]);
			continue;
		}
		name = syscall_name(order[i]);
		printf("syscall %d %llu%s%s\n", order[i], counts[order[i]],
		       name ? " " : "", name ? name : "");
	}
	fflush(stdout);
}

static double parse_seconds(const char *arg)
{
	char *end;
	double s;

	errno = 0;
	s = strtod(arg, &end);
	if (errno || end == arg || *end || !(s > 0) || s > 1e7)
		usage();
	return s;
}

static pid_t parse_pid(const char *arg)
{
	char *end;
	long pid;

	errno = 0;
	pid = strtol(arg, &end, 10);
	if (errno || end == arg || *end || pid <= 0 || pid > 0x3fffffff)
		usage();
	return (pid_t)pid;
}

int main(int argc, char **argv)
{
	double seconds = -1, start, deadline;
	sigset_t set;
	pid_t pid;
	int opt, ret, sig;
	bool alive = true;

	while ((opt = getopt(argc, argv, "t:")) != -1) {
		if (opt != 't')
			usage();
		seconds = parse_seconds(optarg);
	}
	if (optind != argc - 1)
		usage();
	pid = parse_pid(argv[optind]);
	if (pid == getpid()) {
		fprintf(stderr, "syscount: cannot trace myself\n");
		return 1;
	}

	/*
	 * Tracee stops arrive as SIGCHLD; with it blocked it stays pending,
	 * so sigtimedwait() cannot miss one that came before we waited.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);

	ret = seize_new_threads(pid);
	if (ret < 0) {
		if (ret == -ESRCH)
			fprintf(stderr, "syscount: no process with PID %d\n", (int)pid);
		else
			fprintf(stderr, "syscount: cannot trace PID %d: %s\n",
				(int)pid, strerror(-ret));
		return 1;
	}
	/* Threads started before the first seize took hold: list again. */
	while (seize_new_threads(pid) > 0)
		;

	start = now();
	deadline = seconds > 0 ? start + seconds : -1;
	for (;;) {
		alive = drain(true, false) && threads_alive();
		if (!alive)
			break;
		sig = wait_event(&set, deadline);
		if (sig == 0 || sig == SIGINT || sig == SIGTERM)
			break;
	}
	if (alive)
		detach_all(&set);
	else
		fprintf(stderr, "syscount: PID %d exited\n", (int)pid);
	fprintf(stderr, "syscount: PID %d, %zu thread(s), %.2f s\n", (int)pid,
		nr_threads, now() - start);
	print_counts();
	return 0;
}
