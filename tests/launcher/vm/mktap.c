// SPDX-License-Identifier: GPL-2.0
/*
 * mktap: what `ip tuntap add NAME mode tap user UID vnet_hdr multi_queue`
 * does (busybox's ip and tunctl cannot), and its undoing.
 *
 *	mktap NAME UID [single]   a persistent tap owned by UID (multi_queue
 *	                          unless "single")
 *	mktap -d NAME             delete it
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	bool del = argc == 3 && !strcmp(argv[1], "-d");
	const char *name = del ? argv[2] : argv[1];
	int fd;

	if (argc < 3 || argc > 4 || strlen(name) >= IFNAMSIZ) {
		fprintf(stderr, "usage: mktap NAME UID [single] | mktap -d NAME\n");
		return 2;
	}
	if (!del && !(argc == 4 && !strcmp(argv[3], "single")))
		ifr.ifr_flags |= IFF_MULTI_QUEUE;
	strcpy(ifr.ifr_name, name);
	fd = open("/dev/net/tun", O_RDWR);
	if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0) {
		/* A multi-queue tap takes only multi-queue opens: retry. */
		if (del && fd >= 0) {
			ifr.ifr_flags |= IFF_MULTI_QUEUE;
			if (ioctl(fd, TUNSETIFF, &ifr) == 0)
				goto ok;
		}
		fprintf(stderr, "mktap: %s: %s\n", name, strerror(errno));
		return 1;
	}
ok:
	if ((!del && ioctl(fd, TUNSETOWNER, strtoul(argv[2], NULL, 10)) < 0) ||
	    ioctl(fd, TUNSETPERSIST, del ? 0 : 1) < 0) {
		fprintf(stderr, "mktap: %s: %s\n", name, strerror(errno));
		return 1;
	}
	return 0;
}
