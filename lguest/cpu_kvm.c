// SPDX-License-Identifier: GPL-2.0
/*L:300
 * The KVM backend.  KVM is not what lguest is about, but it offers the very
 * same shape as our lg.ko (a file per VM, an ioctl to run the CPU that
 * returns when userspace must emulate something), it runs on Intel hosts
 * too, and it gives us a second opinion: a guest that boots under KVM but
 * not under lg.ko points at lg.ko, not at the launcher.
 *
 * We ask KVM for the same platform lg.ko gives: the PIC and the PIT in the
 * kernel, and no local APIC.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

#include "launcher.h"

#define MSR_IA32_APICBASE		0x1b
#define APICBASE_DEFAULT		0xfee00000ULL
#define APICBASE_BSP			(1ULL << 8)
#define APICBASE_ENABLE			(1ULL << 11)
#define CPUID_1_EDX_APIC		(1U << 9)
#define CPUID_1_ECX_X2APIC		(1U << 21)
#define CPUID_1_ECX_TSC_DEADLINE	(1U << 24)
#define CPUID_1_ECX_XSAVE		(1U << 26)
#define CPUID_1_ECX_OSXSAVE		(1U << 27)
#define CPUID_1_EDX_HTT			(1U << 28)
#define CPUID_80000001_ECX_TOPOEXT	(1U << 22)
#define CPUID_80000007_EDX_INVTSC	(1U << 8)
#define KVM_TSS_ADDRESS			0xfffbd000UL
#define X86_EFLAGS_IF			(1ULL << 9)

enum kvm_stat {
	KSTAT_RUNS, KSTAT_IO, KSTAT_MMIO, KSTAT_INTR, KSTAT_OTHER, KSTAT_MAX
};

/* One vCPU: its fd, its kvm_run page and what an exit left half done. */
struct kvm_vcpu_state {
	int fd;
	struct kvm_run *run;
	unsigned long long stats[KSTAT_MAX];
	/* A port read with count > 1 (rep insb) in progress: next index. */
	unsigned int io_index;
	bool io_pending_read, mmio_pending_read;
};

struct cpu_kvm {
	struct cpu cpu;
	int kvm_fd, vm_fd;
	struct kvm_vcpu_state vcpu[CPU_MAX];
};

static struct cpu_kvm *to_kvm(struct cpu *cpu)
{
	return (struct cpu_kvm *)cpu;
}

/*L:310
 * KVM_GET_SUPPORTED_CPUID tells us what the host can offer; we hand almost
 * all of it to the guest, with the invariant TSC bit whether or not the
 * host shows it (KVM runs the guest's TSC from the host's, which keeps
 * one rate on every CPU KVM runs on; H:442 says why a guest needs to
 * know), but take away the APIC (and x2APIC) bits of a single-CPU guest
 * that did not ask for them (--apic, L:196).  A Linux that finds no APIC
 * in CPUID stays in "PIC mode" and takes its timer interrupt on IRQ 0 of
 * the 8259, which is the platform we promise.  A guest with APICs keeps
 * them, and each CPU learns its own APIC ID from CPUID as on hardware:
 * they are one package of nr_cpus cores, CPU i with APIC ID i, as the MP table says
 * (L:195).
 */
static void kvm_cpuid_topology(struct kvm_cpuid_entry2 *e, unsigned int index,
			       unsigned int nr_cpus)
{
	switch (e->function) {
	case 1:
		e->ebx = (e->ebx & 0x0000ffff) | (index << 24) | (nr_cpus << 16);
		e->edx |= CPUID_1_EDX_HTT;
		break;
	case 0xb:	/* x2APIC topology: each subleaf names the x2APIC ID */
	case 0x1f:
		e->edx = index;
		break;
	case 0x80000001:
		/* No extended topology leaf to keep consistent with this. */
		e->ecx &= ~CPUID_80000001_ECX_TOPOEXT;
		break;
	case 0x80000008:
		e->ecx = (e->ecx & ~0xf0ffU) | (nr_cpus - 1);
		break;
	}
}

/*
 * The TSC-deadline mode of the local APIC timer: KVM emulates it with its
 * in-kernel APIC but leaves it to us to say so.  A guest that has it never
 * calibrates its APIC timer against the PIT, and that calibration, done
 * under emulation on a busy host, fails its own check now and then:
 * "APIC timer disabled due to verification failure", and CPU 0 then
 * ticks from the PIT while the others get the PIT's ticks by IPI.
 */
static bool kvm_has_tsc_deadline(struct cpu_kvm *k)
{
	return ioctl(k->kvm_fd, KVM_CHECK_EXTENSION,
		     KVM_CAP_TSC_DEADLINE_TIMER) > 0;
}

/*
 * The guest's CPUID, machine-wide part: asked of KVM once (the list grows
 * until it fits), then what every vCPU shares.
 */
static struct kvm_cpuid2 *kvm_guest_cpuid(struct cpu_kvm *k)
{
	unsigned int n = 64, i;
	bool deadline = k->cpu.apic && kvm_has_tsc_deadline(k);
	struct kvm_cpuid2 *cpuid;

	for (;;) {
		cpuid = calloc(1, sizeof(*cpuid) + n * sizeof(cpuid->entries[0]));
		if (!cpuid)
			die("out of memory");
		cpuid->nent = n;
		if (ioctl(k->kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) == 0)
			break;
		if (errno != E2BIG)
			die("KVM_GET_SUPPORTED_CPUID: %m");
		free(cpuid);
		n *= 2;
	}
	for (i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		if (e->function == 1) {
			e->ecx &= ~(CPUID_1_ECX_XSAVE | CPUID_1_ECX_OSXSAVE);
			if (deadline)
				e->ecx |= CPUID_1_ECX_TSC_DEADLINE;
			if (!k->cpu.apic) {
				e->edx &= ~CPUID_1_EDX_APIC;
				e->ecx &= ~CPUID_1_ECX_X2APIC;
			}
		}
		/* The invariant TSC, as lg.ko says it too (H:442). */
		if (e->function == 0x80000007)
			e->edx |= CPUID_80000007_EDX_INVTSC;
	}
	return cpuid;
}

/* One vCPU's CPUID: the shared part, with its own APIC ID. */
static void kvm_setup_cpuid(struct cpu_kvm *k, unsigned int index,
			    const struct kvm_cpuid2 *shared)
{
	size_t size = sizeof(*shared) + shared->nent * sizeof(shared->entries[0]);
	struct kvm_cpuid2 *cpuid = malloc(size);
	unsigned int i;

	if (!cpuid)
		die("out of memory");
	memcpy(cpuid, shared, size);
	for (i = 0; k->cpu.nr_cpus > 1 && i < cpuid->nent; i++)
		kvm_cpuid_topology(&cpuid->entries[i], index, k->cpu.nr_cpus);
	if (ioctl(k->vcpu[index].fd, KVM_SET_CPUID2, cpuid) < 0)
		die("KVM_SET_CPUID2: %m");
	free(cpuid);
}

/*L:320
 * With an in-kernel irqchip KVM gives every vCPU a local APIC, whatever
 * CPUID says.  An APIC that is disabled in its base MSR (bit 11 clear) is
 * as good as absent: KVM then delivers the PIC's output straight to the
 * CPU, as a real 8259 wired to the INTR pin would.
 */
static void kvm_disable_apic(struct cpu_kvm *k, unsigned int index)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry entry;
	} msrs = {
		.hdr.nmsrs = 1,
		.entry.index = MSR_IA32_APICBASE,
		.entry.data = APICBASE_DEFAULT | APICBASE_BSP,
	};

	if (ioctl(k->vcpu[index].fd, KVM_SET_MSRS, &msrs) != 1)
		die("KVM_SET_MSRS (disabling the local APIC): %m");
}

static void kvm_segment_from(struct kvm_segment *to,
			     const struct cpu_segment *from)
{
	memset(to, 0, sizeof(*to));
	to->base = from->base;
	to->limit = from->limit;
	to->selector = from->selector;
	to->type = from->type;
	to->present = from->present;
	to->dpl = from->dpl;
	to->db = from->db;
	to->s = from->s;
	to->l = from->l;
	to->g = from->g;
	to->unusable = !from->present;
}

static int kvm_set_boot_regs(struct cpu *cpu, unsigned int index,
			     const struct cpu_boot_regs *r)
{
	int fd = to_kvm(cpu)->vcpu[index].fd;
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(fd, KVM_GET_SREGS, &sregs) < 0)
		return -1;
	kvm_segment_from(&sregs.cs, &r->cs);
	kvm_segment_from(&sregs.ds, &r->ds);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	kvm_segment_from(&sregs.tr, &r->tr);
	kvm_segment_from(&sregs.ldt, &r->ldtr);
	sregs.gdt.base = r->gdt_base;
	sregs.gdt.limit = r->gdt_limit;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	sregs.cr0 = r->cr0;
	sregs.cr3 = r->cr3;
	sregs.cr4 = r->cr4;
	sregs.efer = r->efer;
	sregs.apic_base = APICBASE_DEFAULT | APICBASE_BSP;
	if (cpu->apic)
		sregs.apic_base |= APICBASE_ENABLE;
	if (ioctl(fd, KVM_SET_SREGS, &sregs) < 0)
		return -1;

	memset(&regs, 0, sizeof(regs));
	regs.rip = r->rip;
	regs.rsi = r->rsi;
	regs.rsp = r->rsp;
	regs.rflags = r->rflags;
	return ioctl(fd, KVM_SET_REGS, &regs);
}

/*L:330
 * KVM handles HLT itself when the irqchip is in the kernel: the vCPU just
 * sleeps until an interrupt comes.  A guest that halts with interrupts off
 * (which is how `poweroff -f` ends on a machine without ACPI) would sleep
 * forever, so once a second a timer signal pulls us out of KVM_RUN and we
 * look: halted, and IF clear, means the guest is done.
 */
static bool kvm_halted_for_good(struct kvm_vcpu_state *v)
{
	struct kvm_mp_state mp;
	struct kvm_regs regs;

	if (ioctl(v->fd, KVM_GET_MP_STATE, &mp) < 0 ||
	    mp.mp_state != KVM_MP_STATE_HALTED)
		return false;
	if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0)
		return false;
	return !(regs.rflags & X86_EFLAGS_IF);
}

/* Where a guest that shut down was, as lg.ko says it (H:485). */
static void kvm_shutdown_state(struct kvm_vcpu_state *v, struct cpu_exit *exit)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	exit->reason[0] = '\0';
	if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0 ||
	    ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		return;
	snprintf(exit->reason, sizeof(exit->reason),
		 "triple fault: rip %#llx cr2 %#llx cr3 %#llx",
		 (unsigned long long)regs.rip, (unsigned long long)sregs.cr2,
		 (unsigned long long)sregs.cr3);
}

static void kvm_tick(int sig)
{
	(void)sig;
}

static void kvm_start_halt_watch(void)
{
	struct sigaction sa = { .sa_handler = kvm_tick };
	struct itimerval every_second = {
		.it_interval = { .tv_sec = 1 },
		.it_value = { .tv_sec = 1 },
	};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART: KVM_RUN returns */
	setitimer(ITIMER_REAL, &every_second, NULL);
}

/* Hand back the data of a completed read before running on. */
static void kvm_complete_read(struct kvm_vcpu_state *v,
			      const struct cpu_exit *exit)
{
	struct kvm_run *run = v->run;

	if (v->io_pending_read) {
		memcpy((uint8_t *)run + run->io.data_offset +
		       v->io_index * run->io.size, &exit->io.data, run->io.size);
		v->io_pending_read = false;
	}
	if (v->mmio_pending_read) {
		memcpy(run->mmio.data, exit->mmio.data, run->mmio.len);
		v->mmio_pending_read = false;
	}
}

/*
 * A port exit may carry count > 1 accesses (rep outsb / insb): we hand
 * them to the launcher one at a time, and only go back into KVM_RUN when
 * all are done.
 */
static void kvm_io_exit(struct kvm_vcpu_state *v, struct cpu_exit *exit)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset +
			v->io_index * run->io.size;

	exit->kind = CPU_EXIT_IO;
	exit->io.port = run->io.port;
	exit->io.size = run->io.size;
	exit->io.is_write = run->io.direction == KVM_EXIT_IO_OUT;
	exit->io.data = 0;
	if (exit->io.is_write)
		memcpy(&exit->io.data, data, run->io.size);
	else
		v->io_pending_read = true;
}

static int kvm_run_cpu(struct cpu *cpu, unsigned int index,
		       struct cpu_exit *exit)
{
	struct kvm_vcpu_state *v = &to_kvm(cpu)->vcpu[index];
	struct kvm_run *run = v->run;

	kvm_complete_read(v, exit);
	if (run->exit_reason == KVM_EXIT_IO && v->io_index + 1 < run->io.count) {
		v->io_index++;
		kvm_io_exit(v, exit);
		return 0;
	}
	for (;;) {
		v->stats[KSTAT_RUNS]++;
		v->io_index = 0;
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno != EINTR && errno != EAGAIN)
				return -1;
			v->stats[KSTAT_INTR]++;
			run->exit_reason = KVM_EXIT_INTR;
			/*
			 * Only the boot CPU's halt ends the guest: Linux
			 * powers off from CPU 0, and a CPU it takes offline
			 * halts with interrupts off for as long as it is.
			 */
			if (index == 0 && kvm_halted_for_good(v)) {
				exit->kind = CPU_EXIT_HALT;
				return 0;
			}
			exit->kind = CPU_EXIT_SIGNAL;
			return 0;
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			v->stats[KSTAT_IO]++;
			kvm_io_exit(v, exit);
			return 0;
		case KVM_EXIT_MMIO:
			v->stats[KSTAT_MMIO]++;
			exit->kind = CPU_EXIT_MMIO;
			exit->mmio.addr = run->mmio.phys_addr;
			exit->mmio.len = run->mmio.len;
			exit->mmio.is_write = run->mmio.is_write;
			memcpy(exit->mmio.data, run->mmio.data, 8);
			v->mmio_pending_read = !run->mmio.is_write;
			return 0;
		case KVM_EXIT_HLT:
			exit->kind = CPU_EXIT_HALT;
			return 0;
		case KVM_EXIT_SHUTDOWN:
			exit->kind = CPU_EXIT_RESET;
			kvm_shutdown_state(v, exit);
			return 0;
		case KVM_EXIT_INTR:
			v->stats[KSTAT_INTR]++;
			continue;
		case KVM_EXIT_FAIL_ENTRY:
			exit->kind = CPU_EXIT_KILLED;
			snprintf(exit->reason, sizeof(exit->reason),
				 "KVM could not enter the guest (hardware reason %#llx)",
				 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
			return 0;
		case KVM_EXIT_INTERNAL_ERROR:
			exit->kind = CPU_EXIT_KILLED;
			snprintf(exit->reason, sizeof(exit->reason),
				 "KVM internal error %u (data %#llx %#llx %#llx)",
				 run->internal.suberror,
				 (unsigned long long)run->internal.data[0],
				 (unsigned long long)run->internal.data[1],
				 (unsigned long long)run->internal.data[2]);
			return 0;
		default:
			v->stats[KSTAT_OTHER]++;
			exit->kind = CPU_EXIT_KILLED;
			snprintf(exit->reason, sizeof(exit->reason),
				 "unexpected KVM exit %u", run->exit_reason);
			return 0;
		}
	}
}

static int kvm_irq_line(struct cpu *cpu, unsigned int line, int level)
{
	struct cpu_kvm *k = to_kvm(cpu);
	struct kvm_irq_level irq = { .irq = line };

	if (level == 2) {
		irq.level = 1;
		if (ioctl(k->vm_fd, KVM_IRQ_LINE, &irq) < 0)
			return -1;
		level = 0;
	}
	irq.level = level;
	return ioctl(k->vm_fd, KVM_IRQ_LINE, &irq);
}

static int kvm_bind_ioeventfd(struct cpu *cpu, uint64_t addr,
			      unsigned int len, int fd, bool match,
			      uint64_t datamatch)
{
	struct kvm_ioeventfd ioeventfd = {
		.addr = addr, .len = len, .fd = fd, .datamatch = datamatch,
		.flags = match ? KVM_IOEVENTFD_FLAG_DATAMATCH : 0,
	};

	return ioctl(to_kvm(cpu)->vm_fd, KVM_IOEVENTFD, &ioeventfd);
}

static int kvm_bind_irqfd(struct cpu *cpu, int fd, unsigned int line,
			  uint64_t isr_addr)
{
	/* No in-kernel status register: the reads come to the launcher. */
	(void)isr_addr;
	struct kvm_irqfd irqfd = { .fd = fd, .gsi = line };

	return ioctl(to_kvm(cpu)->vm_fd, KVM_IRQFD, &irqfd);
}

/*
 * The counts of all CPUs together.  Each CPU's thread counts its own, so
 * a read from another thread may be a few exits behind: good enough for
 * statistics.
 */
static void kvm_print_stats(struct cpu *cpu, FILE *out)
{
	struct cpu_kvm *k = to_kvm(cpu);
	unsigned long long sum[KSTAT_MAX] = { 0 };
	unsigned int i, j;

	for (i = 0; i < cpu->nr_cpus; i++)
		for (j = 0; j < KSTAT_MAX; j++)
			sum[j] += __atomic_load_n(&k->vcpu[i].stats[j],
						  __ATOMIC_RELAXED);
	fprintf(out, "lguest: kvm: %llu runs, %llu port I/O exits, %llu MMIO exits, %llu signal exits, %llu other\n",
		sum[KSTAT_RUNS], sum[KSTAT_IO], sum[KSTAT_MMIO],
		sum[KSTAT_INTR], sum[KSTAT_OTHER]);
}

static int kvm_get_rip(struct cpu *cpu, unsigned int index, uint64_t *rip)
{
	struct kvm_regs regs;

	if (ioctl(to_kvm(cpu)->vcpu[index].fd, KVM_GET_REGS, &regs) < 0)
		return -1;
	*rip = regs.rip;
	return 0;
}

static void kvm_print_state(struct cpu *cpu, unsigned int index, FILE *out)
{
	int fd = to_kvm(cpu)->vcpu[index].fd;
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(fd, KVM_GET_REGS, &regs) < 0 ||
	    ioctl(fd, KVM_GET_SREGS, &sregs) < 0) {
		fprintf(out, "lguest: KVM_GET_REGS: %m\n");
		return;
	}
	cpu_print_state(out, cpu, index, regs.rip, regs.rsp, regs.rflags,
			sregs.cr0, sregs.cr3, sregs.cr4, sregs.efer);
}

/*L:335
 * KVM gives the guest a TSC at the host's frequency (or a scaled one, on
 * CPUs that can, when asked with KVM_SET_TSC_KHZ; we never ask), and
 * tells us which with KVM_GET_TSC_KHZ on the vCPU.  boot.c passes it to
 * the guest kernel, which would otherwise measure it against the PIT.
 */
static unsigned int kvm_tsc_khz(struct cpu *cpu)
{
	int khz = ioctl(to_kvm(cpu)->vcpu[0].fd, KVM_GET_TSC_KHZ, 0);

	return khz > 0 ? (unsigned int)khz : 0;
}

static const struct cpu_ops kvm_ops = {
	.name = "kvm",
	.set_boot_regs = kvm_set_boot_regs,
	.run = kvm_run_cpu,
	.irq_line = kvm_irq_line,
	.bind_ioeventfd = kvm_bind_ioeventfd,
	.bind_irqfd = kvm_bind_irqfd,
	.print_stats = kvm_print_stats,
	.get_rip = kvm_get_rip,
	.print_state = kvm_print_state,
	.tsc_khz = kvm_tsc_khz,
};

static int kvm_vm_ioctl(struct cpu_kvm *k, unsigned long req, void *arg,
			const char *what)
{
	if (ioctl(k->vm_fd, req, arg) < 0) {
		fprintf(stderr, "lguest: %s: %m\n", what);
		return -1;
	}
	return 0;
}

/*L:340
 * Making a KVM guest: a VM, its memory as slot 0 at guest-physical 0, the
 * interrupt controllers (KVM_CREATE_IRQCHIP makes the PIC pair, an I/O
 * APIC and a local APIC for every vCPU: a single-CPU guest never enables
 * the last two, so they stay out of its way) and the PIT, then the vCPUs,
 * each with the kvm_run page through which KVM_RUN reports its exits.
 * KVM starts vCPU 0 running and the others waiting for the INIT and
 * start-up IPIs the guest's boot CPU sends them (L:445).
 */
static int kvm_create_vcpu(struct cpu_kvm *k, unsigned int index,
			   int run_size, const struct kvm_cpuid2 *cpuid)
{
	struct kvm_vcpu_state *v = &k->vcpu[index];

	v->fd = ioctl(k->vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
	if (v->fd < 0) {
		fprintf(stderr, "lguest: KVM_CREATE_VCPU %u: %m\n", index);
		return -1;
	}
	v->run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->fd, 0);
	if (v->run == MAP_FAILED) {
		fprintf(stderr, "lguest: cannot map kvm_run: %m\n");
		return -1;
	}
	kvm_setup_cpuid(k, index, cpuid);
	if (!k->cpu.apic)
		kvm_disable_apic(k, index);
	return 0;
}

struct cpu *cpu_kvm_create(struct guest_mem *mem, unsigned int nr_cpus,
			   bool apic, bool verbose_on)
{
	struct kvm_userspace_memory_region slot = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = mem->size,
		.userspace_addr = (uintptr_t)mem->base,
	};
	struct kvm_pit_config pit = { .flags = 0 };
	struct cpu_kvm *k = calloc(1, sizeof(*k));
	struct kvm_cpuid2 *cpuid;
	unsigned int i;
	int run_size;

	if (!k)
		die("out of memory");
	k->cpu.ops = &kvm_ops;
	k->cpu.mem = mem;
	k->cpu.nr_cpus = nr_cpus;
	k->cpu.apic = apic;
	k->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (k->kvm_fd < 0) {
		fprintf(stderr, "lguest: cannot open /dev/kvm: %m (is kvm_amd or kvm_intel loaded?)\n");
		return NULL;
	}
	if (ioctl(k->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		fprintf(stderr, "lguest: /dev/kvm has an unknown API version\n");
		return NULL;
	}
	k->vm_fd = ioctl(k->kvm_fd, KVM_CREATE_VM, 0);
	if (k->vm_fd < 0) {
		fprintf(stderr, "lguest: KVM_CREATE_VM: %m\n");
		return NULL;
	}
	ioctl(k->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDRESS);
	if (kvm_vm_ioctl(k, KVM_SET_USER_MEMORY_REGION, &slot, "KVM_SET_USER_MEMORY_REGION") ||
	    kvm_vm_ioctl(k, KVM_CREATE_IRQCHIP, NULL, "KVM_CREATE_IRQCHIP") ||
	    kvm_vm_ioctl(k, KVM_CREATE_PIT2, &pit, "KVM_CREATE_PIT2"))
		return NULL;
	run_size = ioctl(k->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size <= 0) {
		fprintf(stderr, "lguest: KVM_GET_VCPU_MMAP_SIZE: %m\n");
		return NULL;
	}
	cpuid = kvm_guest_cpuid(k);
	for (i = 0; i < nr_cpus; i++) {
		if (kvm_create_vcpu(k, i, run_size, cpuid)) {
			free(cpuid);
			return NULL;
		}
	}
	free(cpuid);
	kvm_start_halt_watch();
	if (verbose_on && !apic)
		fprintf(stderr, "lguest: kvm: VM with %llu MiB, in-kernel PIC and PIT, no local APIC\n",
			(unsigned long long)(mem->size >> 20));
	else if (verbose_on)
		fprintf(stderr, "lguest: kvm: VM with %llu MiB and %u CPU%s, in-kernel local APIC%s, I/O APIC, PIC and PIT\n",
			(unsigned long long)(mem->size >> 20), nr_cpus,
			nr_cpus > 1 ? "s" : "", nr_cpus > 1 ? "s" : "");
	return &k->cpu;
}
