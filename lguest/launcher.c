// SPDX-License-Identifier: GPL-2.0
/*P:010
 * This is lguest, a small hypervisor for x86-64 Linux, and these numbered
 * comments are a tour of it.  Read them in order (`make journey` prints
 * them as build/journey.txt, each under the file and line it sits on) and
 * you will know how a guest kernel is loaded, run, given devices and put
 * on a network, from the command line down to the world switch and back.
 * The tour follows a guest through its life:
 *
 *  1. The launcher (L:010), the program you run.  It reads the command
 *     line, makes the guest's memory, loads a Linux bzImage into it as a
 *     bootloader would, and runs the guest's CPU in a loop.
 *  2. The host (H:005): lg.ko behind /dev/lguest, which is what runs when
 *     that loop asks for the guest to run.  AMD SVM switches the CPU into
 *     the guest and back, nested paging gives it memory, we emulate its
 *     interrupt controller and timer in the kernel, and nothing the guest
 *     does may reach the host.
 *  3. Many CPUs (H:700): a local APIC in every CPU, the I/O APIC, the
 *     interrupts CPUs send each other, and how a second CPU starts.
 *  4. The devices (L:500): virtio-mmio, how the guest finds its console,
 *     disk and entropy source, and hands them work in rings.
 *  5. The rings (R:010): the virtio split ring, walked in one place for
 *     everyone, and vringfd, a file descriptor that hands a ring in user
 *     memory to a consumer in the kernel.
 *  6. The network (N:010): tun_vring joins a guest's network rings to a
 *     tap inside the host kernel, so that the launcher moves no packet.
 *  7. The ending (E:010): what you have learnt, and where to go next.
 *
 * Stops refer to each other by number ("see R:060"), and every chapter
 * ends by saying where the next one starts.  You need C, and a rough idea
 * of what a page table and an interrupt are; the rest is explained where
 * it is first used.
 */

/*L:010
 * The launcher: the program you run to start a guest.
 *
 *	lguest [options] <mem> <bzImage> [kernel arguments...]
 *
 * A hypervisor is less magic than it sounds.  The kernel part (lg.ko
 * behind /dev/lguest, or KVM behind /dev/kvm) knows how to run the guest's
 * instructions on the real CPU and how to stop when the guest does
 * something it cannot let it do on its own.  Everything else is this
 * program: it makes the guest's memory, puts a kernel in it, builds the
 * little bit of a PC that the guest's drivers talk to (a serial port and
 * virtio devices), and then sits in a loop running the guest's CPU and
 * doing what the guest asked for each time it comes back.
 *
 * This file holds main(), the command line and that loop.  The chapter
 * goes from here to mem.c (memory), boot.c (loading the kernel) and
 * mptable.c (telling a guest with several CPUs about them), uart.c (the
 * first device), the CPU backends behind cpu.h (cpu_kvm.c and
 * cpu_lguest.c) and io.c (the I/O thread), and comes back here for the
 * loop itself (L:430) and the threads that run it, one per CPU (L:445).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "launcher.h"
#include "tunnet.h"
#include "virtio_mmio.h"
#include "virtio_strict.h"

bool verbose;
struct cpu *the_cpu;
/* Until the guest runs, an error is most likely a usage error. */
static bool setting_up = true;

static const char usage_text[] =
"Usage: lguest [options] <mem> <bzImage> [kernel arguments...]\n"
"\n"
"Boot the x86-64 Linux kernel <bzImage> in a guest with <mem> of RAM:\n"
"a number of MiB (64) or with a suffix (64m, 1g); 16m to 3g.\n"
"The guest's console is this terminal; kernel arguments are appended to\n"
"the guest's command line.\n"
"\n"
"options (anywhere before a lone --):\n"
"  --initrd=FILE       load FILE as the initial ramdisk\n"
"  --block=FILE[,ro]   a virtio block device backed by FILE\n"
"  --block-ro=FILE     the same, read-only\n"
"  --rng               a virtio entropy device (hwrng)\n"
"  --tunnet=IP[:MAC]   a virtio network card on a new tap device whose\n"
"                      host side gets IP/24; the guest gets IP + 1\n"
"                      (lguest.ip=, unless the kernel arguments give one)\n"
"  --tunnet=bridge:BR[:MAC]\n"
"                      the same, with the tap in the existing bridge BR\n"
"  --tunnet=tap:NAME[:MAC]\n"
"                      a network card on the existing tap NAME, left as\n"
"                      it is: the way without root, on a tap root made\n"
"                      for you (ip tuntap add NAME mode tap user $USER\n"
"                      vnet_hdr multi_queue; ip link set NAME up)\n"
"  --tunnet=macvtap:IFACE[:MODE][:MAC]\n"
"                      a macvtap on the Ethernet interface IFACE instead\n"
"                      of a tap: the guest joins IFACE's network and gets\n"
"                      no address from us (give lguest.ip=); MODE is\n"
"                      bridge (the default), vepa, private or passthru;\n"
"                      the macvtap is deleted when lguest ends\n"
"  --net-backend=vring|copy|vhost\n"
"                      vring (the default): the kernel moves packets\n"
"                      between the guest's rings and the tap (needs\n"
"                      vringfd.ko and tun_vring.ko); copy: the launcher\n"
"                      does, with readv/writev; vhost: Linux's vhost-net\n"
"                      does (needs vhost_net.ko)\n"
"  --net-rx-offloads=none|csum|mrg|tso\n"
"                      what the card offers for frames to the guest:\n"
"                      none, unfinished checksums (csum), and frames\n"
"                      over several buffers (mrg), and 64 KiB TCP\n"
"                      segments (tso, the default on vring and vhost;\n"
"                      copy has csum and takes no more)\n"
"  --net-coalesce=USECS\n"
"                      vring backend: at most one receive interrupt per\n"
"                      USECS microseconds while packets keep coming\n"
"                      (0 to 1000000, default 250; 0: one per batch)\n"
"  --net-busy-poll=USECS\n"
"                      vring and vhost backends: watch a ring that ran\n"
"                      dry for up to USECS microseconds before asking\n"
"                      the guest to kick again (0 to 1000000, default 0)\n"
"  --queues=N          N queue pairs (1 to 8) on the network card, on a\n"
"                      multiqueue tap: the guest uses one until told\n"
"                      otherwise (ethtool -L eth0 combined N)\n"
"  --console=serial|virtio\n"
"                      the guest's console on this terminal: the serial\n"
"                      port ttyS0 (the default), or a virtio console,\n"
"                      hvc0 (console=hvc0 is added to the command line;\n"
"                      the serial port's output is shown until hvc0 starts)\n"
"  --hv=lguest|kvm     run the guest on /dev/lguest (lg.ko, the default)\n"
"                      or on /dev/kvm\n"
"  --cpus=N            N virtual CPUs (1 to 8, default 1); with more than\n"
"                      one, each has a local APIC and devices interrupt\n"
"                      through an I/O APIC (MP table)\n"
"  --apic              the same local APIC and I/O APIC for a guest with\n"
"                      one CPU, which otherwise has the 8259 PIC alone\n"
"  --virtio-strict[=fatal]\n"
"                      judge the guest's virtio drivers against virtio 1.2:\n"
"                      one line per statement a driver breaks (section,\n"
"                      id, device, queue, the guest's RIP), a summary at\n"
"                      exit and exit status 4; fatal: stop the guest at\n"
"                      the first one.  The network card then runs on the\n"
"                      copy backend (the kernel backends' rings are out\n"
"                      of the launcher's sight)\n"
"  --user=USER         started as root: become USER (a name, UID or\n"
"                      UID:GID) once the devices are open, before the\n"
"                      guest runs\n"
"  --chroot=DIR        started as root: make DIR the launcher's / at the\n"
"                      same moment (the vring and vhost backends need\n"
"                      their device nodes in DIR/dev)\n"
"  -v, --verbose       say what is loaded where, and exit statistics\n"
"  -h, --help          this text\n"
"\n"
"Press Ctrl-C three times within a second to stop the guest.\n"
"The guest can end itself with its exit code by writing a byte to I/O\n"
"port 0xf4 (lguest-exit in the guest).\n"
"\n"
"exit status:\n"
"  0    the guest powered off (halted with interrupts off)\n"
"  1    a usage or setup error\n"
"  2    the hypervisor killed the guest (the reason is printed)\n"
"  3    the guest rebooted (a triple fault; also a panic, with panic=-1)\n"
"  4    --virtio-strict: a driver broke a rule (whatever way the guest\n"
"       ended; the summary says which)\n"
"  N    the guest wrote N to port 0xf4\n"
"  130  three Ctrl-Cs\n";

static void print_message(const char *fmt, va_list ap)
{
	terminal_restore();
	fflush(stdout);
	fprintf(stderr, "lguest: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_message(fmt, ap);
	va_end(ap);
	if (setting_up)
		fprintf(stderr, "Try 'lguest --help' for more information.\n");
	exit(LGUEST_STATUS_ERROR);
}

/*
 * The end of the guest.  May be called from the I/O thread (three
 * Ctrl-Cs); exit() takes the whole process down with it.
 */
void launcher_exit(int status)
{
	status = virtio_strict_finish(stderr, status);
	if (verbose && the_cpu)
		the_cpu->ops->print_stats(the_cpu, stderr);
	if (verbose) {
		virtio_print_stats(stderr);
		uart_print_stats(stderr);
	}
	terminal_restore();
	fflush(stdout);
	exit(status);
}

/*L:020
 * Devices claim ranges of the port space and of the physical address
 * space above RAM.  There are only a handful, so a list searched in order
 * is all the "bus" we need.
 */
struct io_region {
	uint64_t base, len;
	const struct mmio_ops *ops;
	void *opaque;
};

#define MAX_REGIONS 32
static struct io_region pio_regions[MAX_REGIONS], mmio_regions[MAX_REGIONS];
static unsigned int nr_pio, nr_mmio;

static int add_region(struct io_region *regions, unsigned int *nr,
		      uint64_t base, uint64_t len, const struct mmio_ops *ops,
		      void *opaque)
{
	unsigned int i;

	if (*nr == MAX_REGIONS || !len || base + len < base)
		return -1;
	for (i = 0; i < *nr; i++)
		if (base < regions[i].base + regions[i].len &&
		    regions[i].base < base + len)
			return -1;	/* overlaps a region already claimed */
	regions[(*nr)++] = (struct io_region){ base, len, ops, opaque };
	return 0;
}

int pio_register(uint16_t base, uint16_t len, const struct mmio_ops *ops,
		 void *opaque)
{
	return add_region(pio_regions, &nr_pio, base, len, ops, opaque);
}

int mmio_register(uint64_t base, uint64_t len, const struct mmio_ops *ops,
		  void *opaque)
{
	return add_region(mmio_regions, &nr_mmio, base, len, ops, opaque);
}

static struct io_region *find_region(struct io_region *regions,
				     unsigned int nr, uint64_t addr,
				     unsigned int len)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (addr >= regions[i].base &&
		    addr + len <= regions[i].base + regions[i].len)
			return &regions[i];
	return NULL;
}

void irq_pulse(unsigned int line)
{
	if (the_cpu && the_cpu->ops->irq_line(the_cpu, line, 2) < 0)
		die("raising interrupt line %u: %m", line);
}

void irq_set_level(unsigned int line, int level)
{
	if (the_cpu && the_cpu->ops->irq_line(the_cpu, line, !!level) < 0)
		die("setting interrupt line %u: %m", line);
}

int notify_bind(uint64_t addr, uint32_t datamatch, int fd)
{
	return the_cpu->ops->bind_ioeventfd(the_cpu, addr, 4, fd, true,
					    datamatch);
}

int irq_bind(int fd, unsigned int line, uint64_t isr_addr)
{
	return the_cpu->ops->bind_irqfd(the_cpu, fd, line, isr_addr);
}

/*L:410
 * Port I/O.  Most ports are nobody's: reads of an empty ISA bus float
 * high (all ones), writes vanish, and Linux's probes take that for "no
 * device here".  Two ports are special.  0x64 is the keyboard
 * controller's command port, and 0xfe written there pulses the CPU's reset
 * line: PCs have rebooted that way since the AT.  And 0xf4, where we
 * put an exit door for the guest: whatever it writes there becomes our
 * exit status, which is how a test in the guest tells the world outside
 * whether it passed.
 */
static void handle_io(struct cpu_exit *exit)
{
	struct io_region *region;
	uint16_t port = exit->io.port;

	if (exit->io.is_write && port == LGUEST_EXIT_PORT) {
		verbose_printf("guest wrote %u to the exit port\n",
			       exit->io.data & 0xff);
		launcher_exit(exit->io.data & 0xff);
	}
	if (exit->io.is_write && port == KBD_COMMAND_PORT &&
	    (exit->io.data & 0xff) == KBD_COMMAND_RESET) {
		fprintf(stderr, "lguest: guest rebooted (keyboard controller reset)\n");
		launcher_exit(LGUEST_STATUS_REBOOT);
	}
	region = find_region(pio_regions, nr_pio, port, exit->io.size);
	if (exit->io.is_write) {
		if (region)
			region->ops->write(region->opaque, port - region->base,
					   &exit->io.data, exit->io.size);
		return;
	}
	exit->io.data = 0xffffffff;
	if (region)
		region->ops->read(region->opaque, port - region->base,
				  &exit->io.data, exit->io.size);
}

/*L:420
 * MMIO: the guest touched an address above its RAM.  If a device claimed
 * it (virtio-mmio windows live at 0xfeb00000 and up), the device answers;
 * otherwise reads give all ones, as on a real bus with nothing there.
 */
static void handle_mmio(struct cpu_exit *exit)
{
	struct io_region *region;
	uint64_t addr = exit->mmio.addr;

	region = find_region(mmio_regions, nr_mmio, addr, exit->mmio.len);
	if (exit->mmio.is_write) {
		if (region)
			region->ops->write(region->opaque, addr - region->base,
					   exit->mmio.data, exit->mmio.len);
		else
			verbose_printf("write to %#llx: nothing there\n",
				       (unsigned long long)addr);
		return;
	}
	memset(exit->mmio.data, 0xff, sizeof(exit->mmio.data));
	if (region)
		region->ops->read(region->opaque, addr - region->base,
				  exit->mmio.data, exit->mmio.len);
}

void cpu_print_state(FILE *out, const struct cpu *cpu, unsigned int index,
		     uint64_t rip, uint64_t rsp, uint64_t rflags, uint64_t cr0,
		     uint64_t cr3, uint64_t cr4, uint64_t efer)
{
	char who[16] = "guest";

	if (cpu->nr_cpus > 1)
		snprintf(who, sizeof(who), "guest cpu %u", index);
	fprintf(out, "lguest: %s at rip %#llx rsp %#llx rflags %#llx (interrupts %s) cr0 %#llx cr3 %#llx cr4 %#llx efer %#llx\n",
		who, (unsigned long long)rip, (unsigned long long)rsp,
		(unsigned long long)rflags, rflags & 0x200 ? "on" : "off",
		(unsigned long long)cr0, (unsigned long long)cr3,
		(unsigned long long)cr4, (unsigned long long)efer);
}

/*L:435
 * A guest that seems stuck: where is it?  SIGUSR1 (`kill -USR1` of the
 * launcher) pulls the vCPUs out of the hypervisor like any signal, and
 * each vCPU's thread prints its registers before it goes back in; the
 * boot CPU's adds the exit counters and the devices' (the rings' kicks,
 * signals and batch sizes, L:528), as -v prints them at the end.  Two of
 * them a few seconds apart tell a guest spinning in a loop (the same RIP
 * or near it, and under QEMU's TCG exactly the same: it stops a loop only
 * at its start) from an idle one (halts count up).
 *
 * Only the boot CPU's thread takes SIGUSR1 (L:445); its handler counts a
 * generation and kicks every other vCPU thread with SIG_KICK, and each
 * thread prints once per generation.  A thread must read its own CPU's
 * registers: with KVM, another thread's request would wait for as long as
 * that vCPU stays in KVM_RUN, which for a CPU waiting for its start-up IPI
 * is for ever.  The generation is looked at before every RUN, not only
 * when one comes back with a signal: a signal that lands while we handle
 * an exit has already been taken, and RUN would not notice it.
 */
#define SIG_KICK	SIGUSR2

static volatile sig_atomic_t state_generation;
static pthread_t vcpu_threads[CPU_MAX];
static volatile sig_atomic_t nr_vcpu_threads;
static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;

static void state_signal(int sig)
{
	sig_atomic_t i;

	(void)sig;
	state_generation++;
	for (i = 1; i < nr_vcpu_threads; i++)
		pthread_kill(vcpu_threads[i], SIG_KICK);
}

static void kick_signal(int sig)
{
	(void)sig;
}

static void print_cpu_state(struct cpu *cpu, unsigned int index)
{
	pthread_mutex_lock(&print_lock);
	/* The guest's console may be in the middle of a line (a prompt). */
	if (index == 0)
		fputc('\n', stderr);
	cpu->ops->print_state(cpu, index, stderr);
	if (index == 0) {
		cpu->ops->print_stats(cpu, stderr);
		virtio_print_stats(stderr);
	}
	pthread_mutex_unlock(&print_lock);
}

/*L:430
 * The heart of the launcher: run a CPU until it needs us, do what it
 * needs, and run it again.  Timer ticks, interrupt delivery and HLT are
 * all handled in the kernel, so in a quiet guest this loop barely turns;
 * it wakes for the console, for device registers, and for the end.
 *
 * Every vCPU has its own thread running this loop (L:445), so two CPUs
 * may come back for a device at the same moment.  exit_lock makes their
 * device work take turns, the way QEMU's big lock does: the devices were
 * written for one vCPU thread beside the I/O thread, and their register
 * windows are slow paths anyway (packets go by eventfds and rings without
 * an exit, N:480).  A block request is the exception: it is served in
 * the exit of its notify (L:600), so a second CPU's device access waits
 * for the disk meanwhile.
 */
static pthread_mutex_t exit_lock = PTHREAD_MUTEX_INITIALIZER;

/* Which CPU this thread runs, for guest_rip(); -1 on other threads. */
static __thread int this_vcpu = -1;

bool guest_rip(uint64_t *rip)
{
	if (this_vcpu < 0 || !the_cpu)
		return false;
	return the_cpu->ops->get_rip(the_cpu, this_vcpu, rip) == 0;
}

static void run_vcpu(struct cpu *cpu, unsigned int index)
{
	sig_atomic_t seen = 0;
	struct cpu_exit exit;

	memset(&exit, 0, sizeof(exit));
	this_vcpu = index;
	for (;;) {
		if (seen != state_generation) {
			seen = state_generation;
			print_cpu_state(cpu, index);
		}
		if (cpu->ops->run(cpu, index, &exit) < 0)
			die("running the guest: %m");
		switch (exit.kind) {
		case CPU_EXIT_IO:
			pthread_mutex_lock(&exit_lock);
			handle_io(&exit);
			pthread_mutex_unlock(&exit_lock);
			break;
		case CPU_EXIT_MMIO:
			pthread_mutex_lock(&exit_lock);
			handle_mmio(&exit);
			pthread_mutex_unlock(&exit_lock);
			break;
		case CPU_EXIT_SIGNAL:
			break;
		case CPU_EXIT_HALT:
			verbose_printf("guest halted\n");
			launcher_exit(LGUEST_STATUS_OK);
		case CPU_EXIT_RESET:
			fprintf(stderr, "lguest: guest rebooted\n");
			/* Where it was: noise after `reboot`, a clue otherwise. */
			if (exit.reason[0])
				fprintf(stderr, "lguest: %s\n", exit.reason);
			launcher_exit(LGUEST_STATUS_REBOOT);
		case CPU_EXIT_KILLED:
			terminal_restore();
			fprintf(stderr, "lguest: guest killed: %s\n", exit.reason);
			launcher_exit(LGUEST_STATUS_KILLED);
		}
	}
}

struct vcpu_start {
	struct cpu *cpu;
	unsigned int index;
};

static void *vcpu_thread(void *arg)
{
	struct vcpu_start *start = arg;

	run_vcpu(start->cpu, start->index);
	return NULL;
}

/*L:445
 * A guest with several CPUs gets a thread for each; the boot CPU keeps
 * the main thread.  The others start at once, but their CPUs do not: the
 * hypervisor holds each in the state a real AP is in after reset, waiting
 * for the INIT and start-up IPIs with which the guest's boot CPU wakes it,
 * so its thread sits in RUN until then.  Those threads block every signal
 * but SIG_KICK, so that Ctrl-C, SIGALRM (L:330) and SIGUSR1 reach the
 * main thread, whose own vCPU is the one that ends the guest when it
 * halts for good.
 */
static void run_guest(struct cpu *cpu)
{
	static struct vcpu_start starts[CPU_MAX];
	sigset_t all, old;
	unsigned int i;

	setting_up = false;
	vcpu_threads[0] = pthread_self();
	sigfillset(&all);
	sigdelset(&all, SIG_KICK);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 1; i < cpu->nr_cpus; i++) {
		starts[i] = (struct vcpu_start){ cpu, i };
		if (pthread_create(&vcpu_threads[i], NULL, vcpu_thread,
				   &starts[i]))
			die("cannot start the thread of CPU %u", i);
		pthread_detach(vcpu_threads[i]);
	}
	nr_vcpu_threads = cpu->nr_cpus;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	run_vcpu(cpu, 0);
}

/*L:490
 * That is the launcher's half of a guest's life: its RAM mapped, the
 * kernel, command line and zero page in place, the CPU's registers set as
 * the boot protocol wants, and the loop above running the CPU until the
 * guest needs us.  You now know how a guest is loaded and what the
 * launcher does each time it comes back.  Next, what happens in between:
 * inside LHREQ_RUN, lg.ko switches the CPU into the guest and back.  The
 * host chapter starts where the two meet, at /dev/lguest's interface
 * (H:005).
 */

/*L:030
 * The command line.  Options may come anywhere before a lone "--" (so
 * `lguest 64m bzImage --initrd=FILE quiet` works); the first two other
 * words are the memory size and the kernel, and the rest are kernel
 * arguments.  Every mistake ends here with one line saying what was
 * wrong, a hint, and exit status 1.
 */
struct options {
	uint64_t mem_size;
	struct boot_config boot;
	const char *hypervisor;
	unsigned int nr_cpus;
	bool apic;			/* --apic */
	const char *blocks[8];
	bool block_ro[8];
	unsigned int nr_blocks;
	bool rng;
	bool virtio_console;
	const char *tunnet;
	struct tunnet_config net;
	enum net_backend net_backend;
	bool net_backend_given;
	enum virtio_strict_mode strict;	/* --virtio-strict */
	unsigned int net_queues;	/* --queues, 0 if not given */
	int net_coalesce;		/* --net-coalesce, -1 if not given */
	int net_busy_poll;		/* --net-busy-poll, -1 if not given */
	int net_rx_offloads;		/* --net-rx-offloads, -1 if not given */
	const char *user;		/* --user, or NULL */
	uid_t uid;
	gid_t gid;
	const char *chroot_dir;		/* --chroot, or NULL */
};

/*L:090
 * --user and --chroot, as the original lguest had them: started as root
 * (which opening /dev/net/tun to make a tap, or a bridge port, needs),
 * the launcher opens everything it needs, then gives root up before the
 * guest runs a single instruction: it moves into DIR, which becomes its
 * /, and becomes USER, which takes every capability with it.  A guest
 * that found a way to make the launcher do its bidding would then find
 * an ordinary user in an empty directory.
 *
 * Two things are opened later, when the guest's network driver starts
 * (and again after each reset): the vring backend's /dev/vring and
 * /dev/tun_vring, the vhost backend's /dev/vhost-net.  Inside DIR those
 * must be there as device nodes, which an administrator makes once (the
 * modules' fixed minors make that possible); we check at the start and
 * say how, rather than fail when the guest's driver loads.
 *
 * USER is a name from /etc/passwd (read here, before the chroot; the
 * launcher is static, and glibc's name service would want its shared
 * libraries) or a number, UID or UID:GID.
 */
static void parse_user(const char *arg, uid_t *uid, gid_t *gid)
{
	unsigned long u, g;
	char line[512], *end;
	FILE *f;

	errno = 0;
	u = strtoul(arg, &end, 10);
	if (end != arg && !errno && u <= UINT32_MAX - 1) {
		g = u;
		if (*end == ':')
			g = strtoul(end + 1, &end, 10);
		if (*end || errno || g > UINT32_MAX - 1)
			die("--user=%s: want a user name, UID or UID:GID", arg);
		*uid = u;
		*gid = g;
		return;
	}
	f = fopen("/etc/passwd", "re");
	while (f && fgets(line, sizeof(line), f)) {
		/* strsep, not strtok: an empty password field is a field. */
		char *rest = line, *name = strsep(&rest, ":");
		char *pw = strsep(&rest, ":"), *us = strsep(&rest, ":");
		char *gs = strsep(&rest, ":");

		if (!pw || !us || !gs || strcmp(name, arg))
			continue;
		*uid = strtoul(us, NULL, 10);
		*gid = strtoul(gs, NULL, 10);
		fclose(f);
		return;
	}
	if (f)
		fclose(f);
	die("--user=%s: no such user in /etc/passwd", arg);
}

/* A device node DIR/dev/NAME with the numbers the real one has. */
static void confinement_node(const char *dir, const char *name,
			     const char *why)
{
	char inside[PATH_MAX], outside[64];
	struct stat in, out;

	snprintf(inside, sizeof(inside), "%s/dev/%s", dir, name);
	snprintf(outside, sizeof(outside), "/dev/%s", name);
	if (stat(outside, &out) || !S_ISCHR(out.st_mode))
		return;		/* the device check later says what is missing */
	if (stat(inside, &in) || !S_ISCHR(in.st_mode) || in.st_rdev != out.st_rdev)
		die("--chroot=%s: %s opens /dev/%s when the guest's driver starts, so %s must be that device (as root: mkdir -p %s/dev && mknod -m 0666 %s c %u %u)",
		    dir, why, name, inside, dir, inside, major(out.st_rdev),
		    minor(out.st_rdev));
}

static void confinement_check(const struct options *opts)
{
	struct stat st;

	if ((opts->user || opts->chroot_dir) && geteuid())
		die("--user and --chroot are for a launcher started as root (it gives root up once the devices are open)");
	if (!opts->chroot_dir)
		return;
	if (stat(opts->chroot_dir, &st) || !S_ISDIR(st.st_mode))
		die("--chroot=%s: not a directory", opts->chroot_dir);
	if (!opts->tunnet)
		return;
	if (opts->net_backend == NET_BACKEND_VRING) {
		confinement_node(opts->chroot_dir, "vring", "the vring backend");
		confinement_node(opts->chroot_dir, "tun_vring", "the vring backend");
	} else if (opts->net_backend == NET_BACKEND_VHOST) {
		confinement_node(opts->chroot_dir, "vhost-net", "the vhost backend");
	}
}

/* Into DIR, then USER: every device is open, the guest not yet run. */
static void confine(const struct options *opts)
{
	if (opts->chroot_dir &&
	    (chroot(opts->chroot_dir) || chdir("/")))
		die("--chroot=%s: %m", opts->chroot_dir);
	if (opts->user &&
	    (setgroups(1, &opts->gid) || setgid(opts->gid) ||
	     setuid(opts->uid)))
		die("--user=%s: %m", opts->user);
	if (opts->user && (setuid(0) == 0 || getuid() != opts->uid))
		die("--user=%s: root could not be given up", opts->user);
	if (opts->user || opts->chroot_dir)
		verbose_printf("confined:%s%s%s%s (uid %u)\n",
			       opts->chroot_dir ? " root " : "",
			       opts->chroot_dir ? opts->chroot_dir : "",
			       opts->user ? ", user " : "",
			       opts->user ? opts->user : "", (unsigned int)getuid());
}

static uint64_t parse_mem(const char *arg)
{
	unsigned long long n;
	uint64_t shift = 20;
	char *end;

	errno = 0;
	n = strtoull(arg, &end, 10);
	if (end == arg || errno || arg[0] == '-')
		die("bad memory size '%s' (try 64m or 1g)", arg);
	if (*end == 'm' || *end == 'M')
		end++;
	else if (*end == 'g' || *end == 'G')
		shift = 30, end++;
	if (*end)
		die("bad memory size '%s' (try 64m or 1g)", arg);
	if (n > (GUEST_MEM_MAX >> shift) || (n << shift) > GUEST_MEM_MAX)
		die("memory size %s is too large (at most 3g)", arg);
	if ((n << shift) < GUEST_MEM_MIN)
		die("memory size %s is too small (at least 16m)", arg);
	return n << shift;
}

/*
 * A number option, OPT=ARG: a plain decimal from min to max, or one line
 * saying what was wanted ("--cpus=9: want a number of CPUs from 1 to 8").
 */
static unsigned long parse_count(const char *opt, const char *arg,
				 const char *what, unsigned long min,
				 unsigned long max)
{
	unsigned long n;
	char *end;

	errno = 0;
	n = strtoul(arg, &end, 10);
	if (end == arg || *end || errno || arg[0] < '0' || arg[0] > '9' ||
	    n < min || n > max)
		die("%s=%s: want %s from %lu to %lu", opt, arg, what, min, max);
	return n;
}

static void add_block(struct options *opts, const char *arg, bool ro)
{
	size_t len = strlen(arg);

	if (opts->nr_blocks == 8)
		die("too many block devices (at most 8)");
	if (len > 3 && !strcmp(arg + len - 3, ",ro")) {
		char *path = strndup(arg, len - 3);

		if (!path)
			die("out of memory");
		arg = path;
		ro = true;
	}
	if (!*arg)
		die("--block needs a file name");
	opts->blocks[opts->nr_blocks] = arg;
	opts->block_ro[opts->nr_blocks++] = ro;
}

static char *join_args(char **args, int n)
{
	size_t len = 1;
	char *s;
	int i;

	for (i = 0; i < n; i++)
		len += strlen(args[i]) + 1;
	s = calloc(1, len);
	if (!s)
		die("out of memory");
	for (i = 0; i < n; i++) {
		strcat(s, args[i]);
		if (i + 1 < n)
			strcat(s, " ");
	}
	return s;
}

/*L:735
 * Strict mode judges what the driver does with its rings, so the rings
 * must be walked where we can see them.  The vring and vhost backends
 * hand the network card's rings to the kernel, whose walker we cannot
 * watch: so in strict mode the card runs on the copy backend, said in one
 * line, and asking for a kernel backend as well is a usage error.
 */
static void strict_network(struct options *opts)
{
	if (opts->strict == VIRTIO_STRICT_OFF || !opts->tunnet)
		return;
	if (opts->net_backend_given && opts->net_backend != NET_BACKEND_COPY)
		die("--virtio-strict needs --net-backend=copy: the %s backend walks the rings in the kernel, where the launcher cannot judge them",
		    net_backend_name(opts->net_backend));
	if (!opts->net_backend_given)
		fprintf(stderr, "lguest: virtio-strict: the network card uses the copy backend (the kernel backends walk the rings out of the launcher's sight)\n");
	opts->net_backend = NET_BACKEND_COPY;
}

static void parse_args(int argc, char **argv, struct options *opts)
{
	enum { OPT_INITRD = 256, OPT_BLOCK, OPT_BLOCK_RO, OPT_RNG, OPT_HV,
	       OPT_CONSOLE, OPT_TUNNET, OPT_NET_BACKEND, OPT_QUEUES,
	       OPT_NET_COALESCE, OPT_CPUS, OPT_APIC, OPT_NET_RX_OFFLOADS,
	       OPT_NET_BUSY_POLL, OPT_VIRTIO_STRICT, OPT_USER, OPT_CHROOT };
	static const struct option long_opts[] = {
		{ "initrd", required_argument, NULL, OPT_INITRD },
		{ "block", required_argument, NULL, OPT_BLOCK },
		{ "block-ro", required_argument, NULL, OPT_BLOCK_RO },
		{ "rng", no_argument, NULL, OPT_RNG },
		{ "hv", required_argument, NULL, OPT_HV },
		{ "cpus", required_argument, NULL, OPT_CPUS },
		{ "apic", no_argument, NULL, OPT_APIC },
		{ "console", required_argument, NULL, OPT_CONSOLE },
		{ "tunnet", required_argument, NULL, OPT_TUNNET },
		{ "net-backend", required_argument, NULL, OPT_NET_BACKEND },
		{ "queues", required_argument, NULL, OPT_QUEUES },
		{ "net-coalesce", required_argument, NULL, OPT_NET_COALESCE },
		{ "net-busy-poll", required_argument, NULL, OPT_NET_BUSY_POLL },
		{ "net-rx-offloads", required_argument, NULL, OPT_NET_RX_OFFLOADS },
		{ "virtio-strict", optional_argument, NULL, OPT_VIRTIO_STRICT },
		{ "user", required_argument, NULL, OPT_USER },
		{ "chroot", required_argument, NULL, OPT_CHROOT },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	opts->hypervisor = "lguest";
	while ((c = getopt_long(argc, argv, "vh", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_INITRD:
			opts->boot.initrd = optarg;
			break;
		case OPT_BLOCK:
			add_block(opts, optarg, false);
			break;
		case OPT_BLOCK_RO:
			add_block(opts, optarg, true);
			break;
		case OPT_RNG:
			opts->rng = true;
			break;
		case OPT_HV:
			if (strcmp(optarg, "lguest") && strcmp(optarg, "kvm"))
				die("unknown hypervisor '%s' (--hv=lguest or --hv=kvm)",
				    optarg);
			opts->hypervisor = optarg;
			break;
		case OPT_CONSOLE:
			if (strcmp(optarg, "serial") && strcmp(optarg, "virtio"))
				die("unknown console '%s' (--console=serial or --console=virtio)",
				    optarg);
			opts->virtio_console = !strcmp(optarg, "virtio");
			break;
		case OPT_TUNNET:
			/* Say which two, when it is more than a typo. */
			if (opts->tunnet && (opts->net.macvtap ||
					     !strncmp(optarg, "macvtap:", 8)))
				die("only one --tunnet (--tunnet=%s and --tunnet=%s given)",
				    opts->tunnet, optarg);
			if (opts->tunnet)
				die("only one --tunnet");
			tunnet_parse(optarg, &opts->net);
			opts->tunnet = optarg;
			break;
		case OPT_NET_BACKEND:
			opts->net_backend_given = true;
			if (!strcmp(optarg, "vring"))
				opts->net_backend = NET_BACKEND_VRING;
			else if (!strcmp(optarg, "copy"))
				opts->net_backend = NET_BACKEND_COPY;
			else if (!strcmp(optarg, "vhost"))
				opts->net_backend = NET_BACKEND_VHOST;
			else
				die("unknown network backend '%s' (--net-backend=vring, copy or vhost)",
				    optarg);
			break;
		case OPT_QUEUES:
			/* N:700 has why at most 8. */
			opts->net_queues = parse_count("--queues", optarg,
							"a number of queue pairs",
							1, LGUEST_NET_MAX_PAIRS);
			break;
		case OPT_CPUS:
			/* L:195 and L:445. */
			opts->nr_cpus = parse_count("--cpus", optarg,
						    "a number of CPUs", 1,
						    CPU_MAX);
			break;
		case OPT_APIC:
			opts->apic = true;
			break;
		case OPT_NET_RX_OFFLOADS: {
			int level;

			for (level = NET_RX_OFFLOADS_NONE;
			     level <= NET_RX_OFFLOADS_TSO; level++)
				if (!strcmp(optarg, net_rx_offloads_name(level)))
					break;
			if (level > NET_RX_OFFLOADS_TSO)
				die("unknown receive offloads '%s' (--net-rx-offloads=none, csum, mrg or tso)",
				    optarg);
			opts->net_rx_offloads = level;
			break;
		}
		case OPT_NET_COALESCE:
			/* tun_vring's N:235 says what it does. */
			opts->net_coalesce = parse_count("--net-coalesce",
							 optarg, "microseconds",
							 0, LGUEST_NET_COALESCE_MAX);
			break;
		case OPT_NET_BUSY_POLL:
			/* tun_vring's N:125. */
			opts->net_busy_poll = parse_count("--net-busy-poll",
							  optarg, "microseconds",
							  0, LGUEST_NET_BUSY_POLL_MAX);
			break;
		case OPT_VIRTIO_STRICT:
			if (!optarg)
				opts->strict = VIRTIO_STRICT_REPORT;
			else if (!strcmp(optarg, "fatal"))
				opts->strict = VIRTIO_STRICT_FATAL;
			else
				die("unknown --virtio-strict mode '%s' (--virtio-strict or --virtio-strict=fatal)",
				    optarg);
			break;
		case OPT_USER:
			opts->user = optarg;
			parse_user(optarg, &opts->uid, &opts->gid);
			break;
		case OPT_CHROOT:
			opts->chroot_dir = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(LGUEST_STATUS_OK);
		case ':':
			die("option %s needs a value", argv[optind - 1]);
		default:
			if (optopt)
				die("unknown option '-%c'", optopt);
			die("unknown option '%s'", argv[optind - 1]);
		}
	}
	strict_network(opts);
	confinement_check(opts);
	if (opts->net_queues && !opts->tunnet)
		die("--queues needs --tunnet");
	if (opts->net_coalesce >= 0 &&
	    (!opts->tunnet || opts->net_backend != NET_BACKEND_VRING))
		die("--net-coalesce needs --tunnet on the vring backend");
	if (opts->net_rx_offloads >= 0 && !opts->tunnet)
		die("--net-rx-offloads needs --tunnet");
	if (opts->net_busy_poll >= 0 &&
	    (!opts->tunnet || opts->net_backend == NET_BACKEND_COPY))
		die("--net-busy-poll needs --tunnet on the vring or vhost backend");
	/* N:445 says why. */
	if (opts->net_rx_offloads > NET_RX_OFFLOADS_CSUM &&
	    opts->net_backend == NET_BACKEND_COPY)
		die("--net-rx-offloads=%s needs the vring or vhost backend (the copy backend takes a frame into one buffer)",
		    net_rx_offloads_name(opts->net_rx_offloads));
	if (argc - optind < 2)
		die("need a memory size and a kernel");
	opts->mem_size = parse_mem(argv[optind]);
	opts->boot.kernel = argv[optind + 1];
	opts->boot.user_args = join_args(argv + optind + 2, argc - optind - 2);
}

/*L:060
 * A Ctrl-C that reaches us as a signal (stdin is not a terminal, or it
 * came from kill) ends the launcher the usual way, but not before the
 * terminal has its settings back.  SIGPIPE is ignored: a guest whose
 * console nobody reads any more can go on running.
 */
static void fatal_signal(int sig)
{
	terminal_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void setup_signals(void)
{
	signal(SIGINT, fatal_signal);
	signal(SIGTERM, fatal_signal);
	signal(SIGHUP, fatal_signal);
	signal(SIGPIPE, SIG_IGN);
	/* No SA_RESTART: the vCPU's RUN must come back to us (L:435). */
	sigaction(SIGUSR1, &(struct sigaction){ .sa_handler = state_signal },
		  NULL);
	sigaction(SIG_KICK, &(struct sigaction){ .sa_handler = kick_signal },
		  NULL);
}

/*L:070
 * Devices.  The UART always exists; the virtio devices are what the user
 * asked for.  Each takes the next virtio-mmio window and interrupt line
 * and announces itself on the kernel command line, which is why they are
 * made before the kernel is loaded.
 *
 * A virtio console (--console=virtio) comes first, so it is always the
 * first virtio device (0xfeb00000, IRQ 5).  "console=hvc0" after our
 * "console=ttyS0" makes hvc0 the guest's /dev/console, where init and its
 * shell talk.  The kernel's messages go to both; the UART's reach the
 * terminal until hvc0 starts writing, and hvc0's after that (uart.c).
 */
/*N:500
 * --tunnet: the tap first (tunnet.c), then the card on it.  The guest's
 * init (guest/initramfs/init) takes its address from lguest.ip= on the
 * command line; a user who gives lguest.ip= among the kernel arguments
 * wins, since we then add none.  A bridged tap gets no address from us:
 * the bridge's network decides; nor does a tap that existed before us.
 */
static void create_network(struct guest_mem *mem, const struct options *opts)
{
	char ifname[IFNAMSIZ], mac[18], guest_ip[INET_ADDRSTRLEN], mq[32] = "";
	unsigned int pairs = opts->net_queues ? opts->net_queues : 1;
	int taps[LGUEST_NET_MAX_PAIRS];

	if (opts->net_backend == NET_BACKEND_VRING &&
	    (access("/dev/vring", R_OK | W_OK) ||
	     access("/dev/tun_vring", R_OK | W_OK)))
		die("--net-backend=vring needs /dev/vring and /dev/tun_vring (load vringfd.ko and tun_vring.ko, or use --net-backend=copy)");
	if (opts->net_backend == NET_BACKEND_VHOST &&
	    access("/dev/vhost-net", R_OK | W_OK))
		die("--net-backend=vhost needs /dev/vhost-net (load vhost_net.ko, or use --net-backend=vring or copy)");
	/* --queues=N: the tap opened N times, one file per queue pair. */
	tunnet_open_queues(&opts->net, ifname, taps, pairs);
	if (opts->net_coalesce >= 0)
		virtio_net_set_rx_coalesce(opts->net_coalesce);
	if (opts->net_busy_poll >= 0)
		virtio_net_set_busy_poll(opts->net_busy_poll);
	if (opts->net_rx_offloads >= 0)
		virtio_net_set_rx_offloads(opts->net_rx_offloads);
	verbose_printf("virtio-net: receive offloads: %s\n",
		       net_rx_offloads_name(net_rx_offloads_for(opts->net_backend)));
	virtio_net_create_mq(mem, taps, pairs, opts->net.mac, opts->net_backend);
	if (pairs > 1)
		snprintf(mq, sizeof(mq), ", %u queue pairs", pairs);
	tunnet_format_mac(opts->net.mac, mac);
	inet_ntop(AF_INET, &opts->net.guest_ip, guest_ip, sizeof(guest_ip));
	/* A macvtap (N:600): the guest's address is its network's business. */
	if (opts->net.macvtap) {
		fprintf(stderr, "lguest: network: macvtap %s on %s (%s mode), guest MAC %s, %s backend%s\n",
			ifname, opts->net.lower,
			tunnet_macvtap_mode_name(&opts->net), mac,
			net_backend_name(opts->net_backend), mq);
		return;
	}
	/* tap:NAME (N:425): its owner gave it its place in a network. */
	if (opts->net.existing) {
		fprintf(stderr, "lguest: network: tap %s (an existing tap, left as it was), guest MAC %s, %s backend%s\n",
			ifname, mac, net_backend_name(opts->net_backend), mq);
		return;
	}
	if (opts->net.bridged) {
		fprintf(stderr, "lguest: network: tap %s in bridge %s, guest MAC %s, %s backend%s\n",
			ifname, opts->net.bridge, mac,
			net_backend_name(opts->net_backend), mq);
		return;
	}
	fprintf(stderr, "lguest: network: tap %s %s/24, guest %s MAC %s, %s backend%s\n",
		ifname, inet_ntoa(opts->net.host_ip), guest_ip, mac,
		net_backend_name(opts->net_backend), mq);
	if (!strstr(opts->boot.user_args, "lguest.ip="))
		cmdline_append("lguest.ip=%s/24", guest_ip);
}

static void create_devices(struct guest_mem *mem, const struct options *opts)
{
	unsigned int i;
	int console_in;

	console_in = uart_create(!opts->virtio_console);
	if (opts->virtio_console) {
		virtio_console_create(mem, STDOUT_FILENO, console_in);
		cmdline_append("console=hvc0");
	}
	for (i = 0; i < opts->nr_blocks; i++)
		virtio_blk_create(mem, opts->blocks[i], opts->block_ro[i]);
	if (opts->rng)
		virtio_rng_create(mem);
	if (opts->tunnet)
		create_network(mem, opts);
}

int main(int argc, char **argv)
{
	struct options opts = {
		.net_coalesce = -1,
		.net_busy_poll = -1,
		.net_rx_offloads = -1,
		.nr_cpus = 1,
		.net_backend = NET_BACKEND_VRING,
	};
	struct cpu_boot_regs regs = { 0 };
	struct guest_mem *mem;

	setvbuf(stdout, NULL, _IONBF, 0);
	parse_args(argc, argv, &opts);
	opts.boot.nr_cpus = opts.nr_cpus;
	opts.boot.apic = opts.nr_cpus > 1 || opts.apic;
	boot_check(&opts.boot, opts.mem_size);
	setup_signals();

	/*L:080
	 * The order matters a little: the kernel was checked first, so a
	 * wrong file name is reported before anything else happens; then
	 * memory, since the backend needs it; the backend; then the
	 * devices, whose command-line entries boot_load() writes into the
	 * guest along with the kernel.
	 */
	mem = guest_mem_create(opts.mem_size);
	if (!strcmp(opts.hypervisor, "kvm"))
		the_cpu = cpu_kvm_create(mem, opts.nr_cpus, opts.boot.apic,
					 verbose);
	else
		the_cpu = cpu_lguest_create(mem, opts.nr_cpus, opts.boot.apic,
					    verbose);
	if (!the_cpu) {
		fprintf(stderr, "Try 'lguest --help' for more information.\n");
		return LGUEST_STATUS_ERROR;
	}
	io_start();
	virtio_strict_set_mode(opts.strict);
	create_devices(mem, &opts);
	boot_load(mem, &opts.boot, &regs);
	if (the_cpu->ops->set_boot_regs(the_cpu, 0, &regs) < 0)
		die("setting the boot registers: %m");
	confine(&opts);
	run_guest(the_cpu);
}

/*E:010
 * You have followed a guest from `lguest 64m bzImage` to a packet on a
 * tap.  You now know:
 *
 *  - that a hypervisor is a loop: run the guest until it does something
 *    it may not do alone, do that for it, and run it again (L:430, H:050);
 *  - how a kernel boots without a BIOS (L:100), on memory that is nothing
 *    but a mapping in the launcher (L:040, H:200);
 *  - how SVM enters and leaves a guest, and what a world switch must
 *    save, clear and flush so that a hostile guest learns nothing of the
 *    host and leaves nothing behind (H:410, H:415, H:422, H:424, H:497);
 *  - how the PC's interrupt controller and timer work (H:500, H:600), and
 *    why they live in the kernel;
 *  - how CPUs interrupt each other and how a second one starts (H:820,
 *    H:830);
 *  - how virtio devices are found and fed (L:500), and how a ring whose
 *    every word a hostile guest may change is walked safely (R:010, R:020,
 *    R:060);
 *  - and how handing rings to the kernel (R:200, N:010), with an eventfd
 *    at each end (H:320, H:330), takes the launcher out of the packet path.
 */

/*E:020
 * Where to go next.  Documentation/ holds the references this tour leaves
 * out: lguest.rst for lg.ko (its ioctls, how a guest runs, and what
 * QEMU's emulated SVM gets wrong), launcher.rst for the launcher and its
 * options, vringfd.rst and tun_vring.rst for the ring fd and the network
 * binding, and security.rst for the threat model: who may attack what,
 * and what stops them.  The tests show each promise made here being kept,
 * from the ring walker against hand-built hostile rings to guests booted
 * under lg.ko in a test host VM; README.md says where they are, and `make
 * check` runs them all.  One chapter is still to be written: isolation on
 * its own (today its stops are in the host chapter, from H:110 and H:415
 * to H:497, with the APICs' bounds at H:805).
 *
 * And when you change the code, change the stop that sits on it: `make
 * journey-check` keeps the tour in order and every "X:NNN" in it true.
 */
