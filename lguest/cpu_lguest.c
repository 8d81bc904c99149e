// SPDX-License-Identifier: GPL-2.0
/*L:350
 * The lguest backend: the same job as cpu_kvm.c, over our own /dev/lguest
 * (include/uapi/linux/lguest.h).  It is shorter because lg.ko was built
 * for exactly this platform: the PIC and PIT are always there, the APICs
 * only when asked for (so a one-CPU guest has none to switch off), and a
 * guest that halts with interrupts off comes back to us as
 * LGUEST_EXIT_HALT instead of sleeping forever.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/lguest.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "launcher.h"
#include "lguest_stats.h"

/*
 * fd is the guest's file, which is also CPU 0's; vcpu_fd[i] is CPU i's
 * (vcpu_fd[0] == fd).  Each CPU's thread has its own run structure.
 */
struct cpu_lguest {
	struct cpu cpu;
	int fd;
	int vcpu_fd[CPU_MAX];
	struct lguest_run run[CPU_MAX];
};

static struct cpu_lguest *to_lguest(struct cpu *cpu)
{
	return (struct cpu_lguest *)cpu;
}

/*L:360
 * SVM keeps a segment's attributes packed in 12 bits: the descriptor's
 * type, S, DPL and P in the low byte, then AVL, L, D/B and G.  It is the
 * same information as the descriptor in our GDT, just squeezed.
 */
static void lguest_segment_from(struct lguest_segment *to,
				const struct cpu_segment *from)
{
	memset(to, 0, sizeof(*to));
	to->base = from->base;
	to->limit = from->limit;
	to->selector = from->selector;
	to->attrib = (from->type & 0xf) | (from->s << 4) |
		     ((from->dpl & 3) << 5) | (from->present << 7) |
		     (from->l << 9) | (from->db << 10) | (from->g << 11);
}

static int lguest_set_boot_regs(struct cpu *cpu, unsigned int index,
				const struct cpu_boot_regs *r)
{
	struct lguest_regs regs;

	memset(&regs, 0, sizeof(regs));
	regs.rip = r->rip;
	regs.rsi = r->rsi;
	regs.rsp = r->rsp;
	regs.rflags = r->rflags;
	regs.cr0 = r->cr0;
	regs.cr3 = r->cr3;
	regs.cr4 = r->cr4;
	regs.efer = r->efer;
	lguest_segment_from(&regs.cs, &r->cs);
	lguest_segment_from(&regs.ds, &r->ds);
	regs.es = regs.fs = regs.gs = regs.ss = regs.ds;
	lguest_segment_from(&regs.tr, &r->tr);
	lguest_segment_from(&regs.ldtr, &r->ldtr);
	regs.gdt.base = r->gdt_base;
	regs.gdt.limit = r->gdt_limit;
	return ioctl(to_lguest(cpu)->vcpu_fd[index], LHREQ_SETREGS, &regs);
}

static int lguest_run_cpu(struct cpu *cpu, unsigned int index,
			  struct cpu_exit *exit)
{
	struct cpu_lguest *lg = to_lguest(cpu);
	struct lguest_run *run = &lg->run[index];

	/* A read's value goes back in the same structure RUN filled. */
	if (run->exit_reason == LGUEST_EXIT_IO && !run->io.is_write)
		run->io.data = exit->io.data;
	if (run->exit_reason == LGUEST_EXIT_MMIO && !run->mmio.is_write)
		memcpy(run->mmio.data, exit->mmio.data, sizeof(run->mmio.data));

	if (ioctl(lg->vcpu_fd[index], LHREQ_RUN, run) < 0) {
		run->exit_reason = LGUEST_EXIT_NONE;
		if (errno != EINTR)
			return -1;
		exit->kind = CPU_EXIT_SIGNAL;
		return 0;
	}
	switch (run->exit_reason) {
	case LGUEST_EXIT_IO:
		exit->kind = CPU_EXIT_IO;
		exit->io.port = run->io.port;
		exit->io.size = run->io.size;
		exit->io.is_write = run->io.is_write;
		exit->io.data = run->io.is_write ? run->io.data : 0;
		break;
	case LGUEST_EXIT_MMIO:
		exit->kind = CPU_EXIT_MMIO;
		exit->mmio.addr = run->mmio.addr;
		exit->mmio.len = run->mmio.len;
		exit->mmio.is_write = run->mmio.is_write;
		memcpy(exit->mmio.data, run->mmio.data, 8);
		break;
	case LGUEST_EXIT_HALT:
		exit->kind = CPU_EXIT_HALT;
		break;
	case LGUEST_EXIT_RESET:
		exit->kind = CPU_EXIT_RESET;
		run->reason[sizeof(run->reason) - 1] = '\0';
		snprintf(exit->reason, sizeof(exit->reason), "%s", run->reason);
		break;
	case LGUEST_EXIT_KILLED:
		exit->kind = CPU_EXIT_KILLED;
		run->reason[sizeof(run->reason) - 1] = '\0';
		snprintf(exit->reason, sizeof(exit->reason), "%s", run->reason);
		break;
	default:
		exit->kind = CPU_EXIT_KILLED;
		snprintf(exit->reason, sizeof(exit->reason),
			 "lg.ko returned unknown exit reason %u",
			 run->exit_reason);
		break;
	}
	return 0;
}

static int lguest_irq_line(struct cpu *cpu, unsigned int line, int level)
{
	struct lguest_irq irq = {
		.line = line,
		.level = level == 2 ? LGUEST_IRQ_PULSE : (__u32)level,
	};

	return ioctl(to_lguest(cpu)->fd, LHREQ_IRQ, &irq);
}

static int lguest_bind_ioeventfd(struct cpu *cpu, uint64_t addr,
				 unsigned int len, int fd, bool match,
				 uint64_t datamatch)
{
	struct lguest_ioeventfd ioeventfd = {
		.addr = addr, .len = len, .fd = fd, .datamatch = datamatch,
		.flags = match ? LGUEST_IOEVENTFD_DATAMATCH : 0,
	};

	return ioctl(to_lguest(cpu)->fd, LHREQ_IOEVENTFD, &ioeventfd);
}

static int lguest_bind_irqfd(struct cpu *cpu, int fd, unsigned int line,
			     uint64_t isr_addr)
{
	struct lguest_irqfd irqfd = {
		.fd = fd, .line = line, .isr_addr = isr_addr,
		.flags = isr_addr ? LGUEST_IRQFD_VIRTIO_ISR : 0,
	};

	return ioctl(to_lguest(cpu)->fd, LHREQ_IRQFD, &irqfd);
}


static void lguest_print_stats(struct cpu *cpu, FILE *out)
{
	struct lguest_stats stats;
	unsigned int i;

	if (ioctl(to_lguest(cpu)->fd, LHREQ_GETSTATS, &stats) < 0) {
		fprintf(out, "lguest: LHREQ_GETSTATS: %m\n");
		return;
	}
	fprintf(out, "lguest: lg.ko:");
	for (i = 0; i < LGUEST_STAT_NAMES; i++)
		fprintf(out, " %s=%llu", lguest_stat_names[i],
			(unsigned long long)stats.count[i]);
	fprintf(out, "\n");
}

static void lguest_print_state(struct cpu *cpu, unsigned int index,
			       FILE *out)
{
	struct lguest_regs r;

	if (ioctl(to_lguest(cpu)->vcpu_fd[index], LHREQ_GETREGS, &r) < 0) {
		fprintf(out, "lguest: LHREQ_GETREGS: %m\n");
		return;
	}
	cpu_print_state(out, cpu, index, r.rip, r.rsp, r.rflags, r.cr0, r.cr3,
			r.cr4, r.efer);
}

static int lguest_get_rip(struct cpu *cpu, unsigned int index, uint64_t *rip)
{
	struct lguest_regs r;

	if (ioctl(to_lguest(cpu)->vcpu_fd[index], LHREQ_GETREGS, &r) < 0)
		return -1;
	*rip = r.rip;
	return 0;
}

/* lg.ko knows the host's TSC frequency, which is the guest's (H:065). */
static unsigned int lguest_tsc_khz(struct cpu *cpu)
{
	struct lguest_info info;

	if (ioctl(to_lguest(cpu)->fd, LHREQ_GETINFO, &info) < 0)
		return 0;
	return info.tsc_khz;
}

static const struct cpu_ops lguest_ops = {
	.name = "lguest",
	.set_boot_regs = lguest_set_boot_regs,
	.run = lguest_run_cpu,
	.irq_line = lguest_irq_line,
	.bind_ioeventfd = lguest_bind_ioeventfd,
	.bind_irqfd = lguest_bind_irqfd,
	.print_stats = lguest_print_stats,
	.get_rip = lguest_get_rip,
	.print_state = lguest_print_state,
	.tsc_khz = lguest_tsc_khz,
};

/*L:370
 * One open of /dev/lguest is one guest.  LHREQ_INITIALIZE tells lg.ko
 * where in our address space the guest's RAM lives; from then on lg.ko
 * builds its nested page tables from our page tables, so a page the
 * guest touches is whatever page our mapping has there.  A guest with
 * several CPUs asks for APICs in the same call, and gets a file for each
 * CPU after the first (H:036); those CPUs wait in lg.ko for the guest's
 * start-up IPIs (H:830), so we never set their registers.
 */

/*L:375
 * lg.ko pins the guest's pages for as long as the guest lives, so it
 * counts all of guest RAM as our locked memory, and LHREQ_INITIALIZE
 * fails with ENOMEM when that is over RLIMIT_MEMLOCK (root's
 * CAP_IPC_LOCK goes past the limit).  "Cannot allocate memory" would send
 * the user looking for free RAM; the limit is what they must change.
 */
static void lguest_init_failed(uint64_t mem_size)
{
	unsigned long long limit;
	struct rlimit lim;
	int err = errno;

	if (err == ENOMEM && getrlimit(RLIMIT_MEMLOCK, &lim) == 0 &&
	    lim.rlim_cur != RLIM_INFINITY && mem_size > lim.rlim_cur) {
		limit = lim.rlim_cur;
		fprintf(stderr, "lguest: guest RAM (%llu MiB) is over the locked-memory limit (%llu %s): raise it to %llu with ulimit -l (KiB), or run as root\n",
			(unsigned long long)(mem_size >> 20),
			limit % (1 << 20) ? limit >> 10 : limit >> 20,
			limit % (1 << 20) ? "KiB" : "MiB",
			(unsigned long long)(mem_size >> 10));
		return;
	}
	errno = err;
	fprintf(stderr, "lguest: LHREQ_INITIALIZE: %m\n");
}

struct cpu *cpu_lguest_create(struct guest_mem *mem, unsigned int nr_cpus,
			      bool apic, bool verbose_on)
{
	struct cpu_lguest *lg = calloc(1, sizeof(*lg));
	struct lguest_init init = {
		.mem_base = (uintptr_t)mem->base,
		.mem_size = mem->size,
		.flags = apic ? LGUEST_INIT_APIC : 0,
		.cpus = apic ? nr_cpus : 0,
	};
	unsigned int i;

	if (!lg)
		die("out of memory");
	lg->fd = open("/dev/lguest", O_RDWR | O_CLOEXEC);
	if (lg->fd < 0 && (errno == EACCES || errno == EPERM)) {
		fprintf(stderr, "lguest: cannot open /dev/lguest: %m (running guests takes the group that owns it, lguest as packaged: adduser $USER lguest)\n");
		return NULL;
	}
	if (lg->fd < 0) {
		fprintf(stderr, "lguest: cannot open /dev/lguest: %m (is lg.ko loaded? --hv=kvm uses /dev/kvm instead)\n");
		return NULL;
	}
	if (ioctl(lg->fd, LHREQ_INITIALIZE, &init) < 0) {
		if (errno == EINVAL && init.flags)
			fprintf(stderr, "lguest: %s: this lg.ko has no APICs for its guests (an older build?)\n",
				nr_cpus > 1 ? "--cpus" : "--apic");
		else
			lguest_init_failed(mem->size);
		return NULL;
	}
	lg->vcpu_fd[0] = lg->fd;
	for (i = 1; i < nr_cpus; i++) {
		lg->vcpu_fd[i] = ioctl(lg->fd, LHREQ_CREATE_VCPU, i);
		if (lg->vcpu_fd[i] < 0) {
			fprintf(stderr, "lguest: LHREQ_CREATE_VCPU for CPU %u: %m\n",
				i);
			return NULL;
		}
	}
	lg->cpu.ops = &lguest_ops;
	lg->cpu.mem = mem;
	lg->cpu.nr_cpus = nr_cpus;
	lg->cpu.apic = apic;
	if (verbose_on && !apic)
		fprintf(stderr, "lguest: lg.ko guest with %llu MiB, PIC and PIT in lg.ko, no local APIC\n",
			(unsigned long long)(mem->size >> 20));
	else if (verbose_on)
		fprintf(stderr, "lguest: lg.ko guest with %llu MiB and %u CPU%s, in-kernel local APIC%s, I/O APIC, PIC and PIT\n",
			(unsigned long long)(mem->size >> 20), nr_cpus,
			nr_cpus > 1 ? "s" : "", nr_cpus > 1 ? "s" : "");
	return &lg->cpu;
}
