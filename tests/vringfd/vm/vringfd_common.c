// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the test_vringfd groups.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <unistd.h>

#include "vringfd.h"
#include "vringfd_tests.h"

#define ROUNDTRIP_SLACK 16

bool echo_roundtrip(struct test_ring *r, uint8_t *in, uint8_t *out,
		    uint32_t len, unsigned int seed)
{
	struct seg segs[2] = {
		{ in, len, false },
		{ out, len + ROUNDTRIP_SLACK, true },
	};
	uint16_t head, want = r->driver.last_used + 1;
	uint32_t id, used_len;
	uint32_t i;

	pattern_fill(in, len, seed);
	memset(out, 0, len + ROUNDTRIP_SLACK);
	head = ring_add_chain(r, segs, 2);
	driver_ring_publish(&r->driver);
	if (write(r->fd, "kick", 4) != 4) {
		tap_diag("  kick: %s", strerror(errno));
		return false;
	}
	if (driver_ring_used_idx(&r->driver) != want) {
		tap_diag("  used->idx %u after the kick, want %u",
			 driver_ring_used_idx(&r->driver), want);
		return false;
	}
	driver_ring_get_used(&r->driver, &id, &used_len);
	if (id != head || used_len != len) {
		tap_diag("  used entry {id %u, len %u}, want {%u, %u}",
			 id, used_len, head, len);
		return false;
	}
	if (!pattern_check(out, len, seed)) {
		tap_diag("  the bytes that came back differ from those sent");
		return false;
	}
	for (i = len; i < len + ROUNDTRIP_SLACK; i++) {
		if (out[i]) {
			tap_diag("  byte %u past the echoed data was written", i);
			return false;
		}
	}
	if (!pattern_check(in, len, seed)) {
		tap_diag("  the readable buffer was changed");
		return false;
	}
	return true;
}

bool wait_used_idx(const struct test_ring *r, uint16_t want, int timeout_ms)
{
	double end = now_ms() + timeout_ms;

	while (driver_ring_used_idx(&r->driver) != want) {
		if (now_ms() > end)
			return false;
		usleep(1000);
	}
	return true;
}

bool status_reason_has(const struct vring_status *st, const char *word)
{
	char reason[VRINGFD_REASON_LEN + 1];

	memcpy(reason, st->reason, VRINGFD_REASON_LEN);
	reason[VRINGFD_REASON_LEN] = '\0';
	return strcasestr(reason, word) != NULL;
}

char *kernel_log(void)
{
	int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf;
	int n;

	if (size <= 0)
		return NULL;
	buf = malloc(size + 1);
	if (!buf)
		return NULL;
	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

double kernel_log_start;

double kernel_log_stamp(const char *line)
{
	const char *open = strchr(line, '[');

	if (!open || open - line > 8)
		return -1;
	return strtod(open + 1, NULL);
}

double kernel_log_now(void)
{
	char *log = kernel_log(), *line;
	double now = 0;

	if (!log)
		return 0;
	for (line = log; line && *line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (kernel_log_stamp(line) > now)
			now = kernel_log_stamp(line);
	}
	free(log);
	return now;
}

long meminfo_kb(const char *field)
{
	size_t flen = strlen(field);
	char line[256];
	long value = -1;
	FILE *f;

	f = fopen("/proc/meminfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, flen) && line[flen] == ':') {
			value = strtol(line + flen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return value;
}

/* A small /proc file into buf, NUL-terminated: its length, or -1. */
static ssize_t read_proc(const char *pid, const char *file, char *buf,
			 size_t size)
{
	char path[300];
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/%s", pid, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = read(fd, buf, size - 1);
	close(fd);
	if (len < 0)
		return -1;
	buf[len] = '\0';
	return len;
}

int ring_workers_in(int owner, const char *cg, int *in_cg)
{
	char want[32], buf[256];
	struct dirent *d;
	int n = 0;
	DIR *proc;

	if (in_cg)
		*in_cg = 0;
	snprintf(want, sizeof(want), "vring-%d\n", owner);
	proc = opendir("/proc");
	if (!proc)
		return -1;
	while ((d = readdir(proc))) {
		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		if (read_proc(d->d_name, "comm", buf, sizeof(buf)) <= 0 ||
		    strcmp(buf, want))
			continue;
		n++;
		if (in_cg && read_proc(d->d_name, "cgroup", buf, sizeof(buf)) > 0 &&
		    strstr(buf, cg))
			(*in_cg)++;
	}
	closedir(proc);
	return n;
}

int ring_workers(int owner)
{
	return ring_workers_in(owner, NULL, NULL);
}

/*
 * kthread_stop() returns when the worker's exit has got as far as
 * releasing its mm; the task is taken out of /proc a moment later, when
 * its parent kthreadd reaps it.  So a count taken right after the last
 * close may still see a worker on its way out (the vringfd suite saw one
 * once).  Wait up to @ms for the count to reach 0, and return it.
 */
int ring_workers_gone(int owner, int ms)
{
	double end = now_ms() + ms;
	int left;

	while ((left = ring_workers(owner)) > 0 && now_ms() < end)
		usleep(1000);
	return left;
}
