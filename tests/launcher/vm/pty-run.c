// SPDX-License-Identifier: GPL-2.0
/*
 * pty-run: run the launcher on a pseudo-terminal, as a user at a terminal
 * would, and type Ctrl-Cs at it.
 *
 *	pty-run SCENARIO LAUNCHER [ARGS...]
 *
 * The launcher (with a guest that echoes the UART's input until a
 * newline: mkminikernel's "echo" mode, or anything else that echoes and
 * waits) gets the pty's slave as stdin, stdout and stderr.  We keep the
 * slave open too, so we can read its terminal attributes at any time.
 * Scenarios:
 *
 *   once     one ^C between other bytes, then a newline: the ^C must come
 *            back as the byte 0x03 (it reached the guest; the launcher did
 *            not turn it into a signal) and the launcher must end with the
 *            guest's status
 *   pause    ^C ^C, a pause of 1.5 s, ^C, then a newline: three ^Cs, but
 *            not within one second: the guest must live on
 *   three    three ^Cs 0.1 s apart: exit status 130 and the launcher's
 *            message
 *
 * Always checked: while the guest runs the terminal is raw (no ICANON,
 * ECHO, ISIG), and after the launcher exits its attributes equal those
 * from before.  Prints "# ..." lines and "status N" (the launcher's exit
 * status, -1 for a signal); exits 0 when every check passed, 1 if not.
 * With PTY_RUN_TRANSCRIPT=FILE in the environment, everything read from
 * the pty goes into FILE.
 */
#define _GNU_SOURCE		/* memmem */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <utmp.h>

#define CTRL_C "\003"

static int master_fd, slave_fd;
static pid_t child;
static char output[65536];
static size_t output_len;
static int failures;

static void fail(const char *what)
{
	printf("# FAIL: %s\n", what);
	failures++;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Collect the launcher's output for up to secs seconds. */
static void drain(double secs)
{
	double end = now() + secs;
	struct pollfd pfd = { .fd = master_fd, .events = POLLIN };
	ssize_t n;

	while (now() < end) {
		if (poll(&pfd, 1, 20) <= 0)
			continue;
		if (output_len == sizeof(output))
			output_len = 0;		/* keep the tail */
		n = read(master_fd, output + output_len,
			 sizeof(output) - output_len);
		if (n <= 0)
			return;
		output_len += n;
	}
}

static void type(const char *bytes, size_t len)
{
	if (write(master_fd, bytes, len) != (ssize_t)len)
		fail("writing to the pty");
}

static int is_raw(void)
{
	struct termios t;

	if (tcgetattr(slave_fd, &t))
		return 0;
	return !(t.c_lflag & (ICANON | ECHO | ISIG));
}

static int same_termios(const struct termios *a, const struct termios *b)
{
	return a->c_iflag == b->c_iflag && a->c_oflag == b->c_oflag &&
	       a->c_cflag == b->c_cflag && a->c_lflag == b->c_lflag &&
	       !memcmp(a->c_cc, b->c_cc, sizeof(a->c_cc));
}

/* Wait up to secs for the launcher to end; its status, -2 if it didn't. */
static int wait_exit(double secs)
{
	double end = now() + secs;
	int status;

	while (now() < end) {
		drain(0.05);
		if (waitpid(child, &status, WNOHANG) == child) {
			drain(0.1);
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		}
	}
	return -2;
}

static int contains(const char *needle)
{
	return memmem(output, output_len, needle, strlen(needle)) != NULL;
}

/* Start the launcher; *before: the terminal as it was given to it. */
static void start(char **argv, struct termios *before)
{
	struct termios initial;

	if (openpty(&master_fd, &slave_fd, NULL, NULL, NULL) < 0) {
		perror("openpty");
		exit(1);
	}
	/* A cooked terminal, as a shell leaves it for the programs it runs. */
	tcgetattr(slave_fd, &initial);
	initial.c_lflag |= ICANON | ECHO | ISIG | IEXTEN;
	initial.c_iflag |= ICRNL;
	tcsetattr(slave_fd, TCSANOW, &initial);
	tcgetattr(slave_fd, before);
	child = fork();
	if (child < 0) {
		perror("fork");
		exit(1);
	}
	if (child == 0) {
		close(master_fd);
		if (login_tty(slave_fd) < 0)
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
}

int main(int argc, char **argv)
{
	const char *scenario;
	struct termios before, after;
	int status = -2, raw = 0;
	double deadline;

	if (argc < 3) {
		fprintf(stderr, "usage: pty-run once|pause|three LAUNCHER [ARGS...]\n");
		return 2;
	}
	scenario = argv[1];
	start(argv + 2, &before);
	if (!(before.c_lflag & ISIG))
		fail("the pty did not start cooked");

	/* The launcher makes the terminal raw before the guest starts. */
	for (deadline = now() + 30; now() < deadline && !raw; drain(0.05))
		raw = is_raw();
	if (!raw)
		fail("the terminal never became raw (ICANON, ECHO, ISIG off)");
	printf("# terminal raw while the guest runs: %s\n", raw ? "yes" : "no");

	if (!strcmp(scenario, "once")) {
		type("a" CTRL_C "b\n", 4);
		status = wait_exit(30);
		if (!contains("a" CTRL_C "b"))
			fail("the ^C did not come back from the guest as byte 0x03");
	} else if (!strcmp(scenario, "pause")) {
		type("c" CTRL_C CTRL_C, 3);
		drain(1.5);
		type(CTRL_C, 1);
		drain(0.5);
		if (waitpid(child, NULL, WNOHANG) != 0)
			fail("the launcher ended: three ^Cs over 1.5 s stopped it");
		type("d\n", 2);
		status = wait_exit(30);
		if (!contains("c" CTRL_C CTRL_C CTRL_C "d"))
			fail("the guest did not get all three ^Cs");
	} else if (!strcmp(scenario, "three")) {
		type(CTRL_C, 1);
		drain(0.1);
		type(CTRL_C, 1);
		drain(0.1);
		type(CTRL_C, 1);
		status = wait_exit(10);
		if (!contains("three Ctrl-Cs within a second"))
			fail("no 'three Ctrl-Cs' message from the launcher");
	} else {
		fprintf(stderr, "pty-run: unknown scenario '%s'\n", scenario);
		kill(child, SIGKILL);
		return 2;
	}
	if (status == -2) {
		fail("the launcher did not end");
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	tcgetattr(slave_fd, &after);
	if (!same_termios(&before, &after))
		fail("the terminal's attributes after exit differ from before");
	else
		printf("# terminal attributes restored\n");
	printf("status %d\n", status);
	/* What the launcher and the guest wrote, for a test to look at. */
	if (getenv("PTY_RUN_TRANSCRIPT")) {
		FILE *f = fopen(getenv("PTY_RUN_TRANSCRIPT"), "w");

		if (f) {
			fwrite(output, 1, output_len, f);
			fclose(f);
		}
	}
	return failures ? 1 : 0;
}
