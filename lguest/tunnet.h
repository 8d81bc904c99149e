/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --tunnet: the host end of the guest's network card.  Either a tap device
 * made for this launcher alone (it disappears with our last file
 * descriptor on it, however we exit), given an address on a /24 shared
 * with the guest or attached to an existing bridge; or a persistent tap
 * an administrator made for the user (tap:NAME, the way to a network
 * without root); or a macvtap on an existing Ethernet interface, which a
 * reaper process deletes when we are gone.
 */
#ifndef LGUEST_TUNNET_H
#define LGUEST_TUNNET_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

struct tunnet_config {
	const char *arg;		/* --tunnet's value, for messages */
	bool bridged;			/* bridge:BR, rather than an address */
	char bridge[IFNAMSIZ];
	bool existing;			/* tap:NAME, a tap that exists */
	char tap[IFNAMSIZ];
	bool macvtap;			/* macvtap:IFACE[:MODE] */
	char lower[IFNAMSIZ];		/* the macvtap's IFACE */
	uint32_t macvtap_mode;		/* MACVLAN_MODE_* */
	struct in_addr host_ip;		/* ours, on the tap (/24) */
	struct in_addr guest_ip;	/* host_ip + 1, told to the guest */
	uint8_t mac[6];			/* the guest's MAC address */
	bool mac_given;
};

/*
 * Parse --tunnet's value: IP, IP:MAC, bridge:BR, bridge:BR:MAC,
 * tap:NAME[:MAC] or macvtap:IFACE[:MODE][:MAC] (IFACE is checked here: it must exist and be
 * Ethernet).  Dies with one line naming what was wrong.  arg must outlive
 * config.
 */
void tunnet_parse(const char *arg, struct tunnet_config *config);

/* The macvtap mode's name: "bridge", "vepa", "private" or "passthru". */
const char *tunnet_macvtap_mode_name(const struct tunnet_config *config);

/*
 * Make the tap (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, a 12-byte virtio 1.x
 * header) or the macvtap, configure its host side over netlink and bring
 * it up, and open nqueues queues on it (with IFF_MULTI_QUEUE when more
 * than one; at most TUNNET_MAX_QUEUES): their fds go to fds[], the
 * device's name to ifname.  Dies on failure, leaving no device behind.
 */
#define TUNNET_MAX_QUEUES 16
void tunnet_open_queues(const struct tunnet_config *config,
			char ifname[IFNAMSIZ], int fds[], unsigned int nqueues);

/* The same with one queue: returns its fd. */
int tunnet_open(const struct tunnet_config *config, char ifname[IFNAMSIZ]);

/* Format a MAC address as aa:bb:cc:dd:ee:ff (buf: 18 bytes). */
void tunnet_format_mac(const uint8_t mac[6], char buf[18]);

#endif /* LGUEST_TUNNET_H */
