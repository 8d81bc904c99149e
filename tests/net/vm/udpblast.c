// SPDX-License-Identifier: GPL-2.0
/*
 * udpblast: a UDP packet-rate tool for the network tests and benchmarks.
 *
 *	udpblast send HOST PORT SECONDS [SIZE]
 *	udpblast recv PORT SECONDS
 *
 * Packets per second of small datagrams is where a per-packet cost shows
 * (a system call, an exit to the launcher, a copy), so this is how the
 * benchmarks compare the copy and vring backends.  busybox has nothing
 * that sends datagrams as fast as it can, hence this small static tool.
 *
 * send: SIZE-byte datagrams (default 64 payload bytes, at least 12) to
 * HOST:PORT (IPv4), in sendmmsg() batches of 32, for SECONDS.  A full
 * queue (ENOBUFS, EAGAIN) or an ICMP "port unreachable" from an earlier
 * datagram (ECONNREFUSED) is retried and counted.  Prints
 *
 *	sent N packets in S s: P pps
 *	retries R refused F
 *
 * recv: counts datagrams on PORT for SECONDS after the first one arrives
 * (waiting at most 30 s for it), in recvmmsg() batches.  Every datagram
 * carries a magic word and a sequence number, so recv can tell how many
 * went missing (the highest number seen + 1 - received) and how many came
 * after one with a higher number.  Prints
 *
 *	received N packets in S s: P pps
 *	lost L reordered R
 *
 * where S is the time from the first datagram to the last one (not the
 * whole window), so P is the rate they came in at even when the sender
 * stopped before the window closed.
 * and exits 0, or 1 if nothing arrived.  Bad arguments: a usage line on
 * stderr and status 1.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define UDPBLAST_BATCH 32
#define UDPBLAST_MAGIC 0x75647062u	/* "udpb" */
#define UDPBLAST_HEADER 12		/* magic (4) + sequence number (8) */
#define UDPBLAST_DEFAULT_SIZE 64
#define UDPBLAST_MAX_SIZE 65507		/* the most IPv4 UDP can carry */
#define UDPBLAST_START_TIMEOUT_S 30
#define UDPBLAST_RECV_BUF 2048		/* only the header is read */
#define UDPBLAST_SOCKET_BUF (8 << 20)

static void usage(void)
{
	fprintf(stderr,
		"usage: udpblast send HOST PORT SECONDS [SIZE] | udpblast recv PORT SECONDS\n");
	exit(1);
}

static void die(const char *what)
{
	fprintf(stderr, "udpblast: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned long parse_number(const char *arg, unsigned long min,
				  unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || *arg == '-' || v < min || v > max)
		usage();
	return v;
}

static double parse_seconds(const char *arg)
{
	char *end;
	double s;

	errno = 0;
	s = strtod(arg, &end);
	if (errno || end == arg || *end || !(s > 0) || s > 1e6)
		usage();
	return s;
}

/* The header in network byte order, so sender and receiver may differ. */
static void put_header(unsigned char *buf, uint64_t seq)
{
	uint32_t magic = htonl(UDPBLAST_MAGIC);
	uint32_t hi = htonl((uint32_t)(seq >> 32)), lo = htonl((uint32_t)seq);

	memcpy(buf, &magic, 4);
	memcpy(buf + 4, &hi, 4);
	memcpy(buf + 8, &lo, 4);
}

static int get_header(const unsigned char *buf, size_t len, uint64_t *seq)
{
	uint32_t magic, hi, lo;

	if (len < UDPBLAST_HEADER)
		return -1;
	memcpy(&magic, buf, 4);
	memcpy(&hi, buf + 4, 4);
	memcpy(&lo, buf + 8, 4);
	if (ntohl(magic) != UDPBLAST_MAGIC)
		return -1;
	*seq = (uint64_t)ntohl(hi) << 32 | ntohl(lo);
	return 0;
}

/* Ask for a big socket buffer; as root, past net.core.[rw]mem_max too. */
static void grow_buffer(int fd, int opt, int force_opt)
{
	int size = UDPBLAST_SOCKET_BUF;

	if (setsockopt(fd, SOL_SOCKET, force_opt, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, opt, &size, sizeof(size));
}

static int do_send(int argc, char **argv)
{
	static unsigned char bufs[UDPBLAST_BATCH][UDPBLAST_MAX_SIZE];
	struct mmsghdr msgs[UDPBLAST_BATCH];
	struct iovec iovs[UDPBLAST_BATCH];
	struct sockaddr_in to = { .sin_family = AF_INET };
	unsigned long long retries = 0, refused = 0;
	uint64_t seq = 0;
	double seconds, start, end, elapsed;
	size_t size = UDPBLAST_DEFAULT_SIZE;
	int fd, i, done, sent;

	if (argc != 3 && argc != 4)
		usage();
	if (inet_pton(AF_INET, argv[0], &to.sin_addr) != 1) {
		fprintf(stderr, "udpblast: '%s' is not an IPv4 address\n", argv[0]);
		usage();
	}
	to.sin_port = htons((uint16_t)parse_number(argv[1], 1, 65535));
	seconds = parse_seconds(argv[2]);
	if (argc == 4)
		size = parse_number(argv[3], UDPBLAST_HEADER, UDPBLAST_MAX_SIZE);

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket");
	grow_buffer(fd, SO_SNDBUF, SO_SNDBUFFORCE);
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0)
		die("connect");

	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < UDPBLAST_BATCH; i++) {
		memset(bufs[i], 0xa5, size);
		iovs[i].iov_base = bufs[i];
		iovs[i].iov_len = size;
		msgs[i].msg_hdr.msg_iov = &iovs[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}

	start = now();
	end = start + seconds;
	while (now() < end) {
		for (i = 0; i < UDPBLAST_BATCH; i++)
			put_header(bufs[i], seq + i);
		/* A partly sent batch goes on from where it stopped. */
		for (done = 0; done < UDPBLAST_BATCH && now() < end; ) {
			sent = sendmmsg(fd, msgs + done, UDPBLAST_BATCH - done, 0);
			if (sent > 0) {
				done += sent;
				continue;
			}
			if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR)
				retries++;
			else if (errno == ECONNREFUSED)
				refused++;
			else
				die("sendmmsg");
		}
		seq += done;
	}
	elapsed = now() - start;
	close(fd);
	printf("sent %llu packets in %.2f s: %.0f pps\n",
	       (unsigned long long)seq, elapsed, seq / elapsed);
	printf("retries %llu refused %llu\n", retries, refused);
	return 0;
}

struct recv_stats {
	unsigned long long received, reordered;
	uint64_t next_seq;	/* one past the highest sequence number seen */
};

static void account(struct recv_stats *st, const unsigned char *buf,
		    size_t len)
{
	uint64_t seq;

	if (get_header(buf, len, &seq) < 0)
		return;		/* not one of ours */
	st->received++;
	if (seq < st->next_seq)
		st->reordered++;
	else
		st->next_seq = seq + 1;
}

static int do_recv(int argc, char **argv)
{
	static unsigned char bufs[UDPBLAST_BATCH][UDPBLAST_RECV_BUF];
	struct mmsghdr msgs[UDPBLAST_BATCH];
	struct iovec iovs[UDPBLAST_BATCH];
	struct sockaddr_in addr = { .sin_family = AF_INET };
	struct timeval poll_interval = { .tv_usec = 100 * 1000 };
	struct recv_stats st = { 0 };
	double seconds, first = 0, last = 0, end, elapsed, t;
	unsigned long long lost;
	int fd, i, got, one = 1;

	if (argc != 2)
		usage();
	addr.sin_addr.s_addr = htonl(INADDR_ANY);
	addr.sin_port = htons((uint16_t)parse_number(argv[0], 1, 65535));
	seconds = parse_seconds(argv[1]);

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	grow_buffer(fd, SO_RCVBUF, SO_RCVBUFFORCE);
	/* A blocking receive wakes up now and then to look at the clock. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &poll_interval,
		       sizeof(poll_interval)) < 0)
		die("SO_RCVTIMEO");
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		die("bind");

	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < UDPBLAST_BATCH; i++) {
		iovs[i].iov_base = bufs[i];
		iovs[i].iov_len = sizeof(bufs[i]);
		msgs[i].msg_hdr.msg_iov = &iovs[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}

	end = now() + UDPBLAST_START_TIMEOUT_S;
	while (now() < end) {
		got = recvmmsg(fd, msgs, UDPBLAST_BATCH, MSG_WAITFORONE, NULL);
		if (got < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			die("recvmmsg");
		}
		/* When the batch came in, not when we started waiting. */
		t = now();
		if (!st.received && got > 0) {
			/* The window opens with the first datagram. */
			first = t;
			end = t + seconds;
		}
		for (i = 0; i < got; i++)
			account(&st, bufs[i], msgs[i].msg_len);
		if (got > 0)
			last = t;
	}
	close(fd);
	elapsed = last - first;
	lost = st.next_seq > st.received ? st.next_seq - st.received : 0;
	printf("received %llu packets in %.2f s: %.0f pps\n", st.received,
	       elapsed, elapsed > 0 ? st.received / elapsed : 0.0);
	printf("lost %llu reordered %llu\n", lost, st.reordered);
	if (!st.received) {
		fprintf(stderr, "udpblast: nothing arrived on port %s in %d s\n",
			argv[0], UDPBLAST_START_TIMEOUT_S);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "send"))
		return do_send(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "recv"))
		return do_recv(argc - 2, argv + 2);
	usage();
	return 1;
}
