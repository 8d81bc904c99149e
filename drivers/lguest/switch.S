/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The world switch: the few dozen instructions between the host and the
 * guest, in assembly because for most of them no C may run (the guest's
 * segment state is loaded, or GIF is clear).
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>

#include "lg_regs.h"

/* A guest register's slot in struct lg_vcpu's regs[]. */
#define REG(r)		(LG_##r * 8)

/* Our three arguments, kept on the stack across VMRUN. */
#define SAVED_VMCB	0
#define SAVED_HOST	8
#define SAVED_REGS	16

/*H:410
 * The switch itself: lg_vmrun(guest VMCB, host save page, guest registers),
 * all physical addresses but the last.  VMRUN saves the host's RIP, RSP,
 * RAX, flags, control registers, EFER and the four classic segments in the
 * VM_HSAVE_PA page, and loads the same from the guest's VMCB; #VMEXIT does
 * the reverse.  Everything else is ours to move:
 *
 * - The other general registers.  We push the host's callee-saved ones,
 *   load the guest's from struct lg_vcpu, and store them back after the
 *   exit.  RAX holds the VMCB's address for VMRUN; the guest's RAX and RSP
 *   live in the VMCB.
 *
 * - FS, GS (with their bases), KernelGSBase, TR, LDTR, the SYSCALL and
 *   SYSENTER MSRs.  VMSAVE stores exactly these from the CPU into a page
 *   and VMLOAD loads them, so: VMSAVE the host's into our per-CPU page,
 *   VMLOAD the guest's from its VMCB, VMRUN, VMSAVE the guest's, VMLOAD the
 *   host's.  Between the first VMLOAD and the last, GS is the guest's: no
 *   C code, no interrupt, no breakpoint, no probe may run there.
 *
 * - Interrupts.  CLGI clears the Global Interrupt Flag, which holds off
 *   every interrupt and NMI until STGI.  We then set IF with STI, because
 *   with V_INTR_MASKING the host's IF at VMRUN decides whether a host
 *   interrupt may stop the guest: VMRUN sets GIF, the interrupt arrives,
 *   the guest exits with SVM_EXIT_INTR and GIF clear again.  We CLI, STGI,
 *   and the interrupt stays pending until our caller enables interrupts,
 *   when the host services it as if it had come a moment later.
 *
 * - The speculation barriers the host's kernel asks for (H:415), as the
 *   kernel's own macros, which it patches at load to what this CPU needs
 *   or to nothing: VERW last before VMRUN; after the exit, before the
 *   first RET and with GIF still clear, the return stack buffer refilled,
 *   the return predictor untrained, an IBPB if the kernel wants one on
 *   every exit, and every register that held a guest value cleared.
 */
	.text
SYM_FUNC_START(lg_vmrun)
	push	%rbp			/* a frame, for unwinders */
	mov	%rsp, %rbp
	push	%r15			/* the host's callee-saved registers */
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rdx			/* SAVED_REGS: the guest's registers */
	push	%rsi			/* SAVED_HOST: our VMSAVE page */
	push	%rdi			/* SAVED_VMCB: the guest's VMCB */

	clgi				/* nothing interrupts us from here... */
	sti				/* ...but a host interrupt ends VMRUN */

	mov	%rsi, %rax
	vmsave	%rax			/* the host's FS, GS, TR, ... */
	mov	SAVED_VMCB(%rsp), %rax
	vmload	%rax			/* the guest's: GS is not ours now */

	mov	%rdx, %rcx		/* the guest's registers, RCX last */
	mov	REG(RBX)(%rcx), %rbx
	mov	REG(RDX)(%rcx), %rdx
	mov	REG(RSI)(%rcx), %rsi
	mov	REG(RDI)(%rcx), %rdi
	mov	REG(RBP)(%rcx), %rbp
	mov	REG(R8)(%rcx), %r8
	mov	REG(R9)(%rcx), %r9
	mov	REG(R10)(%rcx), %r10
	mov	REG(R11)(%rcx), %r11
	mov	REG(R12)(%rcx), %r12
	mov	REG(R13)(%rcx), %r13
	mov	REG(R14)(%rcx), %r14
	mov	REG(R15)(%rcx), %r15
	mov	REG(RCX)(%rcx), %rcx

	VM_CLEAR_CPU_BUFFERS		/* TSA: VERW, if the kernel chose it */
	vmrun	%rax			/* the guest runs until its #VMEXIT */

	vmsave	%rax			/* RAX is the VMCB's address again */
	mov	SAVED_REGS(%rsp), %rax
	mov	%rcx, REG(RCX)(%rax)
	mov	%rdx, REG(RDX)(%rax)
	mov	%rbx, REG(RBX)(%rax)
	mov	%rsi, REG(RSI)(%rax)
	mov	%rdi, REG(RDI)(%rax)
	mov	%rbp, REG(RBP)(%rax)
	mov	%r8, REG(R8)(%rax)
	mov	%r9, REG(R9)(%rax)
	mov	%r10, REG(R10)(%rax)
	mov	%r11, REG(R11)(%rax)
	mov	%r12, REG(R12)(%rax)
	mov	%r13, REG(R13)(%rax)
	mov	%r14, REG(R14)(%rax)
	mov	%r15, REG(R15)(%rax)
	mov	SAVED_HOST(%rsp), %rax
	vmload	%rax			/* the host's GS is back */

	/*
	 * No RET before this: a RET here would speculate to wherever the
	 * guest left the return predictor.  6.12 names the refill's bit
	 * RSB_VMEXIT and folds the IBPB into UNTRAIN_RET_VM; 6.1 keys the
	 * refill on RETPOLINE and has the IBPB separate.  We follow each.
	 */
#ifdef UNTRAIN_RET_VM
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT
	UNTRAIN_RET_VM
#else
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RETPOLINE
	UNTRAIN_RET
	ALTERNATIVE "", "call entry_ibpb", X86_FEATURE_IBPB_ON_VMEXIT
#endif

	xor	%ecx, %ecx		/* no guest value left to speculate on */
	xor	%edx, %edx
	xor	%ebx, %ebx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%ebp, %ebp
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d
	xor	%r12d, %r12d
	xor	%r13d, %r13d
	xor	%r14d, %r14d
	xor	%r15d, %r15d

	cli				/* a pending interrupt waits for... */
	stgi				/* ...our caller's local_irq_enable() */

	add	$24, %rsp		/* our three arguments */
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(lg_vmrun)
