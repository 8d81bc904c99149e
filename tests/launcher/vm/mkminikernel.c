// SPDX-License-Identifier: GPL-2.0
/*
 * mkminikernel: write a tiny "bzImage" for the launcher's tests.
 *
 *	mkminikernel MODE STATUS FILE
 *
 * The file has a real setup header (HdrS, boot protocol 2.15, a 64-bit
 * entry point, pref_address 16 MiB) and, at the 64-bit entry, a few dozen
 * instructions instead of Linux.  They check what a bootloader must give
 * a kernel and talk to the launcher through the UART and its ports, so a
 * test can tell exactly which part of the boot or the exit paths broke,
 * in well under a second even in a nested guest.  Modes:
 *
 *   exit     print "mini: hello" on the UART, write STATUS to port 0xf4
 *   params   check RSI -> boot_params (HdrS, type_of_loader 0xff), print
 *            "mini: cmdline=<the command line>", write STATUS to 0xf4
 *            (0x11 instead if a check failed)
 *   bus      read an MMIO address nobody claimed (0xfe000000) and an
 *            unclaimed port (0x2f8): both must read all ones; STATUS or
 *            0x11
 *   echo     copy UART input to UART output until a newline, then STATUS
 *   halt     cli; hlt: halted for good
 *   triple   point the IDT at unmapped memory and trap: every exception
 *            faults again, up to a triple fault
 *   reset    write 0xfe to the keyboard controller (port 0x64)
 *   badring  a hostile driver: set up the virtio network card at
 *            0xfeb00000 (the first device, when --tunnet is the only
 *            one) and both its queues by the book, then offer one
 *            transmit buffer at 32 GiB, far outside RAM, and kick;
 *            wait until the device says DEVICE_NEEDS_RESET, print
 *            "mini: device needs reset", reset it (status must read 0
 *            again), write STATUS.  0x11 if the card is not there or
 *            refuses the features; no timeout of its own (the test's)
 *   badkick  a driver that breaks one rule of the handshake (virtio 1.2,
 *            3.1.1): the same card set up by the book, but its transmit
 *            queue notified before DRIVER_OK; then DRIVER_OK and STATUS.
 *            For --virtio-strict, which must name that one statement
 *            (notify-before-driver-ok) at the notify's RIP
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const unsigned char mini_start[], mini_end[];

/*
 * The payload, position independent: it finds itself with call/pop, and
 * its two argument bytes (mode, status) 0x100 bytes before its entry.
 */
__asm__(
"	.section .rodata\n"
"	.globl mini_start, mini_end\n"
"mini_start:\n"
"	mov %rsi, %r12\n"			/* boot_params */
"	call 1f\n"
"1:	pop %rbx\n"
"	sub $(1b - mini_start), %rbx\n"		/* rbx = entry */
"	movzbl -0x100(%rbx), %eax\n"
"	movzbl -0xff(%rbx), %r13d\n"		/* status */
"	cmp $'x', %al\n	je mode_exit\n"
"	cmp $'p', %al\n	je mode_params\n"
"	cmp $'b', %al\n	je mode_bus\n"
"	cmp $'e', %al\n	je mode_echo\n"
"	cmp $'h', %al\n	je mode_halt\n"
"	cmp $'t', %al\n	je mode_triple\n"
"	cmp $'r', %al\n	je mode_reset\n"
"	cmp $'v', %al\n	je mode_badring\n"
"	cmp $'k', %al\n	je mode_badkick\n"
"	jmp fail\n"
/* puts: rsi = string, NUL-terminated, to the UART */
"puts:\n"
"	mov $0x3f8, %dx\n"
"2:	lodsb\n"
"	test %al, %al\n"
"	jz 3f\n"
"	out %al, (%dx)\n"
"	jmp 2b\n"
"3:	ret\n"
"mode_exit:\n"
"	lea (hello - mini_start)(%rbx), %rsi\n"
"	call puts\n"
"	jmp done\n"
"mode_params:\n"
"	cmpl $0x53726448, 0x202(%r12)\n"
"	jne fail\n"
"	cmpb $0xff, 0x210(%r12)\n"
"	jne fail\n"
"	cmpb $2, 0x1e8(%r12)\n"			/* e820 entries */
"	jb fail\n"
"	lea (cmdline - mini_start)(%rbx), %rsi\n"
"	call puts\n"
"	mov 0x228(%r12), %esi\n"
"	call puts\n"
"	lea (newline - mini_start)(%rbx), %rsi\n"
"	call puts\n"
"	jmp done\n"
"mode_bus:\n"
"	mov $0xfe000000, %eax\n"
"	mov (%rax), %ecx\n"
"	cmp $0xffffffff, %ecx\n"
"	jne fail\n"
"	mov $0x2f8, %dx\n"
"	in (%dx), %al\n"
"	cmp $0xff, %al\n"
"	jne fail\n"
"	jmp done\n"
"mode_echo:\n"
"	mov $0x3fd, %dx\n"
"4:	in (%dx), %al\n"
"	test $1, %al\n"
"	jz 4b\n"
"	mov $0x3f8, %dx\n"
"	in (%dx), %al\n"
"	out %al, (%dx)\n"
"	cmp $10, %al\n"
"	je done\n"
"	mov $0x3fd, %dx\n"
"	jmp 4b\n"
"mode_halt:\n"
"	cli\n"
"	hlt\n"
"	jmp mode_halt\n"
"mode_triple:\n"
"	mov $0x800000000, %rax\n"		/* 32 GiB: not mapped */
"	sub $16, %rsp\n"
"	movw $0xfff, (%rsp)\n"
"	mov %rax, 2(%rsp)\n"
"	lidt (%rsp)\n"
"	int3\n"
"	jmp fail\n"
/*
 * badring: virtio-mmio version 2 registers at rdi.  Each queue's rings in
 * RAM the launcher gave us zeroed: descriptors at its base, available
 * ring 4 KiB above, used ring 8 KiB above; the receive queue's (left
 * empty) at 32 MiB, the transmit queue's at 32 MiB + 64 KiB.  Register
 * reads are plain MOVs into EAX, the one form of load every hypervisor
 * decodes (lg.ko's decode.c takes MOV, not CMP or TEST, as Linux's readl
 * does).
 */
"mode_badkick:\n"
"	mov $1, %r14d\n"
"	jmp 8f\n"
"mode_badring:\n"
"	xor %r14d, %r14d\n"
"8:	mov $0xfeb00000, %edi\n"
"	mov (%rdi), %eax\n"			/* MagicValue "virt" */
"	cmp $0x74726976, %eax\n"
"	jne fail\n"
"	mov 4(%rdi), %eax\n"			/* Version */
"	cmp $2, %eax\n"
"	jne fail\n"
"	mov 8(%rdi), %eax\n"			/* DeviceID: network card */
"	cmp $1, %eax\n"
"	jne fail\n"
"	movl $0, 0x70(%rdi)\n"			/* Status: reset */
"	mov 0x70(%rdi), %eax\n"		/* reads 0: reset done */
"	test %eax, %eax\n"
"	jnz fail\n"
"	movl $3, 0x70(%rdi)\n"			/* ACKNOWLEDGE | DRIVER */
"	movl $1, 0x24(%rdi)\n"			/* DriverFeaturesSel 1: */
"	movl $1, 0x20(%rdi)\n"			/*   VIRTIO_F_VERSION_1 */
"	movl $0, 0x24(%rdi)\n"
"	movl $0, 0x20(%rdi)\n"
"	movl $11, 0x70(%rdi)\n"			/* | FEATURES_OK */
"	mov 0x70(%rdi), %eax\n"
"	test $8, %eax\n"
"	jz fail\n"
"	xor %ecx, %ecx\n"			/* queue 0, then 1 */
"	mov $0x2000000, %esi\n"
"6:	movl %ecx, 0x30(%rdi)\n"		/* QueueSel */
"	movl $16, 0x38(%rdi)\n"			/* QueueNum */
"	movl %esi, 0x80(%rdi)\n"		/* QueueDesc */
"	movl $0, 0x84(%rdi)\n"
"	lea 0x1000(%rsi), %eax\n"
"	movl %eax, 0x90(%rdi)\n"		/* QueueDriver */
"	movl $0, 0x94(%rdi)\n"
"	lea 0x2000(%rsi), %eax\n"
"	movl %eax, 0xa0(%rdi)\n"		/* QueueDevice */
"	movl $0, 0xa4(%rdi)\n"
"	movl $1, 0x44(%rdi)\n"			/* QueueReady */
"	add $0x10000, %esi\n"
"	inc %ecx\n"
"	cmp $2, %ecx\n"
"	jb 6b\n"
"	test %r14d, %r14d\n"			/* badkick: */
"	jz 7f\n"
"	movl $1, 0x50(%rdi)\n"			/* QueueNotify before DRIVER_OK */
"	movl $15, 0x70(%rdi)\n"			/* then DRIVER_OK */
"	jmp done\n"
"7:\n"
"	sub $0x10000, %esi\n"			/* the transmit queue's */
"	movabs $0x800000000, %rax\n"		/* 32 GiB */
"	mov %rax, (%rsi)\n"			/* desc[0].addr */
"	movl $64, 8(%rsi)\n"			/* .len; .flags, .next 0 */
"	movl $0, 12(%rsi)\n"
"	movw $0, 0x1000(%rsi)\n"		/* avail.flags */
"	movw $0, 0x1004(%rsi)\n"		/* avail.ring[0]: desc 0 */
"	movw $1, 0x1002(%rsi)\n"		/* avail.idx */
"	movl $15, 0x70(%rdi)\n"			/* | DRIVER_OK */
"	movl $1, 0x50(%rdi)\n"			/* QueueNotify: transmit */
"5:	pause\n"
"	mov 0x70(%rdi), %eax\n"
"	test $0x40, %eax\n"			/* DEVICE_NEEDS_RESET */
"	jz 5b\n"
"	lea (needs_reset - mini_start)(%rbx), %rsi\n"
"	call puts\n"
"	movl $0, 0x70(%rdi)\n"
"	mov 0x70(%rdi), %eax\n"
"	test %eax, %eax\n"
"	jnz fail\n"
"	jmp done\n"
"mode_reset:\n"
"	mov $0xfe, %al\n"
"	out %al, $0x64\n"
"	jmp mode_halt\n"
"fail:\n"
"	mov $0x11, %r13d\n"
"done:\n"
"	mov %r13d, %eax\n"
"	out %al, $0xf4\n"
"	jmp mode_halt\n"
"hello:	.asciz \"mini: hello\\n\"\n"
"cmdline: .asciz \"mini: cmdline=\"\n"
"newline: .asciz \"\\n\"\n"
"needs_reset: .asciz \"mini: device needs reset\\n\"\n"
"mini_end:\n"
"	.previous\n"
);

#define SETUP_SIZE	1024	/* boot sector + one setup sector */
#define PM_SIZE		4096

static void put16(unsigned char *p, unsigned int v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put32(unsigned char *p, unsigned int v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

int main(int argc, char **argv)
{
	static unsigned char image[SETUP_SIZE + PM_SIZE];
	unsigned char *pm = image + SETUP_SIZE;
	size_t code = mini_end - mini_start;
	FILE *f;

	static const char *const modes[] = {
		"exit", "params", "bus", "echo", "halt", "triple", "reset",
		"badring", "badkick",
	};
	static const char letters[] = "xpbehtrvk";
	unsigned int i;

	for (i = 0; argc == 4 && i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(argv[1], modes[i]))
			break;
	if (argc != 4 || i == sizeof(modes) / sizeof(modes[0])) {
		fprintf(stderr, "usage: mkminikernel exit|params|bus|echo|halt|triple|reset|badring|badkick STATUS FILE\n");
		return 2;
	}
	image[0x1f1] = 1;			/* setup_sects */
	put16(image + 0x1fe, 0xaa55);		/* boot_flag */
	image[0x200] = 0xeb;			/* jmp over the header */
	image[0x201] = 0x268 - 0x202;		/* header ends at 0x268 */
	put32(image + 0x202, 0x53726448);	/* "HdrS" */
	put16(image + 0x206, 0x020f);		/* boot protocol 2.15 */
	image[0x211] = 1;			/* loadflags: LOADED_HIGH */
	put32(image + 0x22c, 0x7fffffff);	/* initrd_addr_max */
	put32(image + 0x230, 0x200000);		/* kernel_alignment */
	put16(image + 0x236, 1);		/* xloadflags: XLF_KERNEL_64 */
	put32(image + 0x238, 2047);		/* cmdline_size */
	put32(image + 0x258, 0x1000000);	/* pref_address (low half) */
	put32(image + 0x260, 0x100000);		/* init_size */
	pm[0x100] = letters[i];
	pm[0x101] = strtoul(argv[2], NULL, 0);
	memcpy(pm + 0x200, mini_start, code);
	f = fopen(argv[3], "wb");
	if (!f || fwrite(image, sizeof(image), 1, f) != 1 || fclose(f)) {
		perror(argv[3]);
		return 1;
	}
	return 0;
}
