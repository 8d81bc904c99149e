/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_tun_vring: what the groups share.
 *
 * The program plays a guest's virtio-net driver against tun_vring.ko: a
 * "guest RAM" arena in its own memory (VRINGSETBASE = its start,
 * VRINGSETLIMIT = its size, so descriptor addresses are offsets into it,
 * as guest-physical addresses are for the launcher), an rx and a tx ring,
 * kick and call eventfds, and a tap whose host side has an IPv4 address.
 * Frames it "transmits" must reach a UDP socket on the host side; UDP
 * datagrams the host sends to the "guest" must land in its rx buffers.
 */
#ifndef TV_H
#define TV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <linux/tun_vring.h>
#include <linux/virtio_net.h>

#include "ring.h"
#include "tap.h"

#define TV_HDR_LEN	12	/* struct virtio_net_hdr_mrg_rxbuf */
#define TV_ETH_LEN	14
#define TV_IP_LEN	20
#define TV_UDP_LEN	8
#define TV_HEADERS	(TV_ETH_LEN + TV_IP_LEN + TV_UDP_LEN)
#define TV_PORT_HOST	7000	/* the host's UDP socket */
#define TV_PORT_GUEST	7001	/* the "guest's" UDP port */

/* --- the host side: a tap with an address (tv_net.c) ------------------- */

struct tv_net {
	int tap_fd;
	char name[IFNAMSIZ];
	uint8_t host_mac[6];
	uint8_t guest_mac[6];
	uint32_t host_ip;	/* network order */
	uint32_t guest_ip;	/* network order */
	int udp_fd;		/* bound to host_ip:TV_PORT_HOST */
};

/* Once per program: IPv6 off for new devices (no stray frames). */
void tv_net_global_setup(void);
/*
 * A tap "tvrN" (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, vnet header 12) with
 * host address 10.77.N.1/24, up, a static ARP entry for the guest
 * 10.77.N.2, and the host UDP socket.  0, or -1 with a diagnostic.
 */
int tv_net_create(struct tv_net *n, unsigned int index);
void tv_net_close(struct tv_net *n);
/* Does network device `name` exist? */
bool tv_netdev_exists(const char *name);
/*
 * Create a network device over rtnetlink (kind "dummy", "macvtap", ...;
 * link: the lower device or NULL; macvlan_mode: MACVLAN_MODE_* or 0).
 */
int tv_netdev_add(const char *name, const char *kind, const char *link,
		  uint32_t macvlan_mode);
/* Bring a device up and read its MAC (mac may be NULL). */
int tv_netdev_up(const char *name, uint8_t mac[6]);
/* Delete a network device over rtnetlink; 0 or -1 and errno. */
int tv_netdev_delete(const char *name);

/* Build a guest->host UDP frame (Ethernet, IPv4, UDP) into buf; its length. */
size_t tv_build_frame(const struct tv_net *n, uint8_t *buf,
		      const void *payload, size_t len, bool full_udp_csum);
/* Check a host->guest frame: addresses, ports, checksums, payload. */
bool tv_check_frame(const struct tv_net *n, const uint8_t *frame, size_t len,
		    const void *payload, size_t payload_len, bool csum_partial);
/* The Internet checksum over a buffer, starting from sum. */
uint16_t tv_csum(const void *buf, size_t len, uint32_t sum);

/* Host sends one UDP datagram to the guest; 0 or -1. */
int tv_host_send(const struct tv_net *n, const void *buf, size_t len);
/* Host receives one datagram within timeout_ms: length, or -1. */
long tv_host_recv(const struct tv_net *n, void *buf, size_t len,
		  int timeout_ms);

/* A module's reference count from /sys/module/NAME/refcnt, or -1. */
long tv_module_refcnt(const char *name);
/* SUnreclaim from /proc/meminfo, in KiB, or -1. */
long tv_sunreclaim_kib(void);

/* --- the guest side: RAM, rings, binding (tv_guest.c) ------------------ */

struct tv_guest {
	struct arena ram;
	size_t ram_used;
	struct test_ring rx, tx;
	int rx_kick, rx_call, tx_kick, tx_call;
	int binding;		/* /dev/tun_vring fd, or -1 */
	uint8_t *tx_slots;	/* tv_send()'s buffers, TV_SLOT each */
	unsigned long kicks;	/* kicks we sent */
	unsigned long kicks_saved;	/* posts the device asked us not to kick */
};

#define TV_SLOT		2048

/* Rings of num entries with these features, over 4 MiB of "RAM". */
int tv_guest_create(struct tv_guest *g, unsigned int num, uint64_t features);
/* Open /dev/tun_vring and ATTACH; 0 or -1 and errno. */
int tv_guest_attach(struct tv_guest *g, int tap_fd, uint32_t flags);
/* Close whatever is still open, unmap. */
void tv_guest_destroy(struct tv_guest *g);
/* Close one fd of the guest and forget it. */
void tv_close(int *fd);

/* len bytes of guest RAM (16-byte aligned), or NULL when full. */
void *tv_alloc(struct tv_guest *g, size_t len);

/*
 * Post a chain and, if the device asks for it (EVENT_IDX or NO_NOTIFY),
 * kick the ring through its kick eventfd.
 */
void tv_post(struct tv_guest *g, struct test_ring *r, const struct seg *segs,
	     unsigned int nsegs);
void tv_kick(const struct tv_guest *g, const struct test_ring *r);
/* Wait until the ring has count used entries we have not taken. */
bool tv_wait_used(struct tv_guest *g, struct test_ring *r, unsigned int count,
		  int timeout_ms);
/* Transmit header + frame in one descriptor (slot of the head's index). */
void tv_send(struct tv_guest *g, const void *hdr, const void *frame,
	     size_t len);
/* The counters; false on failure. */
bool tv_stats(const struct tv_guest *g, struct tun_vring_stats *st);
/* Wait for a counter to reach at least `want`. */
bool tv_wait_stat(const struct tv_guest *g, size_t offset, uint64_t want,
		  int timeout_ms);
#define TV_STAT(field) offsetof(struct tun_vring_stats, field)
/* The ring's broken reason ("" while sound). */
const char *tv_broken_reason(const struct test_ring *r);
bool tv_wait_broken(const struct test_ring *r, int timeout_ms);

/* --- groups (test_*.c) -------------------------------------------------- */

void tv_group_attach(void);
void tv_group_bad_fds(void);
void tv_group_tx(void);
void tv_group_rx(void);
void tv_group_mrg(void);
void tv_group_offload(void);
void tv_group_bulk(void);
void tv_group_hostile(void);
void tv_group_teardown(void);
void tv_group_kill(void);
void tv_group_leak(void);
void tv_group_macvtap(void);
void tv_group_coalesce(void);
void tv_group_busy_poll(void);
void tv_group_retry(void);

#endif /* TV_H */
