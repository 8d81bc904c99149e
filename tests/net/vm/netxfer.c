// SPDX-License-Identifier: GPL-2.0
/*
 * netxfer: a TCP bulk transfer that checks what arrived.
 *
 *	netxfer recv PORT [OUTFILE]
 *	netxfer send [-r SECONDS] [-s SEED] HOST PORT (FILE | -n BYTES)
 *	netxfer gen [-s SEED] -n BYTES
 *
 * The network tests move megabytes between the guest and the host and
 * must know the bytes came through unharmed; busybox nc moves them but
 * says nothing of speed, and a busybox guest has no md5sum we can count
 * on.  So both ends of this tool compute the MD5 (RFC 1321, done here) of
 * the stream and print it, and the test compares the two lines (and
 * `md5sum` of the file, which gives the same digest).
 *
 * recv: listens on PORT (any IPv4 address, SO_REUSEADDR), accepts one
 * connection, reads to EOF (writing the bytes to OUTFILE if given), then
 * closes and prints
 *
 *	received N bytes in S s: R MB/s md5 HEX
 *
 * send: connects to HOST:PORT (IPv4), retrying for up to SECONDS (default
 * 30) while nobody listens yet, sends FILE ("-" is stdin) or BYTES
 * pseudo-random bytes (xorshift64* from SEED, default 1, so every run with
 * the same SEED sends the same bytes; BYTES may end in K, M or G, powers
 * of 1024), shuts its side down and waits for the peer to close, then
 * prints
 *
 *	sent N bytes in S s: R MB/s md5 HEX
 *
 * gen: writes the bytes `send -n BYTES -s SEED` would send to stdout.
 *
 * MB/s is 10^6 bytes per second; S runs from the connection to the end
 * (the peer's close for send, EOF for recv).  Errors: one line on stderr
 * and status 1.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NETXFER_CHUNK (256 * 1024)
#define NETXFER_DEFAULT_RETRY_S 30
#define NETXFER_RETRY_INTERVAL_US (100 * 1000)

/* --- MD5, after RFC 1321 ---------------------------------------------- */

struct md5 {
	uint32_t state[4];
	uint64_t length;		/* bytes hashed so far */
	unsigned char block[64];	/* a partial block waiting for more */
};

static uint32_t md5_sine[64];

/* The per-step constants: the integer part of 2^32 * |sin(i + 1)|. */
static void md5_init_table(void)
{
	int i;

	for (i = 0; i < 64; i++)
		md5_sine[i] = (uint32_t)floor(fabs(sin(i + 1.0)) * 4294967296.0);
}

static void md5_init(struct md5 *m)
{
	if (!md5_sine[0])
		md5_init_table();
	m->state[0] = 0x67452301;
	m->state[1] = 0xefcdab89;
	m->state[2] = 0x98badcfe;
	m->state[3] = 0x10325476;
	m->length = 0;
}

static uint32_t rotl32(uint32_t x, int n)
{
	return (x << n) | (x >> (32 - n));
}

static void md5_block(struct md5 *m, const unsigned char *p)
{
	/* Left rotations: four per round, repeated through its 16 steps. */
	static const int shift[4][4] = {
		{ 7, 12, 17, 22 }, { 5, 9, 14, 20 },
		{ 4, 11, 16, 23 }, { 6, 10, 15, 21 },
	};
	uint32_t w[16], a = m->state[0], b = m->state[1];
	uint32_t c = m->state[2], d = m->state[3], f, tmp;
	int i, g, round;

	/* The block is sixteen little-endian words. */
	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
		       (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;

	for (i = 0; i < 64; i++) {
		round = i / 16;
		switch (round) {
		case 0:
			f = (b & c) | (~b & d);
			g = i;
			break;
		case 1:
			f = (b & d) | (c & ~d);
			g = (5 * i + 1) % 16;
			break;
		case 2:
			f = b ^ c ^ d;
			g = (3 * i + 5) % 16;
			break;
		default:
			f = c ^ (b | ~d);
			g = (7 * i) % 16;
			break;
		}
		tmp = d;
		d = c;
		c = b;
		b += rotl32(a + f + md5_sine[i] + w[g], shift[round][i % 4]);
		a = tmp;
	}
	m->state[0] += a;
	m->state[1] += b;
	m->state[2] += c;
	m->state[3] += d;
}

static void md5_update(struct md5 *m, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t have = m->length % 64, take;

	m->length += len;
	if (have) {
		take = 64 - have < len ? 64 - have : len;
		memcpy(m->block + have, p, take);
		p += take;
		len -= take;
		if (have + take < 64)
			return;
		md5_block(m, m->block);
	}
	for (; len >= 64; p += 64, len -= 64)
		md5_block(m, p);
	memcpy(m->block, p, len);
}

/* Pad with 0x80, zeros, and the bit length; the digest is little-endian. */
static void md5_final(struct md5 *m, char hex[33])
{
	uint64_t bits = m->length * 8;
	unsigned char pad[72] = { 0x80 };
	size_t padlen = 64 - (m->length + 8) % 64;
	int i;

	for (i = 0; i < 8; i++)
		pad[padlen + i] = (unsigned char)(bits >> (8 * i));
	md5_update(m, pad, padlen + 8);
	for (i = 0; i < 16; i++)
		sprintf(hex + 2 * i, "%02x",
			(unsigned int)(m->state[i / 4] >> (8 * (i % 4))) & 0xff);
}

/* --- helpers ------------------------------------------------------------ */

static void usage(void)
{
	fprintf(stderr,
		"usage: netxfer recv PORT [OUTFILE] | netxfer send [-r SECONDS] [-s SEED] HOST PORT (FILE | -n BYTES) | netxfer gen [-s SEED] -n BYTES\n");
	exit(1);
}

static void die(const char *what)
{
	fprintf(stderr, "netxfer: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned long long parse_number(const char *arg, unsigned long long max,
				       int with_suffix)
{
	unsigned long long v;
	char *end;
	int shift = 0;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || end == arg || *arg == '-')
		usage();
	if (with_suffix && *end) {
		switch (*end++) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		default: usage();
		}
	}
	if (*end || v > (max >> shift))
		usage();
	return v << shift;
}

static uint16_t parse_port(const char *arg)
{
	unsigned long long port = parse_number(arg, 65535, 0);

	if (!port)
		usage();
	return (uint16_t)port;
}

static void write_all(int fd, const void *buf, size_t len, const char *what)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die(what);
		p += n;
		len -= n;
	}
}

/* xorshift64*: small, fast, and the same stream for the same seed. */
static uint64_t prng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static void prng_fill(uint64_t *s, unsigned char *buf, size_t len)
{
	uint64_t v;
	size_t i;
	int k;

	/* Byte by byte from each 64-bit value, so no host byte order leaks in. */
	for (i = 0; i < len; i += 8) {
		v = prng_next(s);
		for (k = 0; k < 8 && i + k < len; k++)
			buf[i + k] = (unsigned char)(v >> (8 * k));
	}
}

static uint64_t prng_seed(unsigned long long seed)
{
	/* xorshift must not start at zero; mix so nearby seeds differ. */
	uint64_t s = seed * 0x9e3779b97f4a7c15ULL + 0x2545f4914f6cdd1dULL;

	return s ? s : 1;
}

static void report(const char *verb, unsigned long long bytes, double secs,
		   struct md5 *m)
{
	char hex[33];

	md5_final(m, hex);
	printf("%s %llu bytes in %.2f s: %.2f MB/s md5 %s\n", verb, bytes, secs,
	       secs > 0 ? bytes / secs / 1e6 : 0.0, hex);
}

/* --- recv ----------------------------------------------------------------- */

static int do_recv(int argc, char **argv)
{
	static unsigned char buf[NETXFER_CHUNK];
	struct sockaddr_in addr = { .sin_family = AF_INET };
	unsigned long long total = 0;
	int lfd, fd, out = -1, one = 1;
	struct md5 m;
	double start;
	ssize_t n;

	if (argc != 1 && argc != 2)
		usage();
	addr.sin_addr.s_addr = htonl(INADDR_ANY);
	addr.sin_port = htons(parse_port(argv[0]));
	if (argc == 2) {
		out = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (out < 0) {
			fprintf(stderr, "netxfer: %s: %s\n", argv[1], strerror(errno));
			return 1;
		}
	}

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		die("bind");
	if (listen(lfd, 1) < 0)
		die("listen");
	do {
		fd = accept(lfd, NULL, NULL);
	} while (fd < 0 && errno == EINTR);
	if (fd < 0)
		die("accept");
	close(lfd);

	md5_init(&m);
	start = now();
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("read");
		if (n == 0)
			break;
		md5_update(&m, buf, n);
		total += n;
		if (out >= 0)
			write_all(out, buf, n, argv[1]);
	}
	close(fd);
	if (out >= 0 && close(out) < 0)
		die(argv[1]);
	report("received", total, now() - start, &m);
	return 0;
}

/* --- send ----------------------------------------------------------------- */

/* Connect, retrying while the listener is not up (or not reachable) yet. */
static int connect_retrying(const char *host, struct sockaddr_in *to,
			    double window)
{
	double give_up = now() + window;
	int fd, err;

	for (;;) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			die("socket");
		if (connect(fd, (struct sockaddr *)to, sizeof(*to)) == 0)
			return fd;
		err = errno;
		close(fd);
		if ((err != ECONNREFUSED && err != ENETUNREACH &&
		     err != EHOSTUNREACH && err != ETIMEDOUT && err != EINTR) ||
		    now() >= give_up) {
			fprintf(stderr,
				"netxfer: cannot connect to %s:%u: %s (gave up after %.0f s)\n",
				host, ntohs(to->sin_port), strerror(err), window);
			exit(1);
		}
		usleep(NETXFER_RETRY_INTERVAL_US);
	}
}

struct source {
	int fd;				/* a file, or -1 for generated bytes */
	unsigned long long left;	/* generated bytes still to come */
	uint64_t prng;
};

/* The next chunk of what we send; 0 at the end. */
static size_t source_read(struct source *src, unsigned char *buf, size_t size,
			  const char *name)
{
	ssize_t n;

	if (src->fd < 0) {
		if (size > src->left)
			size = src->left;
		prng_fill(&src->prng, buf, size);
		src->left -= size;
		return size;
	}
	do {
		n = read(src->fd, buf, size);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		die(name);
	return n;
}

/* Options may come anywhere after the mode: -n BYTES, -s SEED, -r SECONDS. */
struct send_args {
	const char *pos[3];
	int npos;
	int have_bytes;
	unsigned long long bytes, seed;
	double retry;
};

static void parse_send_args(int argc, char **argv, struct send_args *a)
{
	char *end;
	int i;

	a->npos = 0;
	a->have_bytes = 0;
	a->seed = 1;
	a->retry = NETXFER_DEFAULT_RETRY_S;
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			a->bytes = parse_number(argv[++i], 1ULL << 50, 1);
			a->have_bytes = 1;
		} else if (!strcmp(argv[i], "-s") && i + 1 < argc) {
			a->seed = parse_number(argv[++i], ~0ULL, 0);
		} else if (!strcmp(argv[i], "-r") && i + 1 < argc) {
			errno = 0;
			a->retry = strtod(argv[++i], &end);
			if (errno || end == argv[i] || *end || a->retry < 0 ||
			    a->retry > 86400)
				usage();
		} else if (argv[i][0] == '-' && argv[i][1]) {
			usage();
		} else if (a->npos < 3) {
			a->pos[a->npos++] = argv[i];
		} else {
			usage();
		}
	}
}

static int do_send(int argc, char **argv)
{
	static unsigned char buf[NETXFER_CHUNK];
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct source src = { .fd = -1 };
	unsigned long long total = 0;
	struct send_args a;
	const char *name = NULL;
	struct md5 m;
	double start;
	size_t len;
	ssize_t n;
	int fd;

	parse_send_args(argc, argv, &a);
	if (a.npos != 2 + !a.have_bytes)
		usage();
	if (inet_pton(AF_INET, a.pos[0], &to.sin_addr) != 1) {
		fprintf(stderr, "netxfer: '%s' is not an IPv4 address\n", a.pos[0]);
		usage();
	}
	to.sin_port = htons(parse_port(a.pos[1]));
	if (a.have_bytes) {
		src.left = a.bytes;
		src.prng = prng_seed(a.seed);
	} else {
		name = a.pos[2];
		src.fd = strcmp(name, "-") ? open(name, O_RDONLY) : 0;
		if (src.fd < 0) {
			fprintf(stderr, "netxfer: %s: %s\n", name, strerror(errno));
			return 1;
		}
	}

	fd = connect_retrying(a.pos[0], &to, a.retry);
	md5_init(&m);
	start = now();
	while ((len = source_read(&src, buf, sizeof(buf), name))) {
		md5_update(&m, buf, len);
		write_all(fd, buf, len, "send");
		total += len;
	}
	if (shutdown(fd, SHUT_WR) < 0)
		die("shutdown");
	/* The peer closes once it has read everything: then we are done. */
	do {
		n = read(fd, buf, sizeof(buf));
	} while (n > 0 || (n < 0 && errno == EINTR));
	if (n < 0)
		die("waiting for the peer to close");
	close(fd);
	report("sent", total, now() - start, &m);
	return 0;
}

/* --- gen ------------------------------------------------------------------ */

static int do_gen(int argc, char **argv)
{
	static unsigned char buf[NETXFER_CHUNK];
	struct source src = { .fd = -1 };
	struct send_args a;
	size_t len;

	parse_send_args(argc, argv, &a);
	if (a.npos || !a.have_bytes)
		usage();
	src.left = a.bytes;
	src.prng = prng_seed(a.seed);
	while ((len = source_read(&src, buf, sizeof(buf), NULL)))
		write_all(1, buf, len, "stdout");
	return 0;
}

int main(int argc, char **argv)
{
	/* A peer that goes away must be an error message, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "recv"))
		return do_recv(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "send"))
		return do_send(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "gen"))
		return do_gen(argc - 2, argv + 2);
	usage();
	return 1;
}
