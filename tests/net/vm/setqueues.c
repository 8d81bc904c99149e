// SPDX-License-Identifier: GPL-2.0
/*
 * setqueues: how many queue pairs a network card uses, for a guest whose
 * busybox has no ethtool.
 *
 *	setqueues IFACE            print "IFACE: combined CUR of MAX"
 *	setqueues IFACE N          ethtool -L IFACE combined N, then print
 *	setqueues IFACE -s         also print the driver's per-queue packet
 *	                           counters ("rx_queue_0_packets 123", ...)
 *
 * It speaks the ethtool ioctl (SIOCETHTOOL): ETHTOOL_GCHANNELS and
 * ETHTOOL_SCHANNELS for the channels; ETHTOOL_GSSET_INFO,
 * ETHTOOL_GSTRINGS and ETHTOOL_GSTATS for the counters (only those whose
 * name ends in "_packets", which virtio_net keeps per queue).
 * Errors: one line on stderr and status 1.
 */
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int sock = -1;
static const char *iface;

static int ethtool(void *cmd)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", iface);
	ifr.ifr_data = cmd;
	return ioctl(sock, SIOCETHTOOL, &ifr);
}

static void fail(const char *what)
{
	fprintf(stderr, "setqueues: %s: %s: %s\n", iface, what, strerror(errno));
	exit(1);
}

static void print_channels(void)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };

	if (ethtool(&ch) < 0)
		fail("ETHTOOL_GCHANNELS");
	printf("%s: combined %u of %u\n", iface, ch.combined_count,
	       ch.max_combined);
}

static void set_channels(unsigned int n)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };

	if (ethtool(&ch) < 0)
		fail("ETHTOOL_GCHANNELS");
	ch.cmd = ETHTOOL_SCHANNELS;
	ch.combined_count = n;
	if (ethtool(&ch) < 0)
		fail("ETHTOOL_SCHANNELS");
}

static void print_stats(void)
{
	struct {
		struct ethtool_sset_info info;
		uint32_t len;
	} sset = { .info = { .cmd = ETHTOOL_GSSET_INFO,
			     .sset_mask = 1ULL << ETH_SS_STATS } };
	struct ethtool_gstrings *strings;
	struct ethtool_stats *stats;
	uint32_t n, i;

	if (ethtool(&sset) < 0)
		fail("ETHTOOL_GSSET_INFO");
	n = sset.info.sset_mask ? sset.len : 0;
	strings = calloc(1, sizeof(*strings) + (size_t)n * ETH_GSTRING_LEN);
	stats = calloc(1, sizeof(*stats) + (size_t)n * sizeof(uint64_t));
	if (!strings || !stats) {
		errno = ENOMEM;
		fail("counters");
	}
	strings->cmd = ETHTOOL_GSTRINGS;
	strings->string_set = ETH_SS_STATS;
	strings->len = n;
	stats->cmd = ETHTOOL_GSTATS;
	stats->n_stats = n;
	if (ethtool(strings) < 0)
		fail("ETHTOOL_GSTRINGS");
	if (ethtool(stats) < 0)
		fail("ETHTOOL_GSTATS");
	for (i = 0; i < n && i < stats->n_stats; i++) {
		char name[ETH_GSTRING_LEN + 1];
		size_t len;

		memcpy(name, strings->data + (size_t)i * ETH_GSTRING_LEN,
		       ETH_GSTRING_LEN);
		name[ETH_GSTRING_LEN] = '\0';
		len = strlen(name);
		if (len > 8 && !strcmp(name + len - 8, "_packets"))
			printf("%s %llu\n", name, (unsigned long long)stats->data[i]);
	}
	free(strings);
	free(stats);
}

int main(int argc, char **argv)
{
	int want_stats = 0;
	char *end;
	long n = 0;

	if (argc < 2 || argc > 3 || !argv[1][0]) {
		fprintf(stderr, "usage: setqueues IFACE [N | -s]\n");
		return 1;
	}
	iface = argv[1];
	if (argc == 3 && !strcmp(argv[2], "-s")) {
		want_stats = 1;
	} else if (argc == 3) {
		errno = 0;
		n = strtol(argv[2], &end, 10);
		if (end == argv[2] || *end || errno || n < 1 || n > 65535) {
			fprintf(stderr, "setqueues: bad number of queues '%s'\n",
				argv[2]);
			return 1;
		}
	}
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		fail("socket");
	if (n)
		set_channels(n);
	print_channels();
	if (want_stats)
		print_stats();
	return 0;
}
