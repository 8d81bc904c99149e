// SPDX-License-Identifier: GPL-2.0
/*N:400
 * The host end of the guest's network: a tap device.  Whatever the guest
 * sends comes out of the tap into the host's network stack, and whatever
 * the host routes to the tap goes to the guest.  `--tunnet=192.168.1.1`
 * makes one, gives the host side 192.168.1.1/24, brings it up, and tells
 * the guest to take 192.168.1.2: a two-machine network with no bridge and
 * no configuration left behind.
 *
 * The tap is not persistent: the kernel deletes it when the last file
 * descriptor on it closes, which is when this process ends, even by
 * SIGKILL.  Everything here talks to the kernel the way iproute2 does,
 * over rtnetlink, rather than running "ip" (which the host may not have).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "device.h"
#include "tunnet.h"

/* What the virtio 1.x network header is: struct virtio_net_hdr_v1. */
#define VNET_HDR_SIZE	12

void tunnet_format_mac(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

static bool parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char end;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2],
		   &b[3], &b[4], &b[5], &end) != 6 || strlen(s) != 17)
		return false;
	for (int i = 0; i < 6; i++)
		mac[i] = b[i];
	/* A guest NIC needs a unicast address. */
	return !(mac[0] & 1);
}

/*N:410
 * --tunnet=IP[:MAC] or --tunnet=bridge:BR[:MAC].  The guest's address is
 * the next one up from ours (192.168.1.1 gives the guest 192.168.1.2), so
 * our address must leave room for it in its /24.  Without a MAC we make
 * one up from our process ID, in the locally administered range (the 0x02
 * bit of the first byte), so two guests on one bridge differ.
 */
void tunnet_parse(const char *arg, struct tunnet_config *config)
{
	char ip[INET_ADDRSTRLEN];
	const char *colon, *mac = NULL;
	uint32_t host;
	pid_t pid = getpid();

	memset(config, 0, sizeof(*config));
	if (!strncmp(arg, "bridge:", 7)) {
		const char *name = arg + 7;
		size_t len;

		colon = strchr(name, ':');
		len = colon ? (size_t)(colon - name) : strlen(name);
		if (!len || len >= IFNAMSIZ)
			die("--tunnet=%s: bad bridge name", arg);
		memcpy(config->bridge, name, len);
		config->bridged = true;
		mac = colon ? colon + 1 : NULL;
	} else {
		colon = strchr(arg, ':');
		if ((colon ? (size_t)(colon - arg) : strlen(arg)) >= sizeof(ip))
			die("--tunnet=%s: bad IPv4 address", arg);
		snprintf(ip, sizeof(ip), "%.*s",
			 colon ? (int)(colon - arg) : (int)strlen(arg), arg);
		if (inet_pton(AF_INET, ip, &config->host_ip) != 1)
			die("--tunnet=%s: bad IPv4 address '%s'", arg, ip);
		host = ntohl(config->host_ip.s_addr);
		if ((host & 0xff) == 0 || (host & 0xff) >= 254)
			die("--tunnet=%s: %s leaves no room for the guest's address (x.x.x.1 to x.x.x.253)",
			    arg, ip);
		config->guest_ip.s_addr = htonl(host + 1);
		mac = colon ? colon + 1 : NULL;
	}
	if (mac) {
		if (!parse_mac(mac, config->mac))
			die("--tunnet=%s: bad MAC address '%s' (want a unicast aa:bb:cc:dd:ee:ff)",
			    arg, mac);
		config->mac_given = true;
	} else {
		uint8_t made_up[6] = { 0x52, 0x54, 0x00, (pid >> 16) & 0xff,
				       (pid >> 8) & 0xff, pid & 0xff };

		memcpy(config->mac, made_up, 6);
	}
}

/* One rtnetlink request and its acknowledgement: 0 or -errno. */
static int netlink_request(struct nlmsghdr *request)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	union {
		struct nlmsghdr header;
		char bytes[1024];
	} reply;
	int fd, ret = -EIO;
	ssize_t got;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	request->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	request->nlmsg_seq = 1;
	if (sendto(fd, request, request->nlmsg_len, 0,
		   (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		ret = -errno;
		goto out;
	}
	got = recv(fd, &reply, sizeof(reply), 0);
	if (got < 0)
		ret = -errno;
	else if (got >= (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) &&
		 reply.header.nlmsg_type == NLMSG_ERROR)
		ret = ((struct nlmsgerr *)NLMSG_DATA(&reply.header))->error;
out:
	close(fd);
	return ret;
}

/* Append attribute type with len bytes of data to the message. */
static void add_attr(struct nlmsghdr *msg, size_t room, unsigned short type,
		     const void *data, size_t len)
{
	struct rtattr *attr;

	if (NLMSG_ALIGN(msg->nlmsg_len) + RTA_SPACE(len) > room)
		die("netlink message too long");
	attr = (struct rtattr *)((char *)msg + NLMSG_ALIGN(msg->nlmsg_len));
	attr->rta_type = type;
	attr->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(attr), data, len);
	msg->nlmsg_len = NLMSG_ALIGN(msg->nlmsg_len) + RTA_SPACE(len);
}

/* ip addr add ADDR/24 dev IFINDEX */
static int add_address(int ifindex, struct in_addr addr)
{
	struct {
		struct nlmsghdr header;
		struct ifaddrmsg ifa;
		char attrs[64];
	} msg = {
		.header.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg)),
		.header.nlmsg_type = RTM_NEWADDR,
		.header.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL,
		.ifa.ifa_family = AF_INET,
		.ifa.ifa_prefixlen = 24,
		.ifa.ifa_scope = RT_SCOPE_UNIVERSE,
		.ifa.ifa_index = ifindex,
	};

	add_attr(&msg.header, sizeof(msg), IFA_LOCAL, &addr, sizeof(addr));
	add_attr(&msg.header, sizeof(msg), IFA_ADDRESS, &addr, sizeof(addr));
	return netlink_request(&msg.header);
}

/* ip link set IFINDEX up [master MASTER] */
static int link_up(int ifindex, int master)
{
	struct {
		struct nlmsghdr header;
		struct ifinfomsg ifi;
		char attrs[64];
	} msg = {
		.header.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
		.header.nlmsg_type = RTM_NEWLINK,
		.ifi.ifi_family = AF_UNSPEC,
		.ifi.ifi_index = ifindex,
		.ifi.ifi_flags = IFF_UP,
		.ifi.ifi_change = IFF_UP,
	};

	if (master)
		add_attr(&msg.header, sizeof(msg), IFLA_MASTER, &master,
			 sizeof(master));
	return netlink_request(&msg.header);
}

/*N:420
 * The tap itself: IFF_TAP for Ethernet frames, IFF_NO_PI for no extra
 * packet-information prefix, and IFF_VNET_HDR so each frame comes and
 * goes with the virtio network header in front, the same 12 bytes the
 * guest's driver puts there: checksum offload and segmentation
 * information pass straight through, and neither we nor tun_vring ever
 * rewrite a frame.  The kernel picks the name from "lguest%d".
 */
int tunnet_open(const struct tunnet_config *config, char ifname[IFNAMSIZ])
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	int hdr_size = VNET_HDR_SIZE;
	int fd, ifindex, master = 0, err;
	char path[64 + IFNAMSIZ];
	struct stat st;

	if (config->bridged) {
		master = if_nametoindex(config->bridge);
		if (!master)
			die("--tunnet=bridge:%s: no such interface", config->bridge);
		snprintf(path, sizeof(path), "/sys/class/net/%s/bridge",
			 config->bridge);
		if (stat(path, &st) < 0)
			die("--tunnet=bridge:%s: %s is not a bridge",
			    config->bridge, config->bridge);
	}
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("--tunnet: can't open /dev/net/tun: %m (is the tun module loaded?)");
	snprintf(ifr.ifr_name, IFNAMSIZ, "lguest%%d");
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		die("--tunnet: can't create a tap device: %m");
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr_size) < 0)
		die("--tunnet: can't set the tap's header size: %m");
	memcpy(ifname, ifr.ifr_name, IFNAMSIZ);
	ifname[IFNAMSIZ - 1] = '\0';
	ifindex = if_nametoindex(ifname);
	if (!ifindex)
		die("--tunnet: tap %s vanished: %m", ifname);

	if (!config->bridged) {
		err = add_address(ifindex, config->host_ip);
		if (err)
			die("--tunnet: can't give %s its address %s/24: %s", ifname,
			    inet_ntoa(config->host_ip), strerror(-err));
	}
	err = link_up(ifindex, master);
	if (err)
		die("--tunnet: can't bring %s up%s%s: %s", ifname,
		    master ? " in bridge " : "", master ? config->bridge : "",
		    strerror(-err));
	return fd;
}
