// SPDX-License-Identifier: GPL-2.0
/*
 * The host side of test_tun_vring: a tap with an IPv4 address, a static
 * neighbour for the "guest", a UDP socket, and the frames that go between
 * them, built and checked byte by byte.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "tv.h"

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, text, strlen(text)) < 0)
		tap_diag("write %s: %s", path, strerror(errno));
	close(fd);
}

void tv_net_global_setup(void)
{
	/* Router solicitations and MLD reports would land in rx rings. */
	write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
	/* Room for a window of datagrams on the host's UDP socket. */
	write_file("/proc/sys/net/core/rmem_max", "4194304");
}

static int ifreq_ioctl(int sock, unsigned long req, struct ifreq *ifr,
		       const char *what)
{
	if (ioctl(sock, req, ifr) == 0)
		return 0;
	tap_diag("%s on %s: %s", what, ifr->ifr_name, strerror(errno));
	return -1;
}

static void set_in_addr(struct sockaddr *sa, uint32_t addr)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };

	sin.sin_addr.s_addr = addr;
	memcpy(sa, &sin, sizeof(sin));
}

static int tap_open(struct tv_net *n)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	int hdr = TV_HDR_LEN;

	n->tap_fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (n->tap_fd < 0) {
		tap_diag("open /dev/net/tun: %s", strerror(errno));
		return -1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", n->name);
	if (ioctl(n->tap_fd, TUNSETIFF, &ifr) < 0 ||
	    ioctl(n->tap_fd, TUNSETVNETHDRSZ, &hdr) < 0) {
		tap_diag("TUNSETIFF/TUNSETVNETHDRSZ %s: %s", n->name,
			 strerror(errno));
		return -1;
	}
	return 0;
}

static int tap_configure(struct tv_net *n)
{
	struct arpreq arp = { .arp_flags = ATF_PERM | ATF_COM };
	struct ifreq ifr = { 0 };
	int sock, err = -1;

	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", n->name);
	if (ifreq_ioctl(sock, SIOCGIFHWADDR, &ifr, "SIOCGIFHWADDR"))
		goto out;
	memcpy(n->host_mac, ifr.ifr_hwaddr.sa_data, 6);
	set_in_addr(&ifr.ifr_addr, n->host_ip);
	if (ifreq_ioctl(sock, SIOCSIFADDR, &ifr, "SIOCSIFADDR"))
		goto out;
	set_in_addr(&ifr.ifr_netmask, htonl(0xffffff00));
	if (ifreq_ioctl(sock, SIOCSIFNETMASK, &ifr, "SIOCSIFNETMASK"))
		goto out;
	if (ifreq_ioctl(sock, SIOCGIFFLAGS, &ifr, "SIOCGIFFLAGS"))
		goto out;
	ifr.ifr_flags |= IFF_UP;
	if (ifreq_ioctl(sock, SIOCSIFFLAGS, &ifr, "SIOCSIFFLAGS"))
		goto out;

	/* The guest's MAC, so the host sends without asking by ARP. */
	set_in_addr(&arp.arp_pa, n->guest_ip);
	arp.arp_ha.sa_family = ARPHRD_ETHER;
	memcpy(arp.arp_ha.sa_data, n->guest_mac, 6);
	snprintf(arp.arp_dev, sizeof(arp.arp_dev), "%s", n->name);
	if (ioctl(sock, SIOCSARP, &arp) < 0) {
		tap_diag("SIOCSARP on %s: %s", n->name, strerror(errno));
		goto out;
	}
	err = 0;
out:
	close(sock);
	return err;
}

static int udp_open(struct tv_net *n)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(TV_PORT_HOST),
		.sin_addr.s_addr = n->host_ip,
	};
	int size = 2 << 20;

	n->udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (n->udp_fd < 0)
		return -1;
	setsockopt(n->udp_fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(n->udp_fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		tap_diag("bind UDP %s: %s", inet_ntoa(sin.sin_addr),
			 strerror(errno));
		return -1;
	}
	return 0;
}

int tv_net_create(struct tv_net *n, unsigned int index)
{
	static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x77, 0, 2 };
	char path[96];

	memset(n, 0, sizeof(*n));
	n->tap_fd = -1;
	n->udp_fd = -1;
	snprintf(n->name, sizeof(n->name), "tvr%u", index);
	memcpy(n->guest_mac, guest_mac, 6);
	n->guest_mac[4] = index;
	n->host_ip = htonl(0x0a4d0001 | (index & 0xff) << 8);
	n->guest_ip = htonl(0x0a4d0002 | (index & 0xff) << 8);
	if (tap_open(n))
		goto fail;
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
		 n->name);
	write_file(path, "1");
	if (tap_configure(n) || udp_open(n))
		goto fail;
	return 0;
fail:
	tv_net_close(n);
	return -1;
}

void tv_net_close(struct tv_net *n)
{
	tv_close(&n->udp_fd);
	tv_close(&n->tap_fd);
}

bool tv_netdev_exists(const char *name)
{
	char path[96];

	snprintf(path, sizeof(path), "/sys/class/net/%s", name);
	return access(path, F_OK) == 0;
}

int tv_netdev_delete(const char *name)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		char ack[256];
	} req = {
		.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
		.nh.nlmsg_type = RTM_DELLINK,
		.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
		.ifi.ifi_family = AF_UNSPEC,
	};
	struct nlmsgerr *e;
	int fd, err = -1;
	ssize_t got;

	req.ifi.ifi_index = if_nametoindex(name);
	if (!req.ifi.ifi_index)
		return -1;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -1;
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0)
		goto out;
	got = recv(fd, &req, sizeof(req), 0);
	if (got < (ssize_t)NLMSG_LENGTH(sizeof(*e)) ||
	    req.nh.nlmsg_type != NLMSG_ERROR)
		goto out;
	e = NLMSG_DATA(&req.nh);
	errno = -e->error;
	err = e->error ? -1 : 0;
out:
	close(fd);
	return err;
}

/* Append one rtnetlink attribute; returns it (for nesting). */
static struct rtattr *nl_attr(struct nlmsghdr *nh, unsigned short type,
			      const void *data, size_t len)
{
	struct rtattr *rta = (void *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(rta), data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(rta->rta_len);
	return rta;
}

static void nl_nest_end(struct nlmsghdr *nh, struct rtattr *nest)
{
	nest->rta_len = (char *)nh + nh->nlmsg_len - (char *)nest;
}

int tv_netdev_add(const char *name, const char *kind, const char *link,
		  uint32_t macvlan_mode)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		char attrs[512];
	} req = {
		.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
		.nh.nlmsg_type = RTM_NEWLINK,
		.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE |
				  NLM_F_EXCL,
		.ifi.ifi_family = AF_UNSPEC,
	};
	struct rtattr *info, *data;
	struct nlmsgerr *e;
	uint32_t link_index;
	int fd, err = -1;

	nl_attr(&req.nh, IFLA_IFNAME, name, strlen(name) + 1);
	if (link) {
		link_index = if_nametoindex(link);
		nl_attr(&req.nh, IFLA_LINK, &link_index, sizeof(link_index));
	}
	info = nl_attr(&req.nh, IFLA_LINKINFO, NULL, 0);
	nl_attr(&req.nh, IFLA_INFO_KIND, kind, strlen(kind));
	if (macvlan_mode) {
		data = nl_attr(&req.nh, IFLA_INFO_DATA, NULL, 0);
		nl_attr(&req.nh, IFLA_MACVLAN_MODE, &macvlan_mode,
			sizeof(macvlan_mode));
		nl_nest_end(&req.nh, data);
	}
	nl_nest_end(&req.nh, info);

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -1;
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0 ||
	    recv(fd, &req, sizeof(req), 0) < (ssize_t)NLMSG_LENGTH(sizeof(*e)) ||
	    req.nh.nlmsg_type != NLMSG_ERROR)
		goto out;
	e = NLMSG_DATA(&req.nh);
	errno = -e->error;
	err = e->error ? -1 : 0;
out:
	close(fd);
	return err;
}

int tv_netdev_up(const char *name, uint8_t mac[6])
{
	struct ifreq ifr = { 0 };
	int sock, err = -1;

	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (mac && !ifreq_ioctl(sock, SIOCGIFHWADDR, &ifr, "SIOCGIFHWADDR"))
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	if (!ifreq_ioctl(sock, SIOCGIFFLAGS, &ifr, "SIOCGIFFLAGS")) {
		ifr.ifr_flags |= IFF_UP;
		err = ifreq_ioctl(sock, SIOCSIFFLAGS, &ifr, "SIOCSIFFLAGS");
	}
	close(sock);
	return err;
}

uint16_t tv_csum(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static uint16_t get16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

/* The UDP pseudo-header's sum (not folded to a checksum yet). */
static uint32_t pseudo_sum(uint32_t src, uint32_t dst, size_t udp_len)
{
	uint8_t ph[12];

	memcpy(ph, &src, 4);
	memcpy(ph + 4, &dst, 4);
	ph[8] = 0;
	ph[9] = 17;
	put16(ph + 10, udp_len);
	return tv_csum(ph, sizeof(ph), 0);
}

size_t tv_build_frame(const struct tv_net *n, uint8_t *buf,
		      const void *payload, size_t len, bool full_udp_csum)
{
	uint8_t *ip = buf + TV_ETH_LEN, *udp = ip + TV_IP_LEN;
	size_t udp_len = TV_UDP_LEN + len;
	uint16_t sum;

	memcpy(buf, n->host_mac, 6);
	memcpy(buf + 6, n->guest_mac, 6);
	put16(buf + 12, 0x0800);

	memset(ip, 0, TV_IP_LEN);
	ip[0] = 0x45;
	put16(ip + 2, TV_IP_LEN + udp_len);
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, &n->guest_ip, 4);
	memcpy(ip + 16, &n->host_ip, 4);
	put16(ip + 10, ~tv_csum(ip, TV_IP_LEN, 0));

	put16(udp, TV_PORT_GUEST);
	put16(udp + 2, TV_PORT_HOST);
	put16(udp + 4, udp_len);
	put16(udp + 6, 0);
	memcpy(udp + TV_UDP_LEN, payload, len);
	/*
	 * Either the whole checksum, or (for VIRTIO_NET_HDR_F_NEEDS_CSUM)
	 * only the pseudo-header's sum, which the host completes.
	 */
	sum = pseudo_sum(n->guest_ip, n->host_ip, udp_len);
	if (full_udp_csum) {
		sum = ~tv_csum(udp, udp_len, sum);
		put16(udp + 6, sum ? sum : 0xffff);
	} else {
		put16(udp + 6, sum);
	}
	return TV_HEADERS + len;
}

bool tv_check_frame(const struct tv_net *n, const uint8_t *frame, size_t len,
		    const void *payload, size_t payload_len, bool csum_partial)
{
	const uint8_t *ip = frame + TV_ETH_LEN, *udp = ip + TV_IP_LEN;
	uint32_t sum;

	if (len != TV_HEADERS + payload_len) {
		tap_diag("frame is %zu bytes, expected %zu", len,
			 TV_HEADERS + payload_len);
		return false;
	}
	if (memcmp(frame, n->guest_mac, 6) || memcmp(frame + 6, n->host_mac, 6) ||
	    get16(frame + 12) != 0x0800) {
		tap_diag("Ethernet header: wrong MACs or type");
		return false;
	}
	if (ip[0] != 0x45 || ip[9] != 17 || memcmp(ip + 12, &n->host_ip, 4) ||
	    memcmp(ip + 16, &n->guest_ip, 4) ||
	    tv_csum(ip, TV_IP_LEN, 0) != 0xffff) {
		tap_diag("IPv4 header: wrong addresses, protocol or checksum");
		return false;
	}
	if (get16(udp) != TV_PORT_HOST || get16(udp + 2) != TV_PORT_GUEST ||
	    get16(udp + 4) != TV_UDP_LEN + payload_len) {
		tap_diag("UDP header: wrong port or length");
		return false;
	}
	sum = pseudo_sum(n->host_ip, n->guest_ip, TV_UDP_LEN + payload_len);
	if (csum_partial) {
		/* The field holds the pseudo-header sum, left to the guest. */
		if (get16(udp + 6) != (uint16_t)sum) {
			tap_diag("partial UDP checksum 0x%04x, expected 0x%04x",
				 get16(udp + 6), (uint16_t)sum);
			return false;
		}
	} else if (get16(udp + 6) &&
		   tv_csum(udp, TV_UDP_LEN + payload_len, sum) != 0xffff) {
		tap_diag("UDP checksum does not verify");
		return false;
	}
	if (memcmp(udp + TV_UDP_LEN, payload, payload_len)) {
		tap_diag("payload bytes differ");
		return false;
	}
	return true;
}

int tv_host_send(const struct tv_net *n, const void *buf, size_t len)
{
	struct sockaddr_in to = {
		.sin_family = AF_INET,
		.sin_port = htons(TV_PORT_GUEST),
		.sin_addr.s_addr = n->guest_ip,
	};

	if (sendto(n->udp_fd, buf, len, 0, (struct sockaddr *)&to,
		   sizeof(to)) != (ssize_t)len) {
		tap_diag("sendto guest: %s", strerror(errno));
		return -1;
	}
	return 0;
}

long tv_host_recv(const struct tv_net *n, void *buf, size_t len,
		  int timeout_ms)
{
	struct sockaddr_in from;
	socklen_t fromlen = sizeof(from);
	ssize_t got;

	if (poll_one(n->udp_fd, POLLIN, timeout_ms) <= 0)
		return -1;
	got = recvfrom(n->udp_fd, buf, len, MSG_DONTWAIT,
		       (struct sockaddr *)&from, &fromlen);
	if (got < 0)
		return -1;
	/* It must come from the guest's address and port. */
	if (from.sin_addr.s_addr != n->guest_ip ||
	    from.sin_port != htons(TV_PORT_GUEST)) {
		tap_diag("datagram from %s:%u, not from the guest",
			 inet_ntoa(from.sin_addr), ntohs(from.sin_port));
		return -1;
	}
	return got;
}

long tv_module_refcnt(const char *name)
{
	char path[96], text[32];
	ssize_t got;
	int fd;

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	got = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (got <= 0)
		return -1;
	text[got] = 0;
	return strtol(text, NULL, 10);
}

long tv_sunreclaim_kib(void)
{
	char line[128];
	long kib = -1;
	FILE *f;

	f = fopen("/proc/meminfo", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SUnreclaim: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}
