// SPDX-License-Identifier: GPL-2.0
/*
 * The guest CPU: AMD SVM's VMCB, the world switch, and what we do when the
 * guest leaves it (a "#VMEXIT").
 */
#include <linux/highmem.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/ktime.h>
#include <linux/percpu.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <asm/cpufeature.h>
#include <asm/debugreg.h>
#include <asm/fpu/api.h>
#include <asm/mce.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/processor.h>
#include <asm/processor-flags.h>
#include <asm/tsc.h>

#include "lg.h"

/*H:100
 * The guest's CPU is a VMCB, one page of memory the SVM hardware reads when
 * we enter the guest with VMRUN and writes when the guest leaves: the
 * "control area" says which guest actions must come back to us
 * (intercepts) and why the guest left (exit code and information), the
 * "save area" holds the guest's registers.  VMRUN also wants a page per
 * CPU where it parks the host's state while the guest runs (VM_HSAVE_PA),
 * and we keep a second page per CPU for the host state VMRUN does not save
 * (see H:410).
 */
struct lg_host_cpu {
	void *hsave;		/* VM_HSAVE_PA: VMRUN's own host save area */
	void *host_state;	/* our VMSAVE/VMLOAD area for the host */
	struct vmcb *flush_vmcb; /* an empty guest that flushes (H:424) */
	bool tlb_dirty;		/* our ASID's entries may be in this TLB */
	u64 last_guest;		/* lguest.id of the last guest run here */
};

static DEFINE_PER_CPU(struct lg_host_cpu, lg_host_cpus);

/* The I/O and MSR permission maps: every bit set, so everything exits. */
#define LG_IOPM_ORDER	2	/* 12 KiB used */
#define LG_MSRPM_ORDER	1	/* 8 KiB */
static unsigned long lg_iopm, lg_msrpm;
static u32 lg_asid;
/* A nested page table with nothing in it, for the flush guest (H:424). */
static void *lg_empty_npt;
/* RDTSCP or RDPID in the CPU itself, whatever clearcpuid= says (H:422). */
static bool lg_has_tsc_aux;
/* The CPU saves the next instruction's RIP at intercepts (H:427). */
static bool lg_has_nrips;
/* The CR4 bits whose features the guest's CPUID shows (H:497). */
static u64 lg_cr4_valid;
static u64 lg_guest_cr4_bits(void);
static void lg_init_flush_vmcb(struct vmcb *vmcb);
static void lg_report_mitigations(void);
static bool lg_flush_asid(void);
/* The CPU refused the flush guest (H:424): said once, from lg_run(). */
static bool lg_flush_refused;
static bool lg_notifiers_on;
/* Each guest's lguest.id, never reused (H:415). */
static atomic64_t lg_next_id;

u64 lg_new_guest_id(void)
{
	return atomic64_inc_return(&lg_next_id);
}

#define LG_VM_CR_SVMDIS		BIT_ULL(4)
#define LG_CPUID_SVM		BIT(2)		/* 0x80000001 ECX */
#define LG_CPUID_NPT		BIT(0)		/* 0x8000000A EDX */
#define LG_CPUID_RDTSCP		BIT(27)		/* 0x80000001 EDX */
#define LG_CPUID_RDPID		BIT(22)		/* 7 ECX */

#define LG_EXCP_DB	1
#define LG_EXCP_NMI	2
#define LG_EXCP_UD	6
#define LG_EXCP_GP	13
#define LG_EXCP_AC	17
#define LG_EXCP_MC	18

/* DR6 and DR7: the bits that always read as 1, and the ones a write sets. */
#define LG_DR6_FIXED	0xffff0ff0ULL
#define LG_DR6_BITS	0xe00fULL	/* B0-B3, BD, BS, BT */
#define LG_DR6_BD	BIT_ULL(13)
#define LG_DR6_BS	BIT_ULL(14)
#define LG_DR7_FIXED	0x400ULL
#define LG_DR7_BITS	0xffff23ffULL
#define LG_DR7_GD	BIT_ULL(13)
#define LG_DR7_ENABLES	0xffULL		/* L0, G0 ... L3, G3 */

/*H:010
 * lg.ko's story starts when the module loads: can this CPU run a guest?
 * It needs SVM (CPUID 0x80000001 ECX bit 2), SVM must not be switched off
 * by the firmware (VM_CR.SVMDIS), and we rely on nested paging (CPUID
 * 0x8000000A EDX bit 0), since building shadow page tables is a book of its
 * own.  We only look; we change nothing on the CPU until a guest runs.
 */
int lg_svm_check_cpu(void)
{
	u64 vm_cr;

	if (cpuid_eax(0x80000000) < 0x8000000a ||
	    !(cpuid_ecx(0x80000001) & LG_CPUID_SVM)) {
		pr_err("lguest: this CPU has no AMD SVM\n");
		return -ENODEV;
	}
	rdmsrl(MSR_VM_CR, vm_cr);
	if (vm_cr & LG_VM_CR_SVMDIS) {
		pr_err("lguest: SVM is disabled by the firmware (VM_CR.SVMDIS)\n");
		return -ENODEV;
	}
	if (!(cpuid_edx(0x8000000a) & LG_CPUID_NPT)) {
		pr_err("lguest: this CPU's SVM has no nested paging (NPT)\n");
		return -ENODEV;
	}
	return 0;
}

/*H:020
 * Coexisting with kvm_amd.  KVM turns SVM on (EFER.SVME) and points
 * VM_HSAVE_PA at its own page while it has guests.  We do not keep either
 * while idle: we set them just before each VMRUN and put back whatever was
 * there just after (H:420), with preemption and interrupts off, so both
 * hypervisors can be loaded and run guests, one after the other, on the
 * same CPU.  All we keep are a few pages per CPU, and an address space
 * identifier (ASID) for our guest's TLB entries: the last one the CPU has,
 * as KVM hands them out from the bottom.  KVM may hand that one out too;
 * H:424 is how neither sees the other's translations.
 */
int lg_svm_init(void)
{
	struct lg_host_cpu *hc;
	u32 nr_asids;
	int cpu;

	nr_asids = cpuid_ebx(0x8000000a);
	lg_asid = nr_asids > 1 ? nr_asids - 1 : 1;
	lg_has_tsc_aux = (cpuid_edx(0x80000001) & LG_CPUID_RDTSCP) ||
		(cpuid_eax(0) >= 7 && (cpuid_ecx(7) & LG_CPUID_RDPID));
	lg_cr4_valid = lg_guest_cr4_bits();
	lg_has_nrips = boot_cpu_has(X86_FEATURE_NRIPS);

	lg_iopm = __get_free_pages(GFP_KERNEL, LG_IOPM_ORDER);
	lg_msrpm = __get_free_pages(GFP_KERNEL, LG_MSRPM_ORDER);
	lg_empty_npt = (void *)get_zeroed_page(GFP_KERNEL);
	if (!lg_iopm || !lg_msrpm || !lg_empty_npt)
		goto fail;
	memset((void *)lg_iopm, 0xff, PAGE_SIZE << LG_IOPM_ORDER);
	memset((void *)lg_msrpm, 0xff, PAGE_SIZE << LG_MSRPM_ORDER);

	for_each_possible_cpu(cpu) {
		hc = per_cpu_ptr(&lg_host_cpus, cpu);
		hc->hsave = (void *)get_zeroed_page(GFP_KERNEL);
		hc->host_state = (void *)get_zeroed_page(GFP_KERNEL);
		hc->flush_vmcb = (void *)get_zeroed_page(GFP_KERNEL);
		if (!hc->hsave || !hc->host_state || !hc->flush_vmcb)
			goto fail;
		lg_init_flush_vmcb(hc->flush_vmcb);
	}
#ifdef CONFIG_PREEMPT_NOTIFIERS
	preempt_notifier_inc();
	lg_notifiers_on = true;
#endif
	lg_report_mitigations();
	return 0;
fail:
	lg_svm_exit();
	return -ENOMEM;
}

void lg_svm_exit(void)
{
	struct lg_host_cpu *hc;
	int cpu;

	for_each_possible_cpu(cpu) {
		hc = per_cpu_ptr(&lg_host_cpus, cpu);
		free_page((unsigned long)hc->hsave);
		free_page((unsigned long)hc->host_state);
		free_page((unsigned long)hc->flush_vmcb);
		hc->hsave = NULL;
		hc->host_state = NULL;
		hc->flush_vmcb = NULL;
	}
	free_page((unsigned long)lg_empty_npt);
	lg_empty_npt = NULL;
#ifdef CONFIG_PREEMPT_NOTIFIERS
	if (lg_notifiers_on)
		preempt_notifier_dec();
	lg_notifiers_on = false;
#endif
	if (lg_iopm)
		free_pages(lg_iopm, LG_IOPM_ORDER);
	if (lg_msrpm)
		free_pages(lg_msrpm, LG_MSRPM_ORDER);
	lg_iopm = 0;
	lg_msrpm = 0;
}

static void lg_intercept(struct vmcb *vmcb, unsigned int bit)
{
	vmcb->control.intercepts[bit / 32] |= BIT(bit % 32);
}

static void lg_no_intercept(struct vmcb *vmcb, unsigned int bit)
{
	vmcb->control.intercepts[bit / 32] &= ~BIT(bit % 32);
}

/* A real-mode segment: base 0, 64 KiB, present, with these type bits. */
static void lg_real_seg(struct vmcb_seg *seg, u16 attrib)
{
	seg->selector = 0;
	seg->base = 0;
	seg->limit = 0xffff;
	seg->attrib = attrib;
}

/*
 * A CPU just out of reset (real mode, at the reset vector), with the one
 * difference SVM requires: EFER.SVME set.  The segments are as the CPU
 * leaves them (64 KiB each, data segments writable), the rest is zero.
 */
static void lg_reset_save_area(struct vmcb_save_area *s)
{
	memset(s, 0, sizeof(*s));
	lg_real_seg(&s->cs, 0x9b);
	s->cs.selector = 0xf000;
	s->cs.base = 0xffff0000;
	lg_real_seg(&s->ds, 0x93);
	lg_real_seg(&s->es, 0x93);
	lg_real_seg(&s->fs, 0x93);
	lg_real_seg(&s->gs, 0x93);
	lg_real_seg(&s->ss, 0x93);
	lg_real_seg(&s->tr, 0x8b);
	lg_real_seg(&s->ldtr, 0x82);
	s->gdtr.limit = 0xffff;
	s->idtr.limit = 0xffff;
	s->rip = 0xfff0;
	s->cr0 = X86_CR0_ET;
	s->efer = EFER_SVME;
	s->rflags = X86_EFLAGS_FIXED;
	s->dr6 = LG_DR6_FIXED;
	s->dr7 = LG_DR7_FIXED;
	s->g_pat = 0x0007040600070406ULL;
}

/* What every VMCB of ours has: the permission maps, our ASID, nested paging. */
static void lg_init_control(struct vmcb *vmcb)
{
	vmcb->control.iopm_base_pa = __pa(lg_iopm);
	vmcb->control.msrpm_base_pa = __pa(lg_msrpm);
	vmcb->control.asid = lg_asid;
	vmcb->control.int_ctl = V_INTR_MASKING_MASK;
	vmcb->control.nested_ctl = SVM_NESTED_CTL_NP_ENABLE;
}

/*
 * The flush guest (H:424): our ASID, nested paging over a table with
 * nothing in it, so its very first instruction fetch is a nested page
 * fault; and every way out intercepted.  It never runs an instruction.
 */
static void lg_init_flush_vmcb(struct vmcb *vmcb)
{
	lg_intercept(vmcb, INTERCEPT_INTR);
	lg_intercept(vmcb, INTERCEPT_NMI);
	lg_intercept(vmcb, INTERCEPT_SHUTDOWN);
	lg_intercept(vmcb, INTERCEPT_VMRUN);
	vmcb->control.intercepts[INTERCEPT_EXCEPTION] = ~0U;
	lg_init_control(vmcb);
	vmcb->control.nested_cr3 = __pa(lg_empty_npt);
	lg_reset_save_area(&vmcb->save);
}

/* The debug registers as after reset (H:495). */
static void lg_reset_debug_regs(struct lg_vcpu *vcpu)
{
	memset(vcpu->db, 0, sizeof(vcpu->db));
	vcpu->dr7 = LG_DR7_FIXED;
	vcpu->vmcb->save.dr6 = LG_DR6_FIXED;
	vcpu->vmcb->save.dr7 = LG_DR7_FIXED;
}

/*H:110
 * What comes back to us.  Host interrupts and NMIs (so the host keeps
 * control of its CPU), a triple fault (SHUTDOWN: the guest wants a reset),
 * every port and every MSR (the permission maps are all ones), CPUID (we
 * edit what the guest sees), HLT (so an idle guest sleeps in the host),
 * and every SVM instruction: the guest cannot use SVM itself, and VMRUN
 * must be intercepted or the CPU refuses to run the guest at all.  MONITOR,
 * MWAIT and XSETBV are not for the guest either (CPUID hides them).
 * Nested paging is on with our tables' root in N_CR3.
 *
 * And whatever a guest could use against the host (H:422): the cache
 * instructions INVD and WBINVD, the counters RDPMC, RDPRU and RDTSCP
 * (which would read the host's TSC_AUX), every debug register access,
 * writes to CR4 (which could switch on state we do not switch, H:497),
 * and three exceptions: #DB and #AC, whose delivery can fault again for
 * ever inside the CPU, and #MC, which is the host's.
 */
int lg_vcpu_create(struct lg_vcpu *vcpu)
{
	static const unsigned int intercepts[] = {
		INTERCEPT_INTR, INTERCEPT_NMI, INTERCEPT_SHUTDOWN,
		INTERCEPT_IOIO_PROT, INTERCEPT_MSR_PROT, INTERCEPT_CPUID,
		INTERCEPT_HLT, INTERCEPT_INVLPGA, INTERCEPT_VMRUN,
		INTERCEPT_VMMCALL, INTERCEPT_VMLOAD, INTERCEPT_VMSAVE,
		INTERCEPT_STGI, INTERCEPT_CLGI, INTERCEPT_SKINIT,
		INTERCEPT_MONITOR, INTERCEPT_MWAIT, INTERCEPT_XSETBV,
		INTERCEPT_INVD, INTERCEPT_WBINVD, INTERCEPT_RDPMC,
		INTERCEPT_RDPRU, INTERCEPT_RDTSCP, INTERCEPT_CR4_WRITE,
		INTERCEPT_EXCEPTION_OFFSET + LG_EXCP_DB,
		INTERCEPT_EXCEPTION_OFFSET + LG_EXCP_AC,
		INTERCEPT_EXCEPTION_OFFSET + LG_EXCP_MC,
	};
	struct vmcb *vmcb;
	unsigned int i;

	vmcb = (struct vmcb *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vmcb)
		return -ENOMEM;
	vcpu->fpu = kzalloc(sizeof(*vcpu->fpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu->fpu) {
		free_page((unsigned long)vmcb);
		return -ENOMEM;
	}
	/* The x87 control word and MXCSR as after reset. */
	*(u16 *)&vcpu->fpu->bytes[0] = 0x37f;
	*(u32 *)&vcpu->fpu->bytes[24] = 0x1f80;

	for (i = 0; i < ARRAY_SIZE(intercepts); i++)
		lg_intercept(vmcb, intercepts[i]);
	for (i = 0; i < 8; i++) {
		lg_intercept(vmcb, INTERCEPT_DR0_READ + i);
		lg_intercept(vmcb, INTERCEPT_DR0_WRITE + i);
	}
	lg_init_control(vmcb);
	/* One TSC for the whole guest, as on a machine that boots (H:036). */
	vmcb->control.tsc_offset = vcpu->lg->tsc_offset;

	/* Until SETREGS: a CPU just out of reset. */
	lg_reset_save_area(&vmcb->save);
	vcpu->vmcb = vmcb;
	lg_reset_debug_regs(vcpu);
	return 0;
}

void lg_vcpu_destroy(struct lg_vcpu *vcpu)
{
	free_page((unsigned long)vcpu->vmcb);
	kfree(vcpu->fpu);
}

/* ---- registers in and out (LHREQ_GETREGS / LHREQ_SETREGS) ---- */

static void lg_seg_out(const struct vmcb_seg *s, struct lguest_segment *u)
{
	u->base = s->base;
	u->limit = s->limit;
	u->selector = s->selector;
	u->attrib = s->attrib;
	u->pad = 0;
}

static void lg_seg_in(struct vmcb_seg *s, const struct lguest_segment *u)
{
	s->base = u->base;
	s->limit = u->limit;
	s->selector = u->selector;
	s->attrib = u->attrib;
}

static void lg_dt_out(const struct vmcb_seg *s, struct lguest_dtable *u)
{
	memset(u, 0, sizeof(*u));
	u->base = s->base;
	u->limit = s->limit;
}

void lg_get_regs(struct lg_vcpu *vcpu, struct lguest_regs *r)
{
	struct vmcb_save_area *s = &vcpu->vmcb->save;
	u64 *g = vcpu->regs;

	r->rax = s->rax;
	r->rbx = g[LG_RBX];
	r->rcx = g[LG_RCX];
	r->rdx = g[LG_RDX];
	r->rsi = g[LG_RSI];
	r->rdi = g[LG_RDI];
	r->rbp = g[LG_RBP];
	r->rsp = s->rsp;
	r->r8 = g[LG_R8];
	r->r9 = g[LG_R9];
	r->r10 = g[LG_R10];
	r->r11 = g[LG_R11];
	r->r12 = g[LG_R12];
	r->r13 = g[LG_R13];
	r->r14 = g[LG_R14];
	r->r15 = g[LG_R15];
	r->rip = s->rip;
	r->rflags = s->rflags;
	r->cr0 = s->cr0;
	r->cr2 = s->cr2;
	r->cr3 = s->cr3;
	r->cr4 = s->cr4;
	r->efer = s->efer & ~(u64)EFER_SVME;
	lg_seg_out(&s->cs, &r->cs);
	lg_seg_out(&s->ds, &r->ds);
	lg_seg_out(&s->es, &r->es);
	lg_seg_out(&s->fs, &r->fs);
	lg_seg_out(&s->gs, &r->gs);
	lg_seg_out(&s->ss, &r->ss);
	lg_seg_out(&s->tr, &r->tr);
	lg_seg_out(&s->ldtr, &r->ldtr);
	lg_dt_out(&s->gdtr, &r->gdt);
	lg_dt_out(&s->idtr, &r->idt);
}

int lg_set_regs(struct lg_vcpu *vcpu, const struct lguest_regs *r)
{
	struct vmcb_save_area *s = &vcpu->vmcb->save;
	u64 *g = vcpu->regs;

	/* The launcher is held to the CPU the guest sees, too (H:497). */
	if (r->cr4 & ~lg_cr4_valid)
		return -EINVAL;
	/*
	 * After a triple fault the CPU left the save area undefined: start
	 * from reset, so nothing SETREGS does not name (the SYSCALL MSRs,
	 * KernelGSBase, the interrupt shadow) survives from before.
	 */
	if (vcpu->needs_regs) {
		lg_reset_save_area(s);
		vcpu->vmcb->control.int_state = 0;
		lg_apic_vcpu_reset(vcpu);
	}
	/* An AP waiting for its start-up IPI is started this way too. */
	lg_apic_vcpu_started(vcpu);
	s->rax = r->rax;
	g[LG_RBX] = r->rbx;
	g[LG_RCX] = r->rcx;
	g[LG_RDX] = r->rdx;
	g[LG_RSI] = r->rsi;
	g[LG_RDI] = r->rdi;
	g[LG_RBP] = r->rbp;
	s->rsp = r->rsp;
	g[LG_R8] = r->r8;
	g[LG_R9] = r->r9;
	g[LG_R10] = r->r10;
	g[LG_R11] = r->r11;
	g[LG_R12] = r->r12;
	g[LG_R13] = r->r13;
	g[LG_R14] = r->r14;
	g[LG_R15] = r->r15;
	s->rip = r->rip;
	s->rflags = r->rflags | X86_EFLAGS_FIXED;
	s->cr0 = r->cr0;
	s->cr2 = r->cr2;
	s->cr3 = r->cr3;
	s->cr4 = r->cr4;
	s->efer = r->efer | EFER_SVME;
	lg_seg_in(&s->cs, &r->cs);
	lg_seg_in(&s->ds, &r->ds);
	lg_seg_in(&s->es, &r->es);
	lg_seg_in(&s->fs, &r->fs);
	lg_seg_in(&s->gs, &r->gs);
	lg_seg_in(&s->ss, &r->ss);
	lg_seg_in(&s->tr, &r->tr);
	lg_seg_in(&s->ldtr, &r->ldtr);
	s->gdtr.base = r->gdt.base;
	s->gdtr.limit = r->gdt.limit;
	s->idtr.base = r->idt.base;
	s->idtr.limit = r->idt.limit;
	/* The privilege level is the stack segment's DPL. */
	s->cpl = (r->ss.attrib >> 5) & 3;
	/* New registers: whatever we were in the middle of is void. */
	vcpu->pending = LG_PENDING_NONE;
	vcpu->halted = false;
	vcpu->vmcb->control.event_inj = 0;
	vcpu->vmcb->control.int_ctl &= ~V_IRQ_MASK;
	vcpu->irq_handed_over = false;
	/* No NMI handler is running in a CPU just set up (H:840). */
	vcpu->nmi_masked = false;
	vcpu->nmi_iret = false;
	lg_no_intercept(vcpu->vmcb, INTERCEPT_IRET);
	lg_reset_debug_regs(vcpu);
	vcpu->needs_regs = false;
	/* A launcher that sets a CPU up has heard of its resets (H:045). */
	vcpu->resets_seen = READ_ONCE(vcpu->lg->resets);
	return 0;
}

/* ---- the world switch ---- */

/*H:415
 * What the host's mitigations ask of a world switch.  A guest runs
 * whatever code it likes, and on these CPUs code can train the branch
 * predictors, fill the return stack buffer, or leave data in buffers
 * another context can sample.  The kernel has chosen, at boot, which
 * mitigations this CPU needs (/sys/devices/system/cpu/vulnerabilities),
 * and recorded each choice as a CPU feature bit; KVM applies them around
 * its VMRUN.  We apply the same ones, in the same places, keyed on the
 * same bits, as alternatives the kernel patches in when it loads us:
 *
 * - Just before VMRUN, VERW clears the CPU's buffers, so the guest cannot
 *   sample what the host left there (TSA: CLEAR_CPU_BUF_VM).
 * - Just after #VMEXIT, before the first RET: 32 calls that never return
 *   refill the return stack buffer, so no host RET speculates to a guest
 *   address (Spectre v2's RSB: RSB_VMEXIT, or RETPOLINE as 6.1 keys it);
 *   the "untrain" sequence that the kernel runs on every kernel entry for
 *   Retbleed and SRSO (UNRET, SRSO_ALIAS); and an IBPB where the kernel
 *   chose one on every VM exit instead (IBPB_ON_VMEXIT).
 * - The guest's register values are cleared, so none is left for host
 *   code to use speculatively.
 *
 * All of that is in switch.S (H:410), with GIF still clear: no RET and no
 * interrupt handler may run before it.  The rest is C, before and after
 * (H:420): an IBPB when this CPU last ran a different guest (not merely
 * another CPU of the same guest: a guest's CPUs are one security domain,
 * as KVM treats a VM's vCPUs, and they may see each other's memory
 * anyway), the divider
 * cleared (AMD's DIV0 erratum), the SRSO branch-predictor bit on 6.12 CPUs
 * that mitigate SRSO with it, and a request for an IBPB before the next
 * return to user mode (VMSCAPE: whatever runs in user space next must not
 * inherit the guest's branch training).
 */

/* The switch itself (H:410, switch.S). */
asmlinkage void lg_vmrun(unsigned long vmcb_pa, unsigned long host_pa,
			 u64 *regs);
/* A probe inside it would run with the guest's GS. */
NOKPROBE_SYMBOL(lg_vmrun);

static void lg_raise(struct lg_vcpu *vcpu, u8 vector, bool has_error)
{
	vcpu->vmcb->control.event_inj = SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_EXEPT |
		vector | (has_error ? SVM_EVTINJ_VALID_ERR : 0);
	vcpu->vmcb->control.event_inj_err = 0;
}

/*
 * The exceptions we raise for the guest (#UD, #GP, and #AC reflected)
 * are faults: the CPU would set RF in the flags it pushes, so that the
 * instruction, run again after the handler's IRET, does not hit an
 * instruction breakpoint a second time.  RF in the VMCB goes into that
 * frame when the CPU delivers our event.
 */
static void lg_inject_exception(struct lg_vcpu *vcpu, u8 vector, bool has_error)
{
	vcpu->vmcb->save.rflags |= X86_EFLAGS_RF;
	lg_raise(vcpu, vector, has_error);
}

/*
 * The CPU clears DR7.GD on every #DB, so that the handler may use DR6.
 * No #DB pushes RF, not even the fault-class ones (an instruction
 * breakpoint, GD): the handler sets it itself when it wants to go on.
 */
static void lg_inject_db(struct lg_vcpu *vcpu)
{
	vcpu->dr7 &= ~LG_DR7_GD;
	lg_raise(vcpu, LG_EXCP_DB, false);
}

/*H:400
 * Just before entering: interrupts.  If the PIC has a request and the
 * guest can take it now (interrupts enabled, not in the one-instruction
 * shadow after STI or MOV SS, no exception being delivered), we do the
 * PIC's acknowledge cycle and hand the vector to the CPU as a virtual
 * interrupt: V_IRQ set, the vector in int_vector, the guest's task
 * priority ignored.  A guest that can take an interrupt takes a virtual
 * one before its first instruction, so it arrives through the guest's IDT
 * as it enters, just as if the guest had been running all along.
 *
 * EVENTINJ would say the same thing more directly, and it is what KVM
 * uses; we do not, because QEMU's TCG delivers an interrupt injected
 * through EVENTINJ twice: it leaves the vector behind as a pending
 * exception and delivers it again, interrupts enabled or not, whenever
 * its CPU loop is next asked to stop (see Documentation/lguest.rst, "lg.ko
 * under QEMU's TCG").  A timer interrupt delivered inside a section that
 * runs with interrupts off deadlocks the guest.  QEMU's V_IRQ has no such
 * trap, and on a real CPU both deliver the interrupt the same way.
 *
 * If the guest cannot take the interrupt yet, we ask the CPU to tell us
 * when it can: V_IRQ with the VINTR intercept makes the guest exit the
 * moment it would accept an interrupt, and then we come round here again,
 * having acknowledged nothing.  A vector handed over but not taken (a host
 * interrupt stopped the guest before its first instruction) stays in
 * V_IRQ for the next entry: the PIC has already moved it into service.
 * This runs with host interrupts off, so a request raised after we looked
 * comes with a kick that arrives as soon as the guest runs (H:300).
 */
/* V_IRQ at the highest priority, whatever the guest's TPR says. */
static void lg_request_virq(struct vmcb *vmcb)
{
	vmcb->control.int_ctl |= V_IRQ_MASK | V_IGN_TPR_MASK |
		(0xf << V_INTR_PRIO_SHIFT);
}

static bool lg_irq_in_flight(const struct lg_vcpu *vcpu)
{
	return vcpu->irq_handed_over && (vcpu->vmcb->control.int_ctl & V_IRQ_MASK);
}

/*H:840
 * NMIs.  One goes in through EVENTINJ whatever the guest's IF says, but
 * not while the guest is still in the handler of the last one: the CPU
 * blocks NMIs from an NMI's delivery until the next IRET, and Linux's NMI
 * entry code relies on it (a second NMI would land on the same stack).
 * SVM gives us no such blocking for NMIs we inject, so we keep it
 * ourselves: injecting one masks NMIs and watches for IRET (an
 * intercept).  The IRET exit comes before the instruction runs, so it is
 * only the first exit after it, at any other RIP, that unmasks; an NMI
 * that arrived meanwhile waits until then, one timer tick at most.
 */
static void lg_prepare_nmi(struct lg_vcpu *vcpu)
{
	struct vmcb *vmcb = vcpu->vmcb;

	if (!vcpu->nmi_pending || vcpu->nmi_masked ||
	    (vmcb->control.event_inj & SVM_EVTINJ_VALID))
		return;
	vcpu->nmi_pending = false;
	vcpu->nmi_masked = true;
	vmcb->control.event_inj = SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_NMI |
				  LG_EXCP_NMI;
	lg_intercept(vmcb, INTERCEPT_IRET);
	vcpu->stats[LGUEST_STAT_NMIS_INJECTED]++;
}

/* Under lock: the vector to hand over from the APIC or the PIC, or -1. */
static int lg_pending_vector(struct lg_vcpu *vcpu, bool ack)
{
	struct lguest *lg = vcpu->lg;

	if (lg->apics && lg_lapic_pending(&vcpu->apic) >= 0)
		return ack ? lg_lapic_ack(&vcpu->apic) : 0;
	if (lg_pic_reaches(vcpu) && lg_pic_has_interrupt(&lg->pic))
		return ack ? lg_pic_ack(&lg->pic) : 0;
	return -1;
}

static void lg_prepare_interrupts(struct lg_vcpu *vcpu)
{
	struct lguest *lg = vcpu->lg;
	struct vmcb *vmcb = vcpu->vmcb;
	bool can_inject;

	/* Only CPU 0 has anything to take without APICs (H:036). */
	if (vcpu->id != 0 && !lg->apics)
		return;
	spin_lock(&lg->lock);
	if (lg->apics) {
		lg_prepare_nmi(vcpu);
		/* The guest's CR8 is its APIC's TPR (H:810). */
		vcpu->v_tpr = lg_lapic_get_cr8(&vcpu->apic);
		vmcb->control.int_ctl = (vmcb->control.int_ctl & ~V_TPR_MASK) |
					vcpu->v_tpr;
	}
	if (lg_irq_in_flight(vcpu))
		goto out;
	vcpu->irq_handed_over = false;
	vmcb->control.int_ctl &= ~(V_IRQ_MASK | V_INTR_PRIO_MASK |
				   V_IGN_TPR_MASK);
	lg_no_intercept(vmcb, INTERCEPT_VINTR);
	if (lg_pending_vector(vcpu, false) >= 0) {
		can_inject = !(vmcb->control.event_inj & SVM_EVTINJ_VALID) &&
			(vmcb->save.rflags & X86_EFLAGS_IF) &&
			!(vmcb->control.int_state & SVM_INTERRUPT_SHADOW_MASK);
		lg_request_virq(vmcb);
		if (can_inject) {
			vmcb->control.int_vector = lg_pending_vector(vcpu, true);
			vcpu->irq_handed_over = true;
			vcpu->stats[LGUEST_STAT_IRQS_INJECTED]++;
		} else {
			lg_intercept(vmcb, INTERCEPT_VINTR);
		}
	}
out:
	spin_unlock(&lg->lock);
}

/* After an exit: the guest may have moved its CR8 meanwhile (H:810). */
static void lg_sync_tpr(struct lg_vcpu *vcpu)
{
	u8 cr8 = vcpu->vmcb->control.int_ctl & V_TPR_MASK;

	if (!vcpu->lg->apics || cr8 == vcpu->v_tpr)
		return;
	spin_lock_irq(&vcpu->lg->lock);
	lg_lapic_set_cr8(&vcpu->apic, cr8);
	spin_unlock_irq(&vcpu->lg->lock);
	vcpu->v_tpr = cr8;
}

static void lg_fxrstor(struct lg_fxsave *fx)
{
	asm volatile("fxrstorq %0" : : "m" (*fx));
}

static void lg_fxsave(struct lg_fxsave *fx)
{
	asm volatile("fxsaveq %0" : "=m" (*fx));
}

/*H:420
 * Around the switch.  kernel_fpu_begin() saves the launcher's own FPU
 * registers (they are restored on its way back to userspace) and keeps us
 * on this CPU; then the guest's x87/SSE registers go in with FXRSTOR and
 * come out with FXSAVE.  The guest sees no XSAVE or AVX in CPUID and XSETBV
 * is intercepted, so those 512 bytes are all of its FPU; and whatever it
 * does to other state, the launcher's is safe in its task struct.  We do
 * this once per VMRUN, not for a whole RUN call, so the host can schedule
 * and take interrupts between exits as usual.
 *
 * Then, with interrupts off, the two MSRs KVM may also be using: EFER.SVME
 * must be set for VMRUN, and VM_HSAVE_PA must point at our page for this
 * CPU.  Both are put back before interrupts come on again.  Finally, the
 * TLB: our guest's entries are tagged with our ASID, but KVM might have
 * used the same one, and this CPU cannot flush one ASID alone, so we ask
 * VMRUN to flush everything each time.  It costs the guest its TLB on every
 * exit; under QEMU's TCG that is the case anyway.  It also makes a
 * guest's several CPUs simple: every vCPU of every guest uses the same
 * ASID, and two of them, run one after the other on one host CPU, or a
 * vCPU that moved between host CPUs, never find each other's (or their
 * own stale) translations.  (With flush-by-ASID, that is what KVM's ASID
 * generations per host CPU are for; this is the place to add them.)
 *
 * Just before VMRUN, with interrupts off, we look once more at whether
 * the guest was killed or reset: a kill or reset that comes after this
 * look comes with a kick whose interrupt is held off until VMRUN, and
 * makes the guest exit at once (H:305).
 */
/*H:422
 * What the host keeps to itself across the switch.  A guest must not read
 * the host's state, nor leave its own behind, through the few registers
 * that VMRUN and #VMEXIT do not switch:
 *
 * - TSC_AUX, which the host sets to its CPU number.  RDTSCP is
 *   intercepted (H:110), but RDPID reads it with no intercept at all, so
 *   on a CPU that has either the guest runs with TSC_AUX 0.  We ask the
 *   CPU, not the kernel's feature bits: clearcpuid=rdpid hides RDPID from
 *   the host, not from the guest.
 *
 * - The debug registers.  The guest never reads the CPU's (every access
 *   exits, H:495).  Its DR7 goes in through the VMCB, and only when it
 *   enables a breakpoint do its DR0-DR3 go into the CPU for it to run
 *   with.  #VMEXIT leaves DR7 with all breakpoints off and DR6 with
 *   whatever the guest's #DB put there: if the host had breakpoints armed
 *   (perf, ptrace, kgdb), we put all its debug registers back, as KVM
 *   does; if not, a DR7 that arms nothing and a clean DR6 are all the
 *   host needs (the guest's addresses left in DR0-DR3 are then inert).
 *
 * - A machine check that came while the guest ran is the host's, not the
 *   guest's: #MC is intercepted, and we call the host's handler at once,
 *   with interrupts still off, as if the exception had come in the host.
 */
static void lg_machine_check(void)
{
#ifdef CONFIG_X86_MCE
	struct pt_regs regs = { .cs = 3, .flags = X86_EFLAGS_IF };

	do_machine_check(&regs);
#endif
}

static void lg_load_guest_debug_regs(struct lg_vcpu *vcpu)
{
	vcpu->vmcb->save.dr7 = vcpu->dr7 & ~LG_DR7_GD;
	/*
	 * The host's breakpoints go off until the exit: one hit inside
	 * lg_vmrun() would run the host's #DB handler on the guest's GS.
	 */
	if (!(vcpu->dr7 & LG_DR7_ENABLES)) {
		if (hw_breakpoint_active())
			set_debugreg(0UL, 7);
		return;
	}
	/* Nor may the host's DR7 arm the guest's addresses meanwhile. */
	set_debugreg(0UL, 7);
	set_debugreg(vcpu->db[0], 0);
	set_debugreg(vcpu->db[1], 1);
	set_debugreg(vcpu->db[2], 2);
	set_debugreg(vcpu->db[3], 3);
}

/* EFER.SVME and VM_HSAVE_PA as the host had them (H:020). */
struct lg_svm_saved {
	u64 efer, hsave;
};

static void lg_svm_borrow(struct lg_host_cpu *hc, struct lg_svm_saved *h)
{
	rdmsrl(MSR_EFER, h->efer);
	rdmsrl(MSR_VM_HSAVE_PA, h->hsave);
	wrmsrl(MSR_EFER, h->efer | EFER_SVME);
	wrmsrl(MSR_VM_HSAVE_PA, __pa(hc->hsave));
}

static void lg_svm_give_back(const struct lg_svm_saved *h)
{
	wrmsrl(MSR_VM_HSAVE_PA, h->hsave);
	wrmsrl(MSR_EFER, h->efer);
}

/* #VMEXIT leaves DR7 with every breakpoint off: the host's come back. */
static void lg_restore_host_debug_regs(bool guest_armed, u64 guest_dr6)
{
	if (hw_breakpoint_active()) {
		hw_breakpoint_restore();
		return;
	}
	if (guest_armed)
		set_debugreg(0UL, 7);
	if (guest_dr6 != LG_DR6_FIXED)
		set_debugreg(DR6_RESERVED, 6);
}

/* Say once, at load, which of H:415's steps this host's kernel asks for. */
static void lg_report_mitigations(void)
{
	pr_info("lguest: the world switch applies the host's mitigations:%s%s%s%s%s%s%s%s\n",
		cpu_feature_enabled(X86_FEATURE_CLEAR_CPU_BUF_VM) ? " verw" : "",
		cpu_feature_enabled(X86_FEATURE_RSB_VMEXIT) ||
		cpu_feature_enabled(X86_FEATURE_RETPOLINE) ? " rsb-fill" : "",
		cpu_feature_enabled(X86_FEATURE_UNRET) ? " untrain-ret" : "",
		cpu_feature_enabled(X86_FEATURE_SRSO_ALIAS) ? " srso-alias" : "",
		cpu_feature_enabled(X86_FEATURE_IBPB_ON_VMEXIT) ?
		" ibpb-on-exit" : "",
		cpu_feature_enabled(X86_FEATURE_USE_IBPB) &&
		!cpu_feature_enabled(X86_FEATURE_IBPB_ON_VMEXIT) ?
		" ibpb-between-guests" : "",
		cpu_feature_enabled(X86_FEATURE_IBPB_EXIT_TO_USER) ?
		" ibpb-before-user" : "",
		boot_cpu_has_bug(X86_BUG_DIV0) ? " clear-divider" : "");
}

/* The C half of H:415, with interrupts off, last before VMRUN. */
static void lg_speculation_barriers(struct lg_vcpu *vcpu, struct lg_host_cpu *hc)
{
	if (hc->last_guest != vcpu->lg->id) {
		hc->last_guest = vcpu->lg->id;
		if (cpu_feature_enabled(X86_FEATURE_USE_IBPB) &&
		    !cpu_feature_enabled(X86_FEATURE_IBPB_ON_VMEXIT)) {
			indirect_branch_prediction_barrier();
			vcpu->stats[LGUEST_STAT_IBPB]++;
		}
	}
#ifdef X86_FEATURE_SRSO_BP_SPEC_REDUCE
	if (cpu_feature_enabled(X86_FEATURE_SRSO_BP_SPEC_REDUCE))
		msr_set_bit(MSR_ZEN4_BP_CFG, MSR_ZEN4_BP_CFG_BP_SPEC_REDUCE_BIT);
#endif
	amd_clear_divider();
}

/* Must this vCPU leave RUN: is the guest dead, or was it reset? */
static bool lg_must_stop(struct lg_vcpu *vcpu)
{
	return lg_dead(vcpu->lg) || lg_reset_pending(vcpu);
}

/* False if it did not enter the guest after all (H:305). */
static bool lg_world_switch(struct lg_vcpu *vcpu)
{
	struct lg_host_cpu *hc;
	struct lg_svm_saved saved;
	u64 host_tsc_aux = 0;

	kernel_fpu_begin();
	lg_fxrstor(vcpu->fpu);
	local_irq_disable();
	if (unlikely(lg_must_stop(vcpu))) {
		local_irq_enable();
		kernel_fpu_end();
		return false;
	}
	lg_prepare_interrupts(vcpu);
	hc = this_cpu_ptr(&lg_host_cpus);
	lg_svm_borrow(hc, &saved);
	if (lg_has_tsc_aux) {
		rdmsrl(MSR_TSC_AUX, host_tsc_aux);
		wrmsrl(MSR_TSC_AUX, 0);
	}
	lg_load_guest_debug_regs(vcpu);
	vcpu->vmcb->control.tlb_ctl = TLB_CONTROL_FLUSH_ALL_ASID;
	vcpu->host_cr3 = __read_cr3();
	lg_speculation_barriers(vcpu, hc);

	lg_vmrun(__pa(vcpu->vmcb), __pa(hc->host_state), vcpu->regs);

	if (cpu_feature_enabled(X86_FEATURE_IBPB_EXIT_TO_USER))
		this_cpu_write(x86_ibpb_exit_to_user, true);

	/* Another hypervisor has SVM on here: it may reuse our ASID. */
	if (saved.efer & EFER_SVME)
		hc->tlb_dirty = true;
	if (vcpu->vmcb->control.exit_code == SVM_EXIT_EXCP_BASE + LG_EXCP_MC)
		lg_machine_check();
	lg_restore_host_debug_regs(vcpu->dr7 & LG_DR7_ENABLES,
				   vcpu->vmcb->save.dr6);
	if (lg_has_tsc_aux)
		wrmsrl(MSR_TSC_AUX, host_tsc_aux);
	lg_svm_give_back(&saved);
	/* With no notifier to tell us we are leaving, flush now (H:424). */
	if (!IS_ENABLED(CONFIG_PREEMPT_NOTIFIERS) && lg_flush_asid())
		vcpu->stats[LGUEST_STAT_ASID_FLUSH]++;
	lg_fxsave(vcpu->fpu);
	local_irq_enable();
	kernel_fpu_end();
	return true;
}

/*H:424
 * Leaving the CPU to someone else.  (Someone else may be another CPU of
 * our own guest, in another launcher thread, or the same guest's CPU
 * leaving for another host CPU: neither needs anything, since every
 * VMRUN flushes the TLB, H:420, and all of lg.ko's per-host-CPU state,
 * the save areas and this flag, is used with interrupts off, by one vCPU
 * at a time.)  Our guest's TLB entries stay behind,
 * tagged with our ASID, after the exit; we flush everything on the way in
 * (H:420), so we never see another's, but the next hypervisor to use that
 * ASID on this CPU would see ours.  KVM hands ASIDs out itself and knows
 * nothing of us: it could give ours to one of its guests and, without a
 * flush, let that guest translate addresses through our guest's mappings.
 * (KVM does flush every ASID the first time it hands one out after it
 * switches SVM on, so while EFER.SVME was clear when we entered, no other
 * hypervisor was running on this CPU and there is nothing to do.)
 *
 * The CPU has no instruction that flushes an ASID from the host: only
 * VMRUN's TLB control does.  So before anyone else can run here (the
 * scheduler switching us out, which a preempt notifier tells us, and RUN
 * going back to the launcher) we enter a guest that cannot run: our ASID,
 * a TLB flush, and a nested page table with nothing in it, so the first
 * instruction fetch exits with a nested page fault.  It costs one
 * VMRUN, and only while another hypervisor is active on this CPU.
 */
static bool lg_flush_asid(void)
{
	struct lg_host_cpu *hc = this_cpu_ptr(&lg_host_cpus);
	struct lg_svm_saved saved;

	if (!hc->tlb_dirty)
		return false;
	lg_svm_borrow(hc, &saved);
	hc->flush_vmcb->control.tlb_ctl =
		boot_cpu_has(X86_FEATURE_FLUSHBYASID) ?
		TLB_CONTROL_FLUSH_ASID : TLB_CONTROL_FLUSH_ALL_ASID;
	asm volatile("clgi\n\t"
		     "vmrun %%rax\n\t"
		     "stgi"
		     : : "a" (__pa(hc->flush_vmcb)) : "memory", "cc");
	if (hc->flush_vmcb->control.exit_code == SVM_EXIT_EXCP_BASE + LG_EXCP_MC)
		lg_machine_check();
	lg_restore_host_debug_regs(false, LG_DR6_FIXED);
	lg_svm_give_back(&saved);
	/* We may be in the scheduler: lg_run() reports it (no printk here). */
	if (unlikely(hc->flush_vmcb->control.exit_code == (u32)SVM_EXIT_ERR)) {
		WRITE_ONCE(lg_flush_refused, true);
		return false;
	}
	hc->tlb_dirty = false;
	/*
	 * The other hypervisor's guests are strangers to H:415's IBPB
	 * between guests, and we to theirs: one now covers both ways.
	 */
	if (cpu_feature_enabled(X86_FEATURE_USE_IBPB) &&
	    !cpu_feature_enabled(X86_FEATURE_IBPB_ON_VMEXIT))
		indirect_branch_prediction_barrier();
	hc->last_guest = 0;
	return true;
}

static void lg_leave_cpu(struct lg_vcpu *vcpu)
{
	unsigned long flags;

	local_irq_save(flags);
	if (lg_flush_asid())
		vcpu->stats[LGUEST_STAT_ASID_FLUSH]++;
	local_irq_restore(flags);
}

#ifdef CONFIG_PREEMPT_NOTIFIERS
static void lg_sched_in(struct preempt_notifier *pn, int cpu)
{
}

static void lg_sched_out(struct preempt_notifier *pn, struct task_struct *next)
{
	lg_leave_cpu(container_of(pn, struct lg_vcpu, leaving));
}

static struct preempt_ops lg_preempt_ops = {
	.sched_in = lg_sched_in,
	.sched_out = lg_sched_out,
};
#endif

/* ---- the exits ---- */

/*H:425
 * Every exit we complete for the guest ends the same way: RIP moves past
 * the instruction, as if the CPU had run it.  The CPU would also have
 * ended an interrupt shadow: after STI (or MOV SS) no interrupt is taken
 * before the next instruction, and that instruction may be the one we
 * emulated.  "sti; hlt" is how every idle loop waits, and its HLT exits
 * inside the shadow.  Left set, the shadow would hold back the interrupt
 * that ends the HLT for one more instruction, and if that one is a CLI,
 * until the guest next enables interrupts.  And with the trap flag set,
 * the CPU would have raised its single-step #DB after the instruction; it
 * never ran in the guest, so that #DB is ours to give.  (No instruction
 * we complete runs while an event is being delivered: an exit in the
 * middle of one is never an instruction of the guest's, H:475.)  A
 * completed instruction also clears RF, as on the CPU.
 */
static void lg_step_to(struct lg_vcpu *vcpu, u64 next_rip)
{
	struct vmcb *vmcb = vcpu->vmcb;

	vmcb->save.rip = next_rip;
	vmcb->save.rflags &= ~X86_EFLAGS_RF;
	vmcb->control.int_state &= ~SVM_INTERRUPT_SHADOW_MASK;
	if ((vmcb->save.rflags & X86_EFLAGS_TF) &&
	    !(vmcb->control.event_inj & SVM_EVTINJ_VALID)) {
		vmcb->save.dr6 |= LG_DR6_BS;
		lg_inject_db(vcpu);
	}
}

static void lg_skip(struct lg_vcpu *vcpu, unsigned int len)
{
	lg_step_to(vcpu, vcpu->vmcb->save.rip + len);
}

/* The longest an x86 instruction can be. */
#define LG_INSN_BYTES	15
static int lg_fetch_insn(struct lg_vcpu *vcpu, u8 *bytes, u64 *at);

/*H:427
 * Stepping past an instruction we intercepted and completed (CPUID, an MSR
 * access, HLT, INVD, WBINVD): how long was it?  A CPU with "next RIP" save
 * (every real AMD CPU with SVM since 2009) tells us in the VMCB, unless
 * it is itself a hypervisor's guest that left it 0.  QEMU's does not,
 * and the plain encodings are only the common case: prefixes the CPU
 * ignores still count, so "rex.w cpuid" is three bytes, not two.  So we
 * read the instruction and measure it (H:670); one we cannot measure
 * is not one we intercept, and the guest is killed rather than resumed in
 * the middle of an instruction.  One we cannot read at all (our walker
 * knows only 4-level page tables, H:690) is taken to be the plain
 * encoding, as before we measured.
 */
static void lg_skip_insn(struct lg_vcpu *vcpu, unsigned int plain_len)
{
	u8 bytes[LG_INSN_BYTES];
	int avail, len;
	u64 rip;

	if (lg_has_nrips && vcpu->vmcb->control.next_rip) {
		lg_step_to(vcpu, vcpu->vmcb->control.next_rip);
		return;
	}
	avail = lg_fetch_insn(vcpu, bytes, &rip);
	if (!avail) {
		lg_skip(vcpu, plain_len);
		return;
	}
	len = lg_insn_length(bytes, avail);
	if (len < 0) {
		lg_kill(vcpu, "cannot measure the intercepted instruction at %#llx (%*ph)",
			rip, min(avail, 8), bytes);
		return;
	}
	lg_skip(vcpu, len);
}

/*H:430
 * CPUID.  The guest sees the host's processor, family and model, with the
 * parts we do not give it taken out: SVM and VMX, the local APIC and
 * x2APIC, MONITOR/MWAIT, XSAVE and everything that needs it (AVX and its
 * friends), machine checks, and the speculation-control MSRs we do not
 * emulate.  It does see the "hypervisor" bit, and our name at 0x40000000.
 * Leaves beyond the ones we vetted read as zero.
 */
#define LG_CPUID1_ECX_HIDE (BIT(2) | BIT(3) | BIT(4) | BIT(5) | BIT(6) | \
	BIT(7) | BIT(8) | BIT(12) | BIT(15) | BIT(18) | BIT(21) | BIT(24) | \
	BIT(26) | BIT(27) | BIT(28) | BIT(29))
#define LG_CPUID1_EDX_HIDE (BIT(7) | BIT(9) | BIT(14) | BIT(21) | BIT(22) | \
	BIT(28) | BIT(29) | BIT(31))
#define LG_CPUID7_EBX_HIDE (BIT(1) | BIT(5) | BIT(16) | BIT(17) | BIT(21) | \
	BIT(26) | BIT(27) | BIT(28) | BIT(30) | BIT(31))
#define LG_CPUID7_ECX_KEEP (BIT(0) | BIT(2))
#define LG_CPUIDX1_ECX_HIDE (BIT(2) | BIT(3) | BIT(10) | BIT(12) | \
	BIT(13) | BIT(15) | BIT(22) | BIT(23) | BIT(24) | BIT(26) | \
	BIT(28) | BIT(29))
#define LG_CPUIDX1_EDX_HIDE BIT(27)
#define LG_CPUID_HYPERVISOR BIT(31)
#define LG_CPUID7_EBX_TSC_ADJUST BIT(1)
#define LG_MAX_BASIC_LEAF 7
#define LG_MAX_EXT_LEAF 0x80000008

static void lg_cpuid_leaf(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
	*a = 0;
	*b = 0;
	*c = 0;
	*d = 0;
	if (leaf == 0x40000000) {
		*a = 0x40000000;
		memcpy(b, "Lgue", 4);
		memcpy(c, "stLg", 4);
		memcpy(d, "uest", 4);
		return;
	}
	if (leaf > LG_MAX_EXT_LEAF ||
	    (leaf > LG_MAX_BASIC_LEAF && leaf < 0x80000000) ||
	    leaf == 5 || leaf == 6)
		return;
	if (leaf < 0x80000000 && leaf > cpuid_eax(0))
		return;
	if (leaf >= 0x80000000 && leaf > cpuid_eax(0x80000000))
		return;
	cpuid_count(leaf, sub, a, b, c, d);

	switch (leaf) {
	case 0:
		*a = min_t(u32, *a, LG_MAX_BASIC_LEAF);
		break;
	case 1:
		*b = (*b & 0xffff) | (1 << 16);	/* one CPU; APIC ID: caller */
		*c = (*c & ~LG_CPUID1_ECX_HIDE) | LG_CPUID_HYPERVISOR;
		*d &= ~LG_CPUID1_EDX_HIDE;
		break;
	case 7:
		if (sub) {
			*a = 0;
			*b = 0;
			*c = 0;
		}
		*a = 0;
		/* TSC_ADJUST is ours, whatever the host has (H:442). */
		*b = (*b & ~LG_CPUID7_EBX_HIDE) | LG_CPUID7_EBX_TSC_ADJUST;
		*c &= LG_CPUID7_ECX_KEEP;
		*d = 0;
		break;
	case 0x80000000:
		*a = min_t(u32, *a, LG_MAX_EXT_LEAF);
		break;
	case 0x80000001:
		*c &= ~LG_CPUIDX1_ECX_HIDE;
		*d &= ~LG_CPUIDX1_EDX_HIDE;
		break;
	case 0x80000007:
		*a = 0;
		*b = 0;
		*c = 0;
		*d = BIT(8);			/* invariant TSC (H:442) */
		break;
	case 0x80000008:
		*b = 0;
		*c = 0;
		*d = 0;
		break;
	}
}

/*H:435
 * A guest with APICs (H:800) is told so: leaf 1 gets the APIC bit, and
 * the TSC-deadline timer when we know the TSC's rate to turn deadlines
 * into host time (then Linux need not calibrate its APIC timer against
 * the PIT, which under emulation goes wrong now and then).  The CPUs are
 * the cores of one package, as the launcher's MP table has them: leaf 1
 * counts them in EBX with HTT set, and leaf 0x80000008 ECX says how many
 * cores the package has, less one, which is how Linux on an AMD CPU
 * numbers them.
 */
#define LG_CPUID1_EDX_APIC BIT(9)
#define LG_CPUID1_EDX_HTT BIT(28)
#define LG_CPUID1_ECX_TSC_DEADLINE BIT(24)

static void lg_cpuid_apic(struct lguest *lg, u32 leaf, u32 *b, u32 *c, u32 *d)
{
	if (leaf == 1) {
		*d |= LG_CPUID1_EDX_APIC;
		if (tsc_khz)
			*c |= LG_CPUID1_ECX_TSC_DEADLINE;
		if (lg->nr_cpus > 1) {
			*d |= LG_CPUID1_EDX_HTT;
			*b = (*b & ~0x00ff0000) | (lg->nr_cpus << 16);
		}
	} else if (leaf == 0x80000008 && cpuid_eax(0x80000000) >= leaf) {
		*c = lg->nr_cpus - 1;
	}
}

static int lg_handle_cpuid(struct lg_vcpu *vcpu)
{
	struct vmcb_save_area *s = &vcpu->vmcb->save;
	u32 a, b, c, d;

	lg_cpuid_leaf(s->rax, vcpu->regs[LG_RCX], &a, &b, &c, &d);
	/* Leaf 1's initial APIC ID says which CPU this is. */
	if ((u32)s->rax == 1)
		b |= vcpu->id << 24;
	if (vcpu->lg->apics)
		lg_cpuid_apic(vcpu->lg, s->rax, &b, &c, &d);
	s->rax = a;
	vcpu->regs[LG_RBX] = b;
	vcpu->regs[LG_RCX] = c;
	vcpu->regs[LG_RDX] = d;
	lg_skip_insn(vcpu, 2);
	return 0;
}

/*
 * Which CR4 bit needs which feature: CPUID leaf, register (0 EAX .. 3 EDX)
 * and bit.  PCE needs nothing (RDPMC is intercepted anyway).
 */
struct lg_cr4_feature {
	u64 cr4;
	u32 leaf;
	u8 reg, bit;
};

static const struct lg_cr4_feature lg_cr4_features[] = {
	{ X86_CR4_VME | X86_CR4_PVI, 1, 3, 1 },
	{ X86_CR4_TSD, 1, 3, 4 },
	{ X86_CR4_DE, 1, 3, 2 },
	{ X86_CR4_PSE, 1, 3, 3 },
	{ X86_CR4_PAE, 1, 3, 6 },
	{ X86_CR4_MCE, 1, 3, 7 },
	{ X86_CR4_PGE, 1, 3, 13 },
	{ X86_CR4_OSFXSR, 1, 3, 24 },
	{ X86_CR4_OSXMMEXCPT, 1, 3, 25 },
	{ X86_CR4_VMXE, 1, 2, 5 },
	{ X86_CR4_SMXE, 1, 2, 6 },
	{ X86_CR4_PCIDE, 1, 2, 17 },
	{ X86_CR4_OSXSAVE, 1, 2, 26 },
	{ X86_CR4_FSGSBASE, 7, 1, 0 },
	{ X86_CR4_SMEP, 7, 1, 7 },
	{ X86_CR4_SMAP, 7, 1, 20 },
	{ X86_CR4_UMIP, 7, 2, 2 },
	{ X86_CR4_PKE, 7, 2, 3 },
	{ X86_CR4_LA57, 7, 2, 16 },
	{ X86_CR4_CET, 7, 2, 7 },
};

static u64 lg_guest_cr4_bits(void)
{
	u64 bits = X86_CR4_PCE;
	u32 r[4];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lg_cr4_features); i++) {
		const struct lg_cr4_feature *f = &lg_cr4_features[i];

		lg_cpuid_leaf(f->leaf, 0, &r[0], &r[1], &r[2], &r[3]);
		if (r[f->reg] & BIT(f->bit))
			bits |= f->cr4;
	}
	return bits;
}

/*H:440
 * MSRs.  The guest's copies of the MSRs VMLOAD/VMSAVE move live in its
 * VMCB, and so do EFER (where SVME must stay set, though the guest never
 * sees it) and PAT.  The TSC is the host's plus the VMCB's offset, and a
 * write moves the offset.  The memory-type range registers read as "none"
 * and ignore writes, and so does the AMD northbridge configuration MSR,
 * which a stock distribution kernel pokes on every AMD CPU it brings up.
 * The APIC's MSRs are its own (H:815), where the guest has APICs; without
 * them the APIC base MSR does not exist, and nor does anything else: #GP,
 * as on a CPU that lacks it.
 */
#define LG_MSR_MTRR_CAP		0xfe
#define LG_MSR_MTRR_DEF_TYPE	0x2ff
#define LG_EFER_ALLOWED (EFER_SCE | EFER_LME | EFER_LMA | EFER_NX | EFER_FFXSR)

/* MSRs that read as 0 and ignore writes. */
static bool lg_msr_reads_zero(u32 msr)
{
	return msr == LG_MSR_MTRR_CAP || msr == LG_MSR_MTRR_DEF_TYPE ||
		(msr >= 0x200 && msr <= 0x20f) || msr == 0x250 ||
		msr == 0x258 || msr == 0x259 || (msr >= 0x268 && msr <= 0x26f) ||
		msr == MSR_AMD64_NB_CFG;
}

static u64 *lg_msr_slot(struct lg_vcpu *vcpu, u32 msr)
{
	struct vmcb_save_area *s = &vcpu->vmcb->save;

	switch (msr) {
	case MSR_STAR:
		return &s->star;
	case MSR_LSTAR:
		return &s->lstar;
	case MSR_CSTAR:
		return &s->cstar;
	case MSR_SYSCALL_MASK:
		return &s->sfmask;
	case MSR_KERNEL_GS_BASE:
		return &s->kernel_gs_base;
	case MSR_FS_BASE:
		return &s->fs.base;
	case MSR_GS_BASE:
		return &s->gs.base;
	case MSR_IA32_SYSENTER_CS:
		return &s->sysenter_cs;
	case MSR_IA32_SYSENTER_ESP:
		return &s->sysenter_esp;
	case MSR_IA32_SYSENTER_EIP:
		return &s->sysenter_eip;
	case MSR_IA32_CR_PAT:
		return &s->g_pat;
	case MSR_IA32_MISC_ENABLE:
		return &vcpu->misc_enable;
	}
	return NULL;
}

/*H:442
 * Time.  A guest Linux keeps the TSC as its clock only if it can trust
 * it.  Its clocksource watchdog compares the TSC with a slower clock (in
 * our guests, jiffies: the PIT's ticks) and, when the two disagree by
 * more than a few hundred microseconds, drops the TSC for good: "TSC
 * found unstable after boot".  Under emulation, and on a busy host, it is
 * the ticks that are late, not the TSC.  Linux 6.1 turns that watchdog
 * off when the CPU says its TSC is invariant (CPUID 0x80000007 EDX bit 8)
 * and has TSC_ADJUST, the MSR through which any write to the TSC would
 * show (Intel's design; AMD CPUs have it since Zen 4).  A guest with
 * several CPUs needs the first bit even more: without it, Linux on AMD
 * takes the TSCs of more than one CPU for unsynchronized at boot.
 *
 * Both are ours to say.  The guest's TSC is the host's plus an offset,
 * and every CPU we run on (SVM with nested paging: family 10h and later)
 * has a TSC that keeps one rate in every P- and C-state; a hypervisor
 * under us may hide that bit (QEMU's TCG does) without changing the
 * TSC it gives.  TSC_ADJUST holds how far the guest moved its TSC, and
 * a write moves it, through the VMCB's TSC offset.
 *
 * On an AMD CPU with an invariant TSC, Linux also reads HWCR to see that
 * the TSC counts at the P0 frequency (TscFreqSel, bit 24), or it warns of
 * a firmware bug.  It does: HWCR reads just that, and refuses any change.
 */
#define LG_MSR_TSC_ADJUST	0x3b
#define LG_MSR_HWCR		0xc0010015
#define LG_HWCR_TSC_FREQ_SEL	BIT_ULL(24)

/* The guest's TSC on this vCPU now: the host's plus its offset. */
u64 lg_guest_tsc(struct lg_vcpu *vcpu)
{
	return rdtsc() + vcpu->vmcb->control.tsc_offset;
}

/* The guest's TSC rate, the host's (H:065), or 0 if the host has none. */
unsigned int lg_tsc_khz(void)
{
	return tsc_khz;
}

static int lg_rdmsr(struct lg_vcpu *vcpu, u32 msr, u64 *val)
{
	u64 *slot = lg_msr_slot(vcpu, msr);
	int err = lg_apic_msr(vcpu, msr, false, val);

	if (err != -ENOENT)
		return err;
	if (slot)
		*val = *slot;
	else if (msr == MSR_EFER)
		*val = vcpu->vmcb->save.efer & ~(u64)EFER_SVME;
	else if (msr == MSR_IA32_TSC)
		*val = lg_guest_tsc(vcpu);
	else if (msr == LG_MSR_TSC_ADJUST)
		*val = vcpu->tsc_adjust;
	else if (msr == LG_MSR_HWCR)
		*val = LG_HWCR_TSC_FREQ_SEL;
	else if (lg_msr_reads_zero(msr))
		*val = 0;
	else
		return -EINVAL;
	return 0;
}

/*
 * EFER as the CPU takes it: only bits the guest has, LMA read-only (the
 * CPU sets it with paging, from LME), and LME fixed while paging is on.
 * A write that breaks these is #GP, as on the CPU; taken as it was, it
 * would make the next VMRUN fail on a state the guest could not have.
 */
static bool lg_efer_ok(const struct vmcb_save_area *s, u64 val)
{
	if (val & ~LG_EFER_ALLOWED)
		return false;
	return !((s->cr0 & X86_CR0_PG) && ((val ^ s->efer) & EFER_LME));
}

/* Move the guest's TSC by delta; TSC_ADJUST says by how much in all. */
static void lg_move_tsc(struct lg_vcpu *vcpu, u64 delta)
{
	vcpu->vmcb->control.tsc_offset += delta;
	vcpu->tsc_adjust += delta;
}

static int lg_wrmsr(struct lg_vcpu *vcpu, u32 msr, u64 val)
{
	u64 *slot = lg_msr_slot(vcpu, msr);
	int err = lg_apic_msr(vcpu, msr, true, &val);

	if (err != -ENOENT)
		return err;
	if (slot)
		*slot = val;
	else if (msr == MSR_EFER && lg_efer_ok(&vcpu->vmcb->save, val))
		vcpu->vmcb->save.efer = (val & ~EFER_LMA) | EFER_SVME |
					(vcpu->vmcb->save.efer & EFER_LMA);
	else if (msr == MSR_IA32_TSC)
		lg_move_tsc(vcpu, val - lg_guest_tsc(vcpu));
	else if (msr == LG_MSR_TSC_ADJUST)
		lg_move_tsc(vcpu, val - vcpu->tsc_adjust);
	else if (msr == LG_MSR_HWCR && val == LG_HWCR_TSC_FREQ_SEL)
		;	/* what it reads: no change */
	else if (!lg_msr_reads_zero(msr))
		return -EINVAL;
	return 0;
}

static int lg_handle_msr(struct lg_vcpu *vcpu)
{
	struct vmcb *vmcb = vcpu->vmcb;
	u32 msr = vcpu->regs[LG_RCX];
	u64 val;
	int err;

	if (vmcb->control.exit_info_1) {
		val = (vmcb->save.rax & 0xffffffff) |
			(vcpu->regs[LG_RDX] << 32);
		err = lg_wrmsr(vcpu, msr, val);
	} else {
		err = lg_rdmsr(vcpu, msr, &val);
		if (!err) {
			vmcb->save.rax = (u32)val;
			vcpu->regs[LG_RDX] = val >> 32;
		}
	}
	if (err)
		lg_inject_exception(vcpu, LG_EXCP_GP, true);
	else
		lg_skip_insn(vcpu, 2);
	return 0;
}

/*H:450
 * HLT.  With interrupts disabled a halted CPU never wakes: that is how a
 * guest says "I am done" (poweroff ends that way without ACPI), so the
 * launcher hears LGUEST_EXIT_HALT.  With interrupts enabled, the guest is
 * idle until the next interrupt: we note that and sleep in the RUN loop
 * until the PIC or the CPU's APIC has something for it.  In a guest with
 * APICs only the boot CPU's HLT with interrupts off ends the guest: the
 * others halt that way when Linux takes them offline or stops them, and
 * wait, as a real AP does, for an NMI or the INIT that starts them again.
 */
static int lg_handle_hlt(struct lg_vcpu *vcpu, struct lguest_run *run)
{
	lg_skip_insn(vcpu, 1);
	if (lg_dead(vcpu->lg))
		return 0;
	/* A single-step #DB for the HLT itself comes first (H:425). */
	if (vcpu->vmcb->control.event_inj & SVM_EVTINJ_VALID)
		return 0;
	vcpu->halt_irqs_off = !(vcpu->vmcb->save.rflags & X86_EFLAGS_IF);
	if (vcpu->halt_irqs_off && (vcpu->id == 0 || !vcpu->lg->apics)) {
		run->exit_reason = LGUEST_EXIT_HALT;
		return 1;
	}
	if (vcpu->halt_irqs_off ||
	    (!lg_interrupt_pending(vcpu) && !lg_irq_in_flight(vcpu)))
		vcpu->halted = true;
	return 0;
}

/* What wakes a CPU from its HLT (H:450). */
static bool lg_hlt_wakes(struct lg_vcpu *vcpu)
{
	return lg_vcpu_event_pending(vcpu) ||
	       (!vcpu->halt_irqs_off && lg_interrupt_pending(vcpu));
}

/*H:460
 * Port I/O.  The exit information tells us everything: port, size,
 * direction, and where the next instruction starts (EXITINFO2), which is
 * how we step over IN and OUT without decoding them.  The PIC and PIT
 * ports we handle here under the lock; every other port goes to the
 * launcher.  An IN is finished when the launcher calls RUN again with the
 * value.  String I/O (INS, OUTS, REP) would need the guest's memory and
 * segment state; Linux's drivers for our devices do not use it, so a guest
 * that does is killed with a clear reason rather than half-served.
 */
static int lg_handle_io(struct lg_vcpu *vcpu, struct lguest_run *run)
{
	struct lguest *lg = vcpu->lg;
	struct vmcb *vmcb = vcpu->vmcb;
	u64 info = vmcb->control.exit_info_1;
	u16 port = info >> 16;
	bool is_in = info & SVM_IOIO_TYPE_MASK;
	unsigned int size = (info & BIT(4)) ? 1 : (info & BIT(5)) ? 2 : 4;
	u64 mask = size == 4 ? 0xffffffffULL : (1ULL << (size * 8)) - 1;
	unsigned long flags;
	u8 val;

	vcpu->stats[LGUEST_STAT_EXIT_IO]++;
	if (info & (SVM_IOIO_STR_MASK | SVM_IOIO_REP_MASK)) {
		lg_kill(vcpu, "string or REP port I/O on port %#x is not supported",
			port);
		return 0;
	}
	if (lg_pic_owns_port(port) || lg_pit_owns_port(port)) {
		val = vmcb->save.rax;
		spin_lock_irqsave(&lg->lock, flags);
		if (lg_pic_owns_port(port)) {
			lg_pic_io(&lg->pic, port, !is_in, &val);
		} else {
			lg_pit_io(&lg->pit, port, !is_in, &val, ktime_get_ns());
			lg_pit_update_timer(lg);
		}
		spin_unlock_irqrestore(&lg->lock, flags);
		if (is_in)
			vmcb->save.rax = (vmcb->save.rax & ~mask) | (mask & ~0xffULL) | val;
		lg_step_to(vcpu, vmcb->control.exit_info_2);
		return 0;
	}

	vcpu->stats[LGUEST_STAT_EXIT_IO_USER]++;
	run->exit_reason = LGUEST_EXIT_IO;
	run->io.port = port;
	run->io.size = size;
	run->io.is_write = !is_in;
	run->io.data = is_in ? 0 : vmcb->save.rax & mask;
	if (is_in) {
		vcpu->pending = LG_PENDING_IN;
		vcpu->pending_io_size = size;
		vcpu->pending_next_rip = vmcb->control.exit_info_2;
	} else {
		lg_step_to(vcpu, vmcb->control.exit_info_2);
	}
	return 1;
}

/*H:470
 * MMIO.  A nested page fault above the end of RAM is a device access.  The
 * CPU tells us the guest-physical address but not what the instruction
 * wanted to do (this CPU has no decode assists), so we read the instruction
 * ourselves: the guest's RIP is a virtual address, which we translate with
 * the guest's own page tables (walk.c), reading guest memory through the
 * launcher's mapping.  decode.c tells us the size, direction, register and
 * length.  A write bound to an ioeventfd is signalled here and the guest
 * continues, and so does a read or an ACK of a virtio-mmio interrupt
 * status that an irqfd keeps (H:335); anything else goes to the launcher
 * as LGUEST_EXIT_MMIO, and a read is completed into the right register on
 * the next RUN.
 */
/* Is the guest running 64-bit code (so CS has no base)? */
static bool lg_long_mode_code(const struct vmcb_save_area *s)
{
	return (s->efer & EFER_LMA) && (s->cs.attrib & SVM_SELECTOR_L_MASK);
}

static int lg_read_guest_virt(struct lg_vcpu *vcpu, u64 gva, u8 *buf,
			      unsigned int len)
{
	struct vmcb_save_area *s = &vcpu->vmcb->save;
	unsigned int done = 0, chunk;
	u64 gpa;

	while (done < len) {
		if (lg_walk(s->cr0, s->cr3, s->cr4, s->efer, gva + done,
			    lg_read_phys, vcpu->lg, &gpa))
			break;
		chunk = min_t(unsigned int, len - done,
			      PAGE_SIZE - ((gva + done) & ~PAGE_MASK));
		if (lg_read_phys(vcpu->lg, gpa, buf + done, chunk))
			break;
		done += chunk;
	}
	return done;
}

/*
 * The bytes of the guest's instruction at RIP, as many of the 15 an
 * instruction may have as can be read; *at is the address they came from.
 * Outside 64-bit code that is CS's base plus RIP, in 32 bits as on the CPU.
 */
static int lg_fetch_insn(struct lg_vcpu *vcpu, u8 *bytes, u64 *at)
{
	const struct vmcb_save_area *s = &vcpu->vmcb->save;

	*at = lg_long_mode_code(s) ? s->rip : (u32)(s->rip + s->cs.base);
	return lg_read_guest_virt(vcpu, *at, bytes, LG_INSN_BYTES);
}

/* Put an MMIO read's data in its register and step past the instruction. */
static void lg_mmio_complete(struct lg_vcpu *vcpu, const struct lg_mmio_insn *insn,
			     const u8 *data)
{
	struct vmcb_save_area *s = &vcpu->vmcb->save;

	vcpu->regs[LG_RAX] = s->rax;
	vcpu->regs[LG_RSP] = s->rsp;
	lg_mmio_complete_read(insn, vcpu->regs, data);
	s->rax = vcpu->regs[LG_RAX];
	s->rsp = vcpu->regs[LG_RSP];
	lg_step_to(vcpu, s->rip + insn->length);
}

/* A read lg.ko answers itself (H:335, H:815), in little-endian bytes. */
static void lg_mmio_finish_read(struct lg_vcpu *vcpu,
				const struct lg_mmio_insn *insn, u64 value)
{
	u8 data[8];

	memcpy(data, &value, sizeof(value));	/* x86: LE */
	lg_mmio_complete(vcpu, insn, data);
}

static int lg_handle_mmio(struct lg_vcpu *vcpu, u64 gpa, struct lguest_run *run)
{
	struct vmcb_save_area *s = &vcpu->vmcb->save;
	struct lg_mmio_insn insn;
	u8 bytes[LG_INSN_BYTES];
	u64 rip, value;
	u32 status;
	int avail;

	vcpu->stats[LGUEST_STAT_EXIT_MMIO]++;
	/* decode.c knows 64-bit code only; Linux touches MMIO from nothing else. */
	if (!lg_long_mode_code(s)) {
		lg_kill(vcpu, "MMIO at %#llx from %u-bit code at %#llx is not supported",
			gpa, (s->cr0 & X86_CR0_PE) ? 32 : 16, s->rip);
		return 0;
	}
	avail = lg_fetch_insn(vcpu, bytes, &rip);
	if (avail <= 0) {
		lg_kill(vcpu, "MMIO at %#llx by an instruction at %#llx that cannot be read",
			gpa, rip);
		return 0;
	}
	if (lg_decode_mmio(bytes, avail, &insn)) {
		lg_kill(vcpu, "cannot decode the MMIO instruction at %#llx (%*ph) touching %#llx",
			rip, min(avail, 8), bytes, gpa);
		return 0;
	}
	vcpu->regs[LG_RAX] = s->rax;
	vcpu->regs[LG_RSP] = s->rsp;
	if (insn.is_write) {
		value = lg_mmio_write_value(&insn, vcpu->regs);
		lg_step_to(vcpu, s->rip + insn.length);
		if (lg_apic_mmio(vcpu, gpa, insn.size, true, &value))
			return 0;
		if (lg_ioeventfd_signal(vcpu->lg, gpa, insn.size, value)) {
			vcpu->stats[LGUEST_STAT_IOEVENTFD]++;
			return 0;
		}
		if (lg_isr_ack(vcpu->lg, gpa, insn.size, value)) {
			vcpu->stats[LGUEST_STAT_ISR_ACKS]++;
			return 0;
		}
	} else {
		if (lg_apic_mmio(vcpu, gpa, insn.size, false, &value)) {
			lg_mmio_finish_read(vcpu, &insn, value);
			return 0;
		}
		if (lg_isr_read(vcpu->lg, gpa, insn.size, &status)) {
			vcpu->stats[LGUEST_STAT_ISR_READS]++;
			lg_mmio_finish_read(vcpu, &insn, status);
			return 0;
		}
		value = 0;
		vcpu->pending = LG_PENDING_MMIO_READ;
		vcpu->pending_insn = insn;
	}
	vcpu->stats[LGUEST_STAT_EXIT_MMIO_USER]++;
	run->exit_reason = LGUEST_EXIT_MMIO;
	run->mmio.addr = gpa;
	run->mmio.len = insn.size;
	run->mmio.is_write = insn.is_write;
	memset(run->mmio.pad, 0, sizeof(run->mmio.pad));
	memcpy(run->mmio.data, &value, sizeof(run->mmio.data));	/* x86: LE */
	return 1;
}

/*H:492
 * Exceptions we take only to give back.  A #DB or #AC that the CPU raises
 * while delivering the same exception (a breakpoint on the guest's own
 * stack, an unaligned stack with alignment checks on) would be raised
 * again by that delivery, and again, inside the CPU, where no interrupt
 * and no NMI can stop it: the host CPU would be lost for good
 * (CVE-2015-8104, CVE-2015-5307).  Intercepted, each one comes out here
 * first, so the host runs between any two of them, and we hand it to the
 * guest with EVENTINJ: a guest that loops this way loops through us, like
 * any other busy guest.  The CPU has already updated the guest's DR6 for
 * a #DB.  An exception that came while we were giving the guest another
 * event to deliver (H:480) would need both to be merged as the CPU does;
 * no guest we run does that, so that one is a kill, not a guess.
 */
static int lg_reflect_exception(struct lg_vcpu *vcpu, u8 vector, bool has_error)
{
	vcpu->stats[LGUEST_STAT_EXIT_EXCEPTION]++;
	if (vcpu->vmcb->control.event_inj & SVM_EVTINJ_VALID) {
		lg_kill(vcpu, "exception %u while delivering event %#x at rip %#llx",
			vector, vcpu->vmcb->control.event_inj, vcpu->vmcb->save.rip);
		return 0;
	}
	if (vector == LG_EXCP_DB)
		lg_inject_db(vcpu);
	else
		lg_inject_exception(vcpu, vector, has_error);
	return 0;
}

/*H:495
 * The debug registers.  Left alone, they are the host's: a guest reading
 * DR0 would see where the launcher's debugger (or perf) watches, and
 * writing DR7 would arm the host's addresses.  So every MOV to or from a
 * debug register exits, and the guest gets a set of its own: DR0-DR3 and
 * DR7 in struct lg_vcpu, DR6 in the VMCB, where the CPU records the guest's
 * own #DBs.  Its breakpoints still work: when its DR7 enables one, its
 * DR0-DR3 go into the CPU just before VMRUN, and the host's come back
 * after (H:422).  DR4 and DR5 are DR6 and DR7 again unless CR4.DE makes
 * them #UD; DR7's GD bit turns the next access into a #DB, as on the CPU.
 */
static int lg_handle_dr(struct lg_vcpu *vcpu, unsigned int dr, bool is_write)
{
	struct vmcb_save_area *s = &vcpu->vmcb->save;
	bool wide = lg_long_mode_code(s);
	u8 bytes[LG_INSN_BYTES];
	struct lg_movreg_insn insn;
	u64 rip, val;
	int avail;

	vcpu->stats[LGUEST_STAT_EXIT_DR]++;
	avail = lg_fetch_insn(vcpu, bytes, &rip);
	if (lg_decode_mov_dr(bytes, avail, &insn) ||
	    insn.is_write != is_write || (insn.reg & 7) != dr) {
		lg_kill(vcpu, "cannot decode the debug register access at %#llx (%*ph)",
			rip, min(avail, 8), bytes);
		return 0;
	}
	if (insn.reg > 7 || ((dr == 4 || dr == 5) && (s->cr4 & X86_CR4_DE))) {
		lg_inject_exception(vcpu, LG_EXCP_UD, false);
		return 0;
	}
	if (vcpu->dr7 & LG_DR7_GD) {
		s->dr6 |= LG_DR6_BD;
		lg_inject_db(vcpu);
		return 0;
	}
	if (dr == 4 || dr == 5)
		dr += 2;
	vcpu->regs[LG_RAX] = s->rax;
	vcpu->regs[LG_RSP] = s->rsp;
	if (is_write) {
		val = wide ? vcpu->regs[insn.gpr] : (u32)vcpu->regs[insn.gpr];
		if (dr >= 6 && val >> 32) {
			lg_inject_exception(vcpu, LG_EXCP_GP, true);
			return 0;
		}
		if (dr < 4)
			vcpu->db[dr] = val;
		else if (dr == 6)
			s->dr6 = (val & LG_DR6_BITS) | LG_DR6_FIXED;
		else
			vcpu->dr7 = (val & LG_DR7_BITS) | LG_DR7_FIXED;
	} else {
		val = dr < 4 ? vcpu->db[dr] : dr == 6 ? s->dr6 : vcpu->dr7;
		vcpu->regs[insn.gpr] = wide ? val : (u32)val;
		s->rax = vcpu->regs[LG_RAX];
		s->rsp = vcpu->regs[LG_RSP];
	}
	lg_skip(vcpu, insn.length);
	return 0;
}

/*H:497
 * CR4.  Most of its bits change how the guest's own CPU behaves, and the
 * VMCB switches them for us.  A few switch on state that the world switch
 * does not move: OSXSAVE opens the YMM, AVX-512 and opmask registers (and
 * XGETBV), whose contents another task or the host's crypto left there,
 * since we carry only the 512 bytes FXSAVE covers (H:420); PKE makes
 * WRPKRU write the PKRU register, which would still hold the guest's
 * value when the launcher went back to user mode.  The guest's CPUID says
 * none of it exists (H:430), and a real CPU raises #GP for a CR4 bit its
 * CPUID does not show.  So do we: every write to CR4 exits, and a bit the
 * guest's CPUID does not offer (lg_cr4_valid), or a change the CPU itself
 * forbids (leaving PAE in long mode; PCIDE outside long mode or with a
 * nonzero PCID in CR3), is #GP.  The alternative is KVM's: give the guest
 * XSAVE, with its own XCR0, and switch all of the extended state and
 * PKRU on every entry and exit.  It is more code to trust than a guest
 * that needs none of it is worth.  CR0 needs no such care: none of its
 * bits opens state the switch leaves behind.
 */
static bool lg_cr4_allowed(const struct vmcb_save_area *s, u64 val)
{
	bool long_mode = s->efer & EFER_LMA;

	if (val & ~lg_cr4_valid)
		return false;
	if (long_mode && !(val & X86_CR4_PAE))
		return false;
	if ((val & X86_CR4_PCIDE) && !(s->cr4 & X86_CR4_PCIDE) &&
	    (!long_mode || (s->cr3 & 0xfff)))
		return false;
	return true;
}

static int lg_handle_cr4_write(struct lg_vcpu *vcpu)
{
	struct vmcb_save_area *s = &vcpu->vmcb->save;
	struct lg_movreg_insn insn;
	u8 bytes[LG_INSN_BYTES];
	u64 rip, val;
	int avail;

	vcpu->stats[LGUEST_STAT_EXIT_CR4]++;
	avail = lg_fetch_insn(vcpu, bytes, &rip);
	if (lg_decode_mov_cr(bytes, avail, &insn) || !insn.is_write ||
	    insn.reg != 4) {
		lg_kill(vcpu, "cannot decode the CR4 write at %#llx (%*ph)",
			rip, min(avail, 8), bytes);
		return 0;
	}
	vcpu->regs[LG_RAX] = s->rax;
	vcpu->regs[LG_RSP] = s->rsp;
	val = vcpu->regs[insn.gpr];
	if (!lg_long_mode_code(s))
		val = (u32)val;
	if (s->cpl || !lg_cr4_allowed(s, val)) {
		lg_inject_exception(vcpu, LG_EXCP_GP, true);
		return 0;
	}
	s->cr4 = val;
	lg_skip(vcpu, insn.length);
	return 0;
}

/*H:475
 * The error code of a nested page fault says which access it was:
 * the guest's own instruction (the final address) or the CPU walking the
 * guest's page tables on its behalf.  A walk that leaves RAM means the
 * guest's page tables (or CR3) point at nothing we have: no instruction
 * is there to emulate, and the CPU cannot go on.  The guest has broken
 * its own memory; we stop it and say where its tables pointed.  So has a
 * guest whose IDT, GDT or stack lies in MMIO space: the access came from
 * delivering an event (EXITINTINFO says which), and the instruction at
 * RIP, which we would decode and complete, never made it.
 */
#define LG_NPF_IN_WALK	BIT_ULL(33)

static int lg_handle_npf(struct lg_vcpu *vcpu, struct lguest_run *run)
{
	u64 gpa = vcpu->vmcb->control.exit_info_2;
	u64 code = vcpu->vmcb->control.exit_info_1;
	bool ram = lg_gpa_is_ram(vcpu->lg, gpa);
	int err;

	if (!ram && (code & LG_NPF_IN_WALK)) {
		lg_kill(vcpu, "page tables outside guest RAM (%#llx, cr3 %#llx, rip %#llx)",
			gpa, vcpu->vmcb->save.cr3, vcpu->vmcb->save.rip);
		return 0;
	}
	if (!ram && (vcpu->vmcb->control.exit_int_info & SVM_EXITINTINFO_VALID)) {
		lg_kill(vcpu, "delivering event %#x touched MMIO at %#llx (rip %#llx)",
			vcpu->vmcb->control.exit_int_info, gpa,
			vcpu->vmcb->save.rip);
		return 0;
	}
	if (!ram)
		return lg_handle_mmio(vcpu, gpa, run);
	vcpu->stats[LGUEST_STAT_EXIT_NPF]++;
	err = lg_map_guest_page(vcpu->lg, gpa);
	if (!err) {
		vcpu->npf_retry_gpa = 0;
		return 0;
	}
	/*
	 * Another CPU may have mapped the page between our fault and our
	 * taking mem_lock: enter again, once; the TLB is flushed on every
	 * entry (H:420), so a second fault there is not that (H:225).
	 */
	if (err == -EEXIST && vcpu->npf_retry_gpa != ((gpa & PAGE_MASK) | 1)) {
		vcpu->npf_retry_gpa = (gpa & PAGE_MASK) | 1;
		return 0;
	}
	if (err == -EEXIST)
		lg_kill(vcpu, "nested page fault at mapped RAM %#llx (error %#llx)",
			gpa, vcpu->vmcb->control.exit_info_1);
	else if (err == -ENOMEM || err == -EINTR)
		return err;	/* RUN fails; the fault comes again after */
	else if (err)
		lg_kill(vcpu, "guest RAM at %#llx is not backed by the launcher (%d)",
			gpa, err);
	return 0;
}

/*H:480
 * After every exit, first things first: if the guest left in the middle of
 * delivering an event (say the IDT or the stack touched a page we had not
 * mapped yet), the CPU tells us in EXITINTINFO, and we inject the same
 * event again on the next entry.  Software interrupts (INT n) are not
 * replayed: the guest's RIP still points at the instruction, which simply
 * runs again.
 */
static void lg_requeue_event(struct lg_vcpu *vcpu)
{
	struct vmcb_control_area *c = &vcpu->vmcb->control;
	u32 type = c->exit_int_info & SVM_EXITINTINFO_TYPE_MASK;
	u8 vector = c->exit_int_info & SVM_EXITINTINFO_VEC_MASK;

	c->event_inj = 0;
	if (!(c->exit_int_info & SVM_EXITINTINFO_VALID))
		return;
	if (type == SVM_EXITINTINFO_TYPE_SOFT)
		return;
	/*
	 * An interrupt: ours, from V_IRQ, so hand it over the same way again
	 * (H:400).  Debian's stock QEMU 7.2 records an interrupt it was
	 * delivering from V_IRQ as an exception (the test host's QEMU has
	 * that fixed, tests/vm/qemu/patches/0003); but exceptions have
	 * vectors below 32, and an exception with a vector above that makes
	 * VMRUN fail, so such a record can only be an interrupt.
	 */
	if (type == SVM_EXITINTINFO_TYPE_INTR ||
	    (type == SVM_EXITINTINFO_TYPE_EXEPT && vector >= 32)) {
		c->int_vector = vector;
		lg_request_virq(vcpu->vmcb);
		lg_no_intercept(vcpu->vmcb, INTERCEPT_VINTR);
		vcpu->irq_handed_over = true;
		return;
	}
	c->event_inj = c->exit_int_info;
	c->event_inj_err = c->exit_int_info_err;
}

/*H:485
 * A shutdown is the guest's triple fault: how Linux reboots with
 * reboot=triple, and also how a guest whose exception handling went
 * wrong ends.  The launcher reboots it either way, but it says where the
 * guest was: the instruction, the last page fault's address, the page
 * tables and the event being delivered when the third fault came.  For a
 * deliberate reboot that is noise; for one nobody asked for, it is the
 * only trace.
 *
 * A triple fault at an instruction that cannot fault is a failed walk of
 * the guest's page tables: the fetch of RIP, then the IDT entries (CR2).
 * So we walk both addresses ourselves, in the page tables the guest's
 * state names, reading them as the guest sees them: through the pages
 * the nested page table maps.  "rip->0x1234" is where RIP should have
 * been found; "rip->-" says the tables do not map it (a guest that broke
 * its own tables, or pages the guest never touched).  If the same walk
 * through the launcher's mapping of the same memory ends elsewhere, the
 * line says "(views differ)": that would be RAM changed under the guest.
 */
static int lg_read_guest_view(void *ctx, u64 gpa, void *buf, unsigned int len)
{
	struct lguest *lg = ctx;
	unsigned long pfn = gpa >> PAGE_SHIFT;
	struct page *pinned;
	void *page;

	if (gpa >= lg->mem_size || offset_in_page(gpa) + len > PAGE_SIZE)
		return -EFAULT;
	/* Another vCPU may be mapping it: a page, once there, stays. */
	pinned = READ_ONCE(lg->pinned[pfn]);
	if (!pinned)
		return -EFAULT;
	page = kmap_local_page(pinned);
	memcpy(buf, page + offset_in_page(gpa), len);
	kunmap_local(page);
	return 0;
}

/* Where gva leads by the guest's view (in out), or ~0 if nowhere. */
static bool lg_shutdown_walk(struct lg_vcpu *vcpu, u64 gva, u64 *out)
{
	const struct vmcb_save_area *s = &vcpu->vmcb->save;
	u64 guest, launcher;

	if (lg_walk(s->cr0, s->cr3, s->cr4, s->efer, gva,
		    lg_read_guest_view, vcpu->lg, &guest))
		guest = ~0ULL;
	if (lg_walk(s->cr0, s->cr3, s->cr4, s->efer, gva,
		    lg_read_phys, vcpu->lg, &launcher))
		launcher = ~0ULL;
	*out = guest;
	return guest == launcher;
}

static void lg_shutdown_state(struct lg_vcpu *vcpu, struct lguest_run *run)
{
	const struct vmcb_save_area *s = &vcpu->vmcb->save;
	char at_rip[24] = "-", at_cr2[24] = "-";
	u64 rip_gpa, cr2_gpa;
	bool same;

	same = lg_shutdown_walk(vcpu, s->rip, &rip_gpa);
	same &= lg_shutdown_walk(vcpu, s->cr2, &cr2_gpa);
	if (rip_gpa != ~0ULL)
		snprintf(at_rip, sizeof(at_rip), "%#llx", rip_gpa);
	if (cr2_gpa != ~0ULL)
		snprintf(at_cr2, sizeof(at_cr2), "%#llx", cr2_gpa);
	run->exit_reason = LGUEST_EXIT_RESET;
	snprintf(run->reason, sizeof(run->reason),
		 "triple fault: rip %#llx->%s cr2 %#llx->%s cr3 %#llx event %#x%s",
		 s->rip, at_rip, s->cr2, at_cr2, s->cr3,
		 vcpu->vmcb->control.exit_int_info, same ? "" : " (views differ)");
}

/*H:487
 * A sanity check that costs one comparison.  The guest's state after an
 * exit must be the guest's: a CR3 equal to the host's own, at an address
 * inside lg_vmrun(), can only mean the CPU stored the host's state where
 * the guest's belongs (under QEMU's emulated SVM we have seen exactly
 * that).  Running on would run the guest on the host's page tables, so we
 * stop it and say so, but not where: the host's addresses are not the
 * launcher's to read, in the reason or through GETREGS, so the save area
 * goes back to reset.  A VMRUN the CPU refused is told apart first (QEMU
 * then stores the host's state too, and the save area is reset as well).
 */
static bool lg_state_is_host(struct lg_vcpu *vcpu)
{
	const struct vmcb_save_area *s = &vcpu->vmcb->save;

	return s->cr3 == vcpu->host_cr3 &&
	       s->rip - (unsigned long)lg_vmrun < 0x200;
}

/* Returns 1 to go back to the launcher, 0 to enter the guest again. */
static int lg_handle_exit(struct lg_vcpu *vcpu, struct lguest_run *run)
{
	struct vmcb *vmcb = vcpu->vmcb;
	u32 code = vmcb->control.exit_code;

	vcpu->stats[LGUEST_STAT_EXITS]++;
	if (unlikely(code == (u32)SVM_EXIT_ERR)) {
		lg_kill(vcpu, "the CPU refused the guest's state (VMRUN failed): check SETREGS");
		if (lg_state_is_host(vcpu))
			lg_reset_save_area(&vmcb->save);
		return 0;
	}
	if (unlikely(lg_state_is_host(vcpu))) {
		lg_kill(vcpu, "host state in the guest's VMCB (exit %#x)", code);
		lg_reset_save_area(&vmcb->save);
		return 0;
	}
	lg_requeue_event(vcpu);
	/* Past the IRET that ends an NMI handler: NMIs again (H:840). */
	if (vcpu->nmi_iret && vmcb->save.rip != vcpu->nmi_iret_rip) {
		vcpu->nmi_iret = false;
		vcpu->nmi_masked = false;
	}
	lg_sync_tpr(vcpu);
	switch (code) {
	case SVM_EXIT_INTR:
	case SVM_EXIT_NMI:
		vcpu->stats[LGUEST_STAT_EXIT_INTR]++;
		return 0;
	case SVM_EXIT_VINTR:
		vcpu->stats[LGUEST_STAT_EXIT_VINTR]++;
		return 0;
	case SVM_EXIT_IRET:
		vcpu->stats[LGUEST_STAT_EXIT_IRET]++;
		vcpu->nmi_iret = true;
		vcpu->nmi_iret_rip = vmcb->save.rip;
		lg_no_intercept(vmcb, INTERCEPT_IRET);
		return 0;
	case SVM_EXIT_CPUID:
		vcpu->stats[LGUEST_STAT_EXIT_CPUID]++;
		return lg_handle_cpuid(vcpu);
	case SVM_EXIT_MSR:
		vcpu->stats[LGUEST_STAT_EXIT_MSR]++;
		return lg_handle_msr(vcpu);
	case SVM_EXIT_HLT:
		vcpu->stats[LGUEST_STAT_EXIT_HLT]++;
		return lg_handle_hlt(vcpu, run);
	case SVM_EXIT_IOIO:
		return lg_handle_io(vcpu, run);
	case SVM_EXIT_NPF:
		return lg_handle_npf(vcpu, run);
	case SVM_EXIT_SHUTDOWN:
		vcpu->stats[LGUEST_STAT_EXIT_OTHER]++;
		lg_shutdown_state(vcpu, run);
		/*
		 * The VMCB is undefined now: no RUN before SETREGS, here or
		 * on any other CPU of the guest (H:045).
		 */
		lg_reset_guest(vcpu, run->reason);
		return 1;
	case SVM_EXIT_EXCP_BASE + LG_EXCP_DB:
		return lg_reflect_exception(vcpu, LG_EXCP_DB, false);
	case SVM_EXIT_EXCP_BASE + LG_EXCP_AC:
		return lg_reflect_exception(vcpu, LG_EXCP_AC, true);
	case SVM_EXIT_EXCP_BASE + LG_EXCP_MC:
		/* The host's: handled in lg_world_switch() (H:422). */
		vcpu->stats[LGUEST_STAT_EXIT_EXCEPTION]++;
		return 0;
	case SVM_EXIT_READ_DR0 ... SVM_EXIT_READ_DR0 + 7:
		return lg_handle_dr(vcpu, code - SVM_EXIT_READ_DR0, false);
	case SVM_EXIT_WRITE_DR0 ... SVM_EXIT_WRITE_DR0 + 7:
		return lg_handle_dr(vcpu, code - SVM_EXIT_WRITE_DR0, true);
	case SVM_EXIT_WRITE_CR4:
		return lg_handle_cr4_write(vcpu);
	case SVM_EXIT_INVD:
	case SVM_EXIT_WBINVD:
		/* Our caches are coherent with the host's: nothing to do. */
		vcpu->stats[LGUEST_STAT_EXIT_OTHER]++;
		lg_skip_insn(vcpu, 2);
		return 0;
	case SVM_EXIT_RDPMC:
		/* No performance counters (CPUID says so): #GP. */
		vcpu->stats[LGUEST_STAT_EXIT_OTHER]++;
		lg_inject_exception(vcpu, LG_EXCP_GP, true);
		return 0;
	case SVM_EXIT_RDTSCP:
	case SVM_EXIT_RDPRU:
	case SVM_EXIT_VMRUN:
	case SVM_EXIT_VMMCALL:
	case SVM_EXIT_VMLOAD:
	case SVM_EXIT_VMSAVE:
	case SVM_EXIT_STGI:
	case SVM_EXIT_CLGI:
	case SVM_EXIT_SKINIT:
	case SVM_EXIT_INVLPGA:
	case SVM_EXIT_MONITOR:
	case SVM_EXIT_MWAIT:
	case SVM_EXIT_XSETBV:
		vcpu->stats[LGUEST_STAT_EXIT_OTHER]++;
		lg_inject_exception(vcpu, LG_EXCP_UD, false);
		return 0;
	}
	vcpu->stats[LGUEST_STAT_EXIT_OTHER]++;
	lg_kill(vcpu, "unexpected exit %#x (info %#llx, %#llx) at rip %#llx",
		code, vmcb->control.exit_info_1, vmcb->control.exit_info_2,
		vmcb->save.rip);
	return 0;
}

/*H:490
 * Coming back into RUN after the launcher did its part: an IN gets its
 * value (a 4-byte IN clears the top of RAX, as the CPU would), an MMIO read
 * gets its data in whatever register the instruction named, and the guest
 * steps past the instruction.
 */
static void lg_complete_pending(struct lg_vcpu *vcpu, const struct lguest_run *run)
{
	struct vmcb_save_area *s = &vcpu->vmcb->save;
	u64 mask;

	switch (vcpu->pending) {
	case LG_PENDING_IN:
		if (vcpu->pending_io_size == 4) {
			s->rax = run->io.data;
		} else {
			mask = (1ULL << (vcpu->pending_io_size * 8)) - 1;
			s->rax = (s->rax & ~mask) | (run->io.data & mask);
		}
		lg_step_to(vcpu, vcpu->pending_next_rip);
		break;
	case LG_PENDING_MMIO_READ:
		lg_mmio_complete(vcpu, &vcpu->pending_insn, run->mmio.data);
		break;
	case LG_PENDING_NONE:
		break;
	}
	vcpu->pending = LG_PENDING_NONE;
}

/*H:050
 * The RUN loop, one vCPU's, in the thread that called RUN on it.  Each
 * time round: if the guest was killed or reset meanwhile (by this CPU or
 * another, H:040, H:045), stop; if this CPU is idle in HLT, sleep until
 * an interrupt is pending for it (or the guest dies or is reset); if a
 * signal is waiting for the launcher, go back to it with -EINTR
 * (everything about the CPU is in the VMCB and in struct lg_vcpu, so RUN
 * simply picks up where it left off); let the scheduler in if it wants;
 * switch to the guest; and handle its exit.  Most exits are dealt with
 * right here and the loop goes round again; the rest fill in struct
 * lguest_run for the launcher.
 */

/*H:830
 * Starting an AP.  In a guest with APICs a CPU other than the first
 * begins its life asleep in RUN, its APIC waiting for a start-up IPI
 * (H:730).  The guest's boot CPU sends INIT and then SIPI with a vector
 * v; lapic.c leaves the vector for us (H:810), and the AP's own RUN, woken
 * by the kick, puts the CPU where a real one starts: in real mode, with
 * CS = v << 8 so that CS:IP 0 is the page at v << 12, where Linux put its
 * trampoline, code that takes the CPU from 16 bits through protected mode
 * to long mode and into the kernel, as on hardware.  Nested paging
 * makes real mode just another mode to SVM: the trampoline's MOVs to CR0,
 * CR3 and CR4 and its WRMSR to EFER go to the CPU or to the same exits
 * as the boot CPU's did.  Everything else starts from reset: the other
 * registers, the FPU, the debug registers, NMI blocking.
 *
 * An INIT sent to the boot CPU would start it at the reset vector, in
 * firmware this platform does not have; it resets the guest instead, as
 * a triple fault does (H:045).
 */
static void lg_start_ap(struct lg_vcpu *vcpu, u8 vector)
{
	struct vmcb *vmcb = vcpu->vmcb;

	lg_reset_save_area(&vmcb->save);
	vmcb->save.cs.selector = LG_SIPI_CS(vector);
	vmcb->save.cs.base = LG_SIPI_BASE(vector);
	vmcb->save.rip = 0;
	vmcb->save.cr0 = X86_CR0_ET | X86_CR0_CD | X86_CR0_NW;
	memset(vcpu->regs, 0, sizeof(vcpu->regs));
	memset(vcpu->fpu, 0, sizeof(*vcpu->fpu));
	*(u16 *)&vcpu->fpu->bytes[0] = 0x37f;
	*(u32 *)&vcpu->fpu->bytes[24] = 0x1f80;
	vmcb->control.int_state = 0;
	vmcb->control.event_inj = 0;
	vmcb->control.int_ctl &= ~V_IRQ_MASK;
	lg_no_intercept(vmcb, INTERCEPT_IRET);
	vcpu->irq_handed_over = false;
	vcpu->pending = LG_PENDING_NONE;
	vcpu->halted = false;
	vcpu->nmi_masked = false;
	vcpu->nmi_iret = false;
	lg_reset_debug_regs(vcpu);
}

enum lg_start { LG_START_NONE, LG_START_SIPI, LG_START_RESET };

/* A start-up vector or a reset the APIC left for this vCPU's RUN. */
static enum lg_start lg_take_start(struct lg_vcpu *vcpu, u8 *vector)
{
	struct lguest *lg = vcpu->lg;
	enum lg_start what = LG_START_NONE;

	if (!lg->apics)
		return LG_START_NONE;
	spin_lock_irq(&lg->lock);
	if (vcpu->init_reset) {
		vcpu->init_reset = false;
		what = LG_START_RESET;
	} else if (vcpu->start_pending) {
		vcpu->start_pending = false;
		*vector = vcpu->start_vector;
		what = LG_START_SIPI;
	}
	spin_unlock_irq(&lg->lock);
	return what;
}

/* Why RUN ends without entering the guest: a kill or a reset (H:045). */
static void lg_stopped(struct lg_vcpu *vcpu, struct lguest_run *run)
{
	struct lguest *lg = vcpu->lg;

	if (lg_dead(lg)) {
		memset(run, 0, sizeof(*run));
		run->exit_reason = LGUEST_EXIT_KILLED;
		strscpy(run->reason, lg->kill_reason, sizeof(run->reason));
	} else if (lg_reset_pending(vcpu)) {
		lg_reset_exit(vcpu, run);
	}
}

int lg_run(struct lg_vcpu *vcpu, struct lguest_run *run)
{
	u8 vector;
	int ret = 0;

	if (vcpu->needs_regs && !lg_must_stop(vcpu)) {
		/*
		 * An AP after a reset waits for its SIPI again: its APIC was
		 * reset with the guest (H:830).
		 */
		if (!vcpu->lg->apics || vcpu->id == 0)
			return -EINVAL;
		vcpu->needs_regs = false;
	}
	vcpu->stats[LGUEST_STAT_RUNS]++;
	if (lg_must_stop(vcpu)) {
		lg_stopped(vcpu, run);
		return 0;
	}
	lg_complete_pending(vcpu, run);
	memset(run, 0, sizeof(*run));
	vcpu->vmcb->control.nested_cr3 = __pa(vcpu->lg->npt_root);
	/* A kicker sees us here, or we see what it kicks us for (H:305). */
	smp_store_mb(vcpu->task, current);
#ifdef CONFIG_PREEMPT_NOTIFIERS
	preempt_notifier_init(&vcpu->leaving, &lg_preempt_ops);
	preempt_disable();
	preempt_notifier_register(&vcpu->leaving);
	preempt_enable();
#endif
	while (!lg_must_stop(vcpu)) {
		if (lg_waits_for_sipi(vcpu)) {
			vcpu->halted = false;
			if (wait_event_interruptible(vcpu->wq,
						     !lg_waits_for_sipi(vcpu) ||
						     lg_must_stop(vcpu))) {
				ret = -EINTR;
				break;
			}
			continue;
		}
		switch (lg_take_start(vcpu, &vector)) {
		case LG_START_SIPI:
			lg_start_ap(vcpu, vector);
			break;
		case LG_START_RESET:
			memset(run, 0, sizeof(*run));
			run->exit_reason = LGUEST_EXIT_RESET;
			strscpy(run->reason, "INIT IPI to the boot CPU",
				sizeof(run->reason));
			lg_reset_guest(vcpu, run->reason);
			ret = 1;
			break;
		case LG_START_NONE:
			break;
		}
		if (ret)
			break;
		if (vcpu->halted) {
			vcpu->stats[LGUEST_STAT_HALTS]++;
			if (wait_event_interruptible(vcpu->wq,
						     lg_hlt_wakes(vcpu) ||
						     lg_must_stop(vcpu))) {
				ret = -EINTR;
				break;
			}
			if (lg_must_stop(vcpu))
				break;
			vcpu->halted = false;
			/* An INIT or a SIPI may have woken it: look again. */
			continue;
		}
		if (signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
		if (!lg_world_switch(vcpu))
			continue;
		ret = lg_handle_exit(vcpu, run);
		if (ret)
			break;
	}
	/* Flushed before the notifier goes, with no preemption between. */
	preempt_disable();
	lg_leave_cpu(vcpu);
#ifdef CONFIG_PREEMPT_NOTIFIERS
	preempt_notifier_unregister(&vcpu->leaving);
#endif
	preempt_enable();
	if (unlikely(READ_ONCE(lg_flush_refused)))
		pr_warn_once("lguest: the CPU refused the flush guest: our ASID is not flushed for KVM\n");
	WRITE_ONCE(vcpu->task, NULL);
	if (ret < 0)
		return ret;
	/* A kill outranks any exit; another CPU's reset waits for one. */
	if (!ret || lg_dead(vcpu->lg))
		lg_stopped(vcpu, run);
	return 0;
}
