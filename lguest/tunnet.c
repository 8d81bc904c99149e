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
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
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

/*N:600
 * --tunnet=macvtap:IFACE[:MODE][:MAC] is the other way onto a network: no
 * tap and no bridge, but a macvtap, a second MAC address on an Ethernet
 * interface the host already has.  The kernel sorts the frames arriving
 * on IFACE by destination address; those for the macvtap's address go to
 * its character device, /dev/tapN, which reads and writes frames just as
 * a tap does (the same ioctls, the same vnet header), so both network
 * backends take it unchanged.  The guest simply appears on IFACE's
 * network beside the host, and that network (its DHCP server, or the
 * user's lguest.ip=) decides its address, not us.
 *
 * The mode says what the macvtap does with frames between it and other
 * macvlans or macvtaps on the same IFACE:
 *	bridge    they go straight across, inside the kernel;
 *	vepa      everything goes out of IFACE, and only a switch outside
 *		  that sends frames back where they came from ("hairpin")
 *		  connects two of them;
 *	private   like vepa, but even hairpinned frames are dropped;
 *	passthru  the macvtap has IFACE to itself (no other macvlan), takes
 *		  IFACE's own MAC address and puts IFACE in promiscuous mode.
 */
static const struct {
	const char *name;
	uint32_t mode;
} macvtap_modes[] = {
	{ "bridge", MACVLAN_MODE_BRIDGE },
	{ "vepa", MACVLAN_MODE_VEPA },
	{ "private", MACVLAN_MODE_PRIVATE },
	{ "passthru", MACVLAN_MODE_PASSTHRU },
};
#define NR_MACVTAP_MODES (sizeof(macvtap_modes) / sizeof(macvtap_modes[0]))

const char *tunnet_macvtap_mode_name(const struct tunnet_config *config)
{
	for (unsigned int i = 0; i < NR_MACVTAP_MODES; i++)
		if (macvtap_modes[i].mode == config->macvtap_mode)
			return macvtap_modes[i].name;
	return "?";
}

/* The first line of /sys/class/net/IFACE/ATTR, or false. */
static bool read_net_attr(const char *iface, const char *attr, char *buf,
			  size_t size)
{
	char path[64 + IFNAMSIZ];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", iface, attr);
	f = fopen(path, "re");
	if (!f)
		return false;
	ok = fgets(buf, size, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

/*N:610
 * After "macvtap:" comes IFACE, then an optional mode and an optional
 * MAC, each after a colon.  A MAC is recognisable (six hex pairs), so the
 * mode can be left out with the MAC still given.  IFACE is checked now,
 * before anything is made: it must exist, and be Ethernet, since a
 * macvtap sorts frames by Ethernet address.  In passthru mode the
 * macvtap takes IFACE's MAC whatever we ask, so the guest takes it too
 * unless the user gives another (IFACE is promiscuous then, so frames
 * for any address still arrive).
 */
static const char *parse_macvtap(const char *arg, struct tunnet_config *config)
{
	const char *name = arg + 8, *rest, *colon;
	char type[16], mac[32];
	size_t len;
	unsigned int i;

	colon = strchr(name, ':');
	len = colon ? (size_t)(colon - name) : strlen(name);
	if (!len || len >= IFNAMSIZ)
		die("--tunnet=%s: bad interface name", arg);
	memcpy(config->lower, name, len);
	config->macvtap = true;
	config->macvtap_mode = MACVLAN_MODE_BRIDGE;
	rest = colon ? colon + 1 : NULL;
	if (rest) {
		colon = strchr(rest, ':');
		len = colon ? (size_t)(colon - rest) : strlen(rest);
		for (i = 0; i < NR_MACVTAP_MODES; i++)
			if (strlen(macvtap_modes[i].name) == len &&
			    !strncmp(rest, macvtap_modes[i].name, len))
				break;
		if (i < NR_MACVTAP_MODES) {
			config->macvtap_mode = macvtap_modes[i].mode;
			rest = colon ? colon + 1 : NULL;
		} else if (len != 2) {
			die("--tunnet=%s: unknown macvtap mode '%.*s' (bridge, vepa, private or passthru)",
			    arg, (int)len, rest);
		}
	}

	if (!if_nametoindex(config->lower))
		die("--tunnet=%s: no such interface", arg);
	if (!read_net_attr(config->lower, "type", type, sizeof(type)) ||
	    strcmp(type, "1"))
		die("--tunnet=%s: %s is not an Ethernet interface", arg,
		    config->lower);
	if (config->macvtap_mode == MACVLAN_MODE_PASSTHRU && !rest) {
		if (!read_net_attr(config->lower, "address", mac, sizeof(mac)) ||
		    !parse_mac(mac, config->mac))
			die("--tunnet=%s: can't read %s's MAC address", arg,
			    config->lower);
		config->mac_given = true;
	}
	return rest;
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
	config->arg = arg;
	if (!strncmp(arg, "macvtap:", 8)) {
		mac = parse_macvtap(arg, config);
	} else if (!strncmp(arg, "bridge:", 7) || !strncmp(arg, "tap:", 4)) {
		bool tap = arg[0] == 't';
		const char *name = arg + (tap ? 4 : 7);
		size_t len;

		colon = strchr(name, ':');
		len = colon ? (size_t)(colon - name) : strlen(name);
		if (!len || len >= IFNAMSIZ)
			die("--tunnet=%s: bad %s name", arg, tap ? "tap" : "bridge");
		memcpy(tap ? config->tap : config->bridge, name, len);
		config->existing = tap;
		config->bridged = !tap;
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
	} else if (!config->mac_given) {
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
		char bytes[4096];
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
static struct rtattr *add_attr(struct nlmsghdr *msg, size_t room,
			       unsigned short type, const void *data,
			       size_t len)
{
	struct rtattr *attr;

	if (NLMSG_ALIGN(msg->nlmsg_len) + RTA_SPACE(len) > room)
		die("netlink message too long");
	attr = (struct rtattr *)((char *)msg + NLMSG_ALIGN(msg->nlmsg_len));
	attr->rta_type = type;
	attr->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(attr), data, len);
	msg->nlmsg_len = NLMSG_ALIGN(msg->nlmsg_len) + RTA_SPACE(len);
	return attr;
}

/* Close a nested attribute opened with add_attr(..., NULL, 0). */
static void end_nest(struct nlmsghdr *msg, struct rtattr *nest)
{
	nest->rta_len = (char *)msg + msg->nlmsg_len - (char *)nest;
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

/* ip link del IFINDEX */
static int link_delete(int ifindex)
{
	struct {
		struct nlmsghdr header;
		struct ifinfomsg ifi;
	} msg = {
		.header.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
		.header.nlmsg_type = RTM_DELLINK,
		.ifi.ifi_family = AF_UNSPEC,
		.ifi.ifi_index = ifindex,
	};

	return netlink_request(&msg.header);
}

/*
 * Open one queue on a tap (path /dev/net/tun, name the tap's name or a
 * pattern the kernel fills in) or a macvtap (its /dev/tapN, which ignores
 * the name): the flags of N:420, and the 12-byte header.  Returns the fd,
 * or -errno with what failed in *what.
 */
static int open_queue(const char *path, char name[IFNAMSIZ], bool multi,
		      const char **what)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	int hdr_size = VNET_HDR_SIZE, sndbuf = INT_MAX, fd, err;

	if (multi)
		ifr.ifr_flags |= IFF_MULTI_QUEUE;
	*what = "open";
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memcpy(ifr.ifr_name, name, IFNAMSIZ);
	*what = "TUNSETIFF";
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		goto fail;
	memcpy(name, ifr.ifr_name, IFNAMSIZ);
	name[IFNAMSIZ - 1] = '\0';
	*what = "TUNSETVNETHDRSZ";
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr_size) < 0)
		goto fail;
	/*
	 * Every frame sent is charged to the queue's send buffer until
	 * whoever received it frees it, and a frame that crossed a veth into
	 * another namespace can sit in a socket there for a long time.  A
	 * tun queue's buffer is unlimited from the start; a macvtap's is the
	 * system's default (about 200 KiB), which one slow reader fills, and
	 * then every send fails with EAGAIN.  The guest's driver has its own
	 * limit, the ring, so we lift the tap's as tun does.
	 */
	*what = "TUNSETSNDBUF";
	if (ioctl(fd, TUNSETSNDBUF, &sndbuf) < 0)
		goto fail;
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}

/*N:420
 * The tap itself: IFF_TAP for Ethernet frames, IFF_NO_PI for no extra
 * packet-information prefix, and IFF_VNET_HDR so each frame comes and
 * goes with the virtio network header in front, the same 12 bytes the
 * guest's driver puts there: checksum offload and segmentation
 * information pass straight through, and neither we nor tun_vring ever
 * rewrite a frame.  The kernel picks the name from "lguest%d".  With
 * several queues every open carries IFF_MULTI_QUEUE and the later ones
 * name the tap the first one made.
 */
static void tap_open_queues(const struct tunnet_config *config,
			    char ifname[IFNAMSIZ], int fds[],
			    unsigned int nqueues)
{
	int ifindex, master = 0, err;
	char path[64 + IFNAMSIZ];
	const char *what;
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
	snprintf(ifname, IFNAMSIZ, "lguest%%d");
	for (unsigned int q = 0; q < nqueues; q++) {
		fds[q] = open_queue("/dev/net/tun", ifname, nqueues > 1, &what);
		if (fds[q] == -ENOENT && !strcmp(what, "open"))
			die("--tunnet: can't open /dev/net/tun: %s (is the tun module loaded?)",
			    strerror(-fds[q]));
		if (fds[q] == -EPERM && !strcmp(what, "TUNSETIFF"))
			die("--tunnet=%s: making a tap needs CAP_NET_ADMIN; without it, have root make you one (ip tuntap add NAME mode tap user $USER vnet_hdr multi_queue; ip link set NAME up) and use --tunnet=tap:NAME",
			    config->arg);
		if (fds[q] < 0)
			die("--tunnet: can't %s the tap's queue %u: %s",
			    !strcmp(what, "TUNSETIFF") ? "create" : "set up",
			    q, strerror(-fds[q]));
	}
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
}

/*N:425
 * --tunnet=tap:NAME takes a tap that exists: one an administrator made,
 * persistent, for a user who is not root,
 *
 *	ip tuntap add NAME mode tap user U vnet_hdr multi_queue
 *	ip link set NAME up
 *
 * and put where it belongs (an address, a bridge).  Attaching to a tap
 * one owns needs no capability, and that is the whole of what we do: no
 * address, no bridge, and the tap stays when we go.  A tap made with
 * multi_queue takes only queues opened with IFF_MULTI_QUEUE and one made
 * without takes one queue only, so its tun_flags in sysfs decide.  If
 * the tap is down we cannot bring it up without CAP_NET_ADMIN: we try,
 * and say what to run if that fails.
 */
static void existing_tap_open_queues(const struct tunnet_config *config,
				     char ifname[IFNAMSIZ], int fds[],
				     unsigned int nqueues)
{
	char buf[32];
	unsigned long flags;
	const char *what;
	int ifindex, err;
	bool multi;

	if (!read_net_attr(config->tap, "tun_flags", buf, sizeof(buf)))
		die("--tunnet=%s: no tap %s (ip tuntap add %s mode tap user $USER vnet_hdr multi_queue, as root)",
		    config->arg, config->tap, config->tap);
	flags = strtoul(buf, NULL, 0);
	if (!(flags & IFF_TAP))
		die("--tunnet=%s: %s is a tun (IP packets), not a tap", config->arg,
		    config->tap);
	multi = flags & IFF_MULTI_QUEUE;
	if (nqueues > 1 && !multi)
		die("--tunnet=%s: %u queues need a tap made with multi_queue; %s was not",
		    config->arg, nqueues, config->tap);
	memcpy(ifname, config->tap, IFNAMSIZ);
	for (unsigned int q = 0; q < nqueues; q++) {
		fds[q] = open_queue("/dev/net/tun", ifname, multi, &what);
		if (fds[q] == -EPERM && !strcmp(what, "TUNSETIFF"))
			die("--tunnet=%s: %s is not yours (its owner or group must be you: ip tuntap add %s mode tap user $USER ...)",
			    config->arg, config->tap, config->tap);
		if (fds[q] < 0 && !strcmp(what, "open"))
			die("--tunnet=%s: can't open /dev/net/tun: %s", config->arg,
			    strerror(-fds[q]));
		if (fds[q] < 0)
			die("--tunnet=%s: can't %s queue %u of %s: %s", config->arg,
			    what, q, config->tap, strerror(-fds[q]));
	}
	ifindex = if_nametoindex(ifname);
	if (read_net_attr(ifname, "flags", buf, sizeof(buf)) &&
	    (strtoul(buf, NULL, 0) & IFF_UP))
		return;
	err = ifindex ? link_up(ifindex, 0) : -ENODEV;
	if (err)
		die("--tunnet=%s: %s is down and we can't bring it up: %s (as root: ip link set %s up)",
		    config->arg, ifname, strerror(-err), ifname);
}

/*N:620
 * A macvtap is not a tap: it is an ordinary network interface, and it
 * stays when the last file descriptor on /dev/tapN closes.  So we must
 * delete it ourselves, and "however the launcher exits" includes SIGKILL,
 * where no code of ours runs.  The answer is a second process, a reaper,
 * that waits for the launcher to be gone: it holds the read end of a
 * pipe whose only write end is ours, and read() returns end-of-file when
 * the kernel closes that write end, which it does when we exit, by any
 * means.  Then the reaper deletes the macvtap and exits.
 *
 * The reaper is forked before the macvtap exists, and told its interface
 * index through the pipe the moment the kernel has made it, so the only
 * instant a SIGKILL could leave a macvtap behind is between the kernel's
 * acknowledgement and that write().
 *
 * A forked copy of the launcher would keep the guest's memory and the
 * hypervisor's mappings (a KVM vCPU's run area holds the vCPU open), so
 * the child at once runs this same program again, as a fresh process
 * that has nothing but the pipe (always fd 3) and stderr; it knows it is
 * the reaper by LGUEST_MACVTAP_REAPER in its environment, before main().
 * It leaves our session, so that a Ctrl-C on the terminal does not reach
 * it, ignores the polite signals, and is called lguest-reaper, so that
 * `killall -9 lguest` or `pkill -9 lguest`, which go by that name, kill
 * the launcher and leave the reaper to its work.  (pidof also looks at
 * the executable, and lists both.)
 */
#define REAPER_ENV	"LGUEST_MACVTAP_REAPER"
#define REAPER_FD	3

static struct {
	int ifindex;		/* the macvtap we made, or 0 */
	int reaper_pipe;	/* the write end, or -1 */
	pid_t reaper;
} made = { 0, -1, 0 };

static void reaper_run(int fd)
{
	int32_t ifindex = 0, got;
	ssize_t n;

	for (;;) {
		n = read(fd, &got, sizeof(got));
		if (n == sizeof(got))
			ifindex = got;
		else if (n < 0 && errno == EINTR)
			continue;
		else
			break;
	}
	if (ifindex > 0) {
		int err = link_delete(ifindex);

		if (err && err != -ENODEV)
			fprintf(stderr, "lguest-reaper: can't delete the macvtap (index %d): %s\n",
				ifindex, strerror(-err));
	}
	_exit(0);
}

/*N:630
 * The reaper's first moments: before main() of the program it runs
 * again, if the environment says so and fd 3 is the pipe.
 */
__attribute__((constructor)) static void reaper_if_asked(void)
{
	struct stat st;

	if (!getenv(REAPER_ENV))
		return;
	if (fstat(REAPER_FD, &st) < 0 || !S_ISFIFO(st.st_mode)) {
		unsetenv(REAPER_ENV);
		return;
	}
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_NAME, "lguest-reaper");
	reaper_run(REAPER_FD);
}

/*
 * Between fork() and execve() the child of a threaded process may only
 * make plain system calls: no locks, no malloc.
 */
static void reaper_child(int pipe_read, int pipe_write)
{
	static char *const argv[] = { "lguest-reaper", NULL };
	static char *const envp[] = { REAPER_ENV "=1", NULL };
	int null;

	setsid();
	if (pipe_read == REAPER_FD)
		fcntl(REAPER_FD, F_SETFD, 0);
	else if (dup2(pipe_read, REAPER_FD) < 0)
		_exit(1);
	if (pipe_write != REAPER_FD)
		close(pipe_write);
	if (pipe_read != REAPER_FD)
		close(pipe_read);
	null = open("/dev/null", O_RDWR);
	if (null >= 0 && null != REAPER_FD) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
	}
	if (close_range(REAPER_FD + 1, ~0U, 0) < 0)
		for (int fd = REAPER_FD + 1; fd < 1024; fd++)
			close(fd);
	execve("/proc/self/exe", argv, envp);
	/* No /proc: be the reaper as we are; the fds are closed already. */
	reaper_run(REAPER_FD);
}

static void start_reaper(const char *arg)
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		die("--tunnet=%s: pipe: %m", arg);
	pid = fork();
	if (pid < 0)
		die("--tunnet=%s: can't start the macvtap's reaper: %m", arg);
	if (pid == 0)
		reaper_child(fds[0], fds[1]);
	close(fds[0]);
	made.reaper_pipe = fds[1];
	made.reaper = pid;
}

/* Tell the reaper which interface to delete (0: none any more). */
static void tell_reaper(int32_t ifindex)
{
	if (write(made.reaper_pipe, &ifindex, sizeof(ifindex)) != sizeof(ifindex))
		fprintf(stderr, "lguest: can't tell the macvtap's reaper: %m\n");
}

/*N:640
 * On the ordinary ways out (the guest powers off, a setup error, three
 * Ctrl-Cs) exit() runs this: we delete the macvtap ourselves, so it is
 * gone when our exit status is, and tell the reaper there is nothing left
 * to do.  Only signals that kill us leave the job to the reaper.
 */
static void macvtap_cleanup(void)
{
	if (made.ifindex) {
		link_delete(made.ifindex);
		tell_reaper(0);
		made.ifindex = 0;
	}
	if (made.reaper_pipe >= 0) {
		/* It sees end-of-file and exits: collect it, no zombie. */
		close(made.reaper_pipe);
		made.reaper_pipe = -1;
		waitpid(made.reaper, NULL, 0);
	}
}

/*
 * ip link add link LOWER name NAME address MAC type macvtap mode MODE.
 * The name is ours to pick, the first free lgmvtapN; NLM_F_EXCL makes the
 * kernel refuse one that is taken, so two launchers never share one.
 */
static int macvtap_create(const struct tunnet_config *config, int lower,
			  char ifname[IFNAMSIZ])
{
	union {
		struct nlmsghdr header;
		char bytes[512];
	} msg;
	struct rtattr *linkinfo, *data;
	struct ifinfomsg *ifi;
	int err = -EEXIST;

	for (unsigned int n = 0; n < 1000 && err == -EEXIST; n++) {
		memset(&msg, 0, sizeof(msg));
		msg.header.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
		msg.header.nlmsg_type = RTM_NEWLINK;
		msg.header.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
		ifi = NLMSG_DATA(&msg.header);
		ifi->ifi_family = AF_UNSPEC;
		snprintf(ifname, IFNAMSIZ, "lgmvtap%u", n);
		add_attr(&msg.header, sizeof(msg), IFLA_IFNAME, ifname,
			 strlen(ifname) + 1);
		add_attr(&msg.header, sizeof(msg), IFLA_LINK, &lower,
			 sizeof(lower));
		add_attr(&msg.header, sizeof(msg), IFLA_ADDRESS, config->mac, 6);
		linkinfo = add_attr(&msg.header, sizeof(msg), IFLA_LINKINFO,
				    NULL, 0);
		add_attr(&msg.header, sizeof(msg), IFLA_INFO_KIND, "macvtap",
			 sizeof("macvtap"));
		data = add_attr(&msg.header, sizeof(msg), IFLA_INFO_DATA,
				NULL, 0);
		add_attr(&msg.header, sizeof(msg), IFLA_MACVLAN_MODE,
			 &config->macvtap_mode, sizeof(config->macvtap_mode));
		end_nest(&msg.header, data);
		end_nest(&msg.header, linkinfo);
		err = netlink_request(&msg.header);
	}
	return err;
}

/* Why the kernel would not make the macvtap, in the user's terms. */
static void macvtap_create_failed(const struct tunnet_config *config,
				  int err)
{
	const char *arg = config->arg, *lower = config->lower;

	switch (-err) {
	case ENODEV:
		die("--tunnet=%s: no such interface", arg);
	case EOPNOTSUPP:
		die("--tunnet=%s: this kernel can't make a macvtap (load the macvtap module)",
		    arg);
	case EBUSY:
		die("--tunnet=%s: %s is busy: another device takes its frames (is it a bridge port?)",
		    arg, lower);
	case EINVAL:
		if (config->macvtap_mode == MACVLAN_MODE_PASSTHRU)
			die("--tunnet=%s: %s already has a macvlan or macvtap (passthru needs %s to itself)",
			    arg, lower, lower);
		die("--tunnet=%s: can't make a macvtap on %s: %s (has a passthru macvlan or macvtap taken it?)",
		    arg, lower, strerror(-err));
	}
	die("--tunnet=%s: can't make a macvtap on %s: %s", arg, lower,
	    strerror(-err));
}

/*N:650
 * The macvtap's character device is /dev/tapN, N its interface index;
 * devtmpfs makes the node as the interface appears.  Without devtmpfs we
 * make it from the device number sysfs gives, and remove it again once
 * our queues are open, leaving nothing behind.  A node already there is
 * used only if it really is this macvtap's device.
 */
static void macvtap_open_queues(const struct tunnet_config *config,
				const char ifname[IFNAMSIZ], int ifindex,
				int fds[], unsigned int nqueues)
{
	char path[32], attr[32], number[32];
	const char *what;
	unsigned int major, minor;
	bool made_node = false;
	struct stat st;
	dev_t dev;

	snprintf(attr, sizeof(attr), "tap%d/dev", ifindex);
	if (!read_net_attr(ifname, attr, number, sizeof(number)) ||
	    sscanf(number, "%u:%u", &major, &minor) != 2)
		die("--tunnet=%s: %s has no character device (/sys/class/net/%s/%s)",
		    config->arg, ifname, ifname, attr);
	dev = makedev(major, minor);
	snprintf(path, sizeof(path), "/dev/tap%d", ifindex);
	if (stat(path, &st) < 0) {
		if (mknod(path, S_IFCHR | 0600, dev) < 0)
			die("--tunnet=%s: no %s, and can't make it: %m",
			    config->arg, path);
		made_node = true;
	} else if (!S_ISCHR(st.st_mode) || st.st_rdev != dev) {
		die("--tunnet=%s: %s is not %s's device (%u:%u)", config->arg,
		    path, ifname, major, minor);
	}
	for (unsigned int q = 0; q < nqueues; q++) {
		char name[IFNAMSIZ] = "";

		fds[q] = open_queue(path, name, nqueues > 1, &what);
		if (fds[q] < 0) {
			if (made_node)
				unlink(path);
			die("--tunnet=%s: %s on %s (queue %u): %s", config->arg,
			    what, path, q, strerror(-fds[q]));
		}
	}
	if (made_node)
		unlink(path);
}

/*N:660
 * The macvtap, step by step: the reaper first, then the interface (with
 * the guest's MAC, so that frames for the guest reach it), its index
 * straight to the reaper, the queues, and up it goes.  Every die() from
 * here on leaves through exit() and so through macvtap_cleanup().
 */
static void macvtap_setup(const struct tunnet_config *config,
			  char ifname[IFNAMSIZ], int fds[],
			  unsigned int nqueues)
{
	char mac[18];
	int lower, err;

	lower = if_nametoindex(config->lower);
	if (!lower)
		die("--tunnet=%s: no such interface", config->arg);
	start_reaper(config->arg);
	atexit(macvtap_cleanup);
	err = macvtap_create(config, lower, ifname);
	if (err)
		macvtap_create_failed(config, err);
	made.ifindex = if_nametoindex(ifname);
	if (!made.ifindex)
		die("--tunnet=%s: macvtap %s vanished: %m", config->arg, ifname);
	tell_reaper(made.ifindex);

	macvtap_open_queues(config, ifname, made.ifindex, fds, nqueues);
	err = link_up(made.ifindex, 0);
	if (err == -EADDRINUSE) {
		tunnet_format_mac(config->mac, mac);
		die("--tunnet=%s: the guest's MAC %s is already in use on %s",
		    config->arg, mac, config->lower);
	}
	if (err)
		die("--tunnet=%s: can't bring %s up: %s", config->arg, ifname,
		    strerror(-err));
}

void tunnet_open_queues(const struct tunnet_config *config,
			char ifname[IFNAMSIZ], int fds[], unsigned int nqueues)
{
	if (!nqueues || nqueues > TUNNET_MAX_QUEUES)
		die("--tunnet: %u queues (1 to %u)", nqueues,
		    TUNNET_MAX_QUEUES);
	if (config->macvtap)
		macvtap_setup(config, ifname, fds, nqueues);
	else if (config->existing)
		existing_tap_open_queues(config, ifname, fds, nqueues);
	else
		tap_open_queues(config, ifname, fds, nqueues);
}

int tunnet_open(const struct tunnet_config *config, char ifname[IFNAMSIZ])
{
	int fd;

	tunnet_open_queues(config, ifname, &fd, 1);
	return fd;
}
