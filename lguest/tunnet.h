/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --tunnet: the host end of the guest's network card.  A tap device made
 * for this launcher alone (it disappears with our last file descriptor on
 * it, however we exit), either given an address on a /24 shared with the
 * guest or attached to an existing bridge.
 */
#ifndef LGUEST_TUNNET_H
#define LGUEST_TUNNET_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

struct tunnet_config {
	bool bridged;			/* bridge:BR, rather than an address */
	char bridge[IFNAMSIZ];
	struct in_addr host_ip;		/* ours, on the tap (/24) */
	struct in_addr guest_ip;	/* host_ip + 1, told to the guest */
	uint8_t mac[6];			/* the guest's MAC address */
	bool mac_given;
};

/*
 * Parse --tunnet's value: IP, IP:MAC, bridge:BR or bridge:BR:MAC.  Dies
 * with one line naming what was wrong.
 */
void tunnet_parse(const char *arg, struct tunnet_config *config);

/*
 * Make the tap (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, a 12-byte virtio 1.x
 * header), configure its host side over netlink and bring it up.  The
 * tap's name goes to ifname.  Returns its fd; dies on failure.
 */
int tunnet_open(const struct tunnet_config *config, char ifname[IFNAMSIZ]);

/* Format a MAC address as aa:bb:cc:dd:ee:ff (buf: 18 bytes). */
void tunnet_format_mac(const uint8_t mac[6], char buf[18]);

#endif /* LGUEST_TUNNET_H */
