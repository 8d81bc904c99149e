// SPDX-License-Identifier: GPL-2.0
/*L:100
 * Booting a Linux kernel without a BIOS.
 *
 * A bzImage is two programs glued together: a 16-bit "setup" part that a
 * BIOS bootloader runs in real mode, and the protected-mode kernel proper
 * (a small decompressor wrapped around the compressed kernel).  Our guest
 * has no BIOS, so we skip the setup part entirely: the x86 boot protocol
 * (Documentation/x86/boot.rst) lets a loader enter the kernel directly in
 * 64-bit mode, at 0x200 bytes into the protected-mode part, with paging on,
 * provided it does by hand what the setup code would have done: fill in
 * the "zero page" (struct boot_params) describing memory, the command line
 * and the initrd.  That is all this file does.
 */
#include <asm/bootparam.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launcher.h"

/*L:110
 * Where things go in low guest memory.  The first megabyte is where a PC
 * keeps its BIOS data and option ROMs; we have none of those, so we use a
 * few pages of it for our own boot structures.  Linux reserves the whole
 * first megabyte early on, so nothing we put here gets trampled before the
 * kernel has copied what it needs.
 */
#define BOOT_GDT		0x1000ULL
#define BOOT_PML4		0x2000ULL
#define BOOT_PDPT		0x3000ULL
#define BOOT_PD			0x4000ULL	/* four pages: 4 GiB */
#define BOOT_PARAMS		0x8000ULL
#define BOOT_CMDLINE		0x9000ULL
#define BOOT_CMDLINE_MAX	4096
#define BOOT_STACK		0x1000ULL
/* The top of the legacy low RAM (640 KiB less a page the EBDA would use). */
#define LOW_RAM_END		0x9f000ULL
#define HIGH_RAM_START		0x100000ULL
#define E820_TYPE_RAM		1

/* The GDT selectors the 64-bit boot protocol asks for. */
#define BOOT_CS			0x10
#define BOOT_DS			0x18
#define BOOT_TSS		0x20

#define X86_CR0_PE		(1ULL << 0)
#define X86_CR0_MP		(1ULL << 1)
#define X86_CR0_ET		(1ULL << 4)
#define X86_CR0_NE		(1ULL << 5)
#define X86_CR0_PG		(1ULL << 31)
#define X86_CR4_PAE		(1ULL << 5)
#define EFER_LME		(1ULL << 8)
#define EFER_LMA		(1ULL << 10)

#define PTE_PRESENT		(1ULL << 0)
#define PTE_WRITE		(1ULL << 1)
#define PTE_LARGE		(1ULL << 7)

#define SETUP_HEADER_OFFSET	0x1f1
#define SETUP_MAGIC		0x53726448	/* "HdrS" */
#define BOOT_PROTOCOL_MIN	0x020c		/* 2.12: xloadflags */
#define ENTRY_64_OFFSET		0x200

/*L:120
 * The command line is built from three parts in order: what the platform
 * needs, what each device adds about itself (cmdline_append(), called by
 * the devices as they are created), and last the user's own arguments, so
 * that the user can override anything we chose.
 */
static char device_args[BOOT_CMDLINE_MAX];
static char full_cmdline[BOOT_CMDLINE_MAX];

void cmdline_append(const char *fmt, ...)
{
	size_t used = strlen(device_args);
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(device_args + used, sizeof(device_args) - used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n + 1 >= sizeof(device_args) - used)
		die("the kernel command line is too long");
	strcat(device_args, " ");
}

const char *cmdline_get(void)
{
	return full_cmdline;
}

/*L:130
 * console=ttyS0 sends the kernel's messages to our UART (uart.c).  There
 * is no ACPI table to find (acpi=off), and reboot=triple makes a guest's
 * reboot a triple fault, which both backends report as a reset.  panic=-1
 * turns a guest panic into a reboot at once rather than a hang.
 *
 * tsc_early_khz= tells the kernel how fast its TSC runs.  Left to itself
 * it would time the TSC against the PIT, reading the PIT's counter
 * thousands of times in a loop; every read is an exit to the hypervisor,
 * and under emulation (our test host is QEMU) the loop is so slow that
 * Linux gives up: "tsc: Unable to calibrate against PIT", and a kernel
 * with no TSC.  The backend knows the frequency (the guest's TSC is the
 * host's), so we just say it.
 */
static void build_cmdline(const char *user_args, unsigned int max)
{
	char tsc_arg[32] = "";
	unsigned int khz;
	int n;

	khz = the_cpu && the_cpu->ops->tsc_khz ?
		the_cpu->ops->tsc_khz(the_cpu) : 0;
	if (khz)
		snprintf(tsc_arg, sizeof(tsc_arg), "tsc_early_khz=%u ", khz);
	n = snprintf(full_cmdline, sizeof(full_cmdline),
		     "console=ttyS0 acpi=off reboot=triple panic=-1 %s%s%s",
		     tsc_arg, device_args, user_args);
	if (n < 0 || (size_t)n >= sizeof(full_cmdline) || (unsigned int)n > max)
		die("the kernel command line is too long (%d bytes, the kernel takes %u)",
		    n, max);
}

static void *read_file(const char *path, const char *what, size_t *size)
{
	struct stat st;
	void *buf;
	size_t done = 0;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		die("cannot open %s %s: %m", what, path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		die("%s %s is not a regular file", what, path);
	buf = malloc(st.st_size ? st.st_size : 1);
	if (!buf)
		die("out of memory reading %s", path);
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, (char *)buf + done, st.st_size - done);

		if (n <= 0)
			die("cannot read %s %s: %s", what, path,
			    n ? strerror(errno) : "short read");
		done += n;
	}
	close(fd);
	*size = done;
	return buf;
}

/*L:140
 * What makes a file a kernel we can boot: the setup header's "HdrS" magic,
 * a boot protocol of 2.12 or later (older ones have no xloadflags field to
 * tell us the kernel has a 64-bit entry point), and that flag itself.
 */
static const struct setup_header *check_bzimage(const char *path,
						const uint8_t *image,
						size_t size)
{
	const struct setup_header *hdr;

	if (size < 1024)
		die("%s is not a bzImage (too short)", path);
	hdr = (const void *)(image + SETUP_HEADER_OFFSET);
	if (hdr->header != SETUP_MAGIC || hdr->boot_flag != 0xaa55)
		die("%s is not a bzImage (no HdrS boot header)", path);
	if (hdr->version < BOOT_PROTOCOL_MIN)
		die("%s uses boot protocol %u.%02u; we need 2.12 or later",
		    path, hdr->version >> 8, hdr->version & 0xff);
	if (!(hdr->xloadflags & XLF_KERNEL_64))
		die("%s has no 64-bit entry point (not an x86-64 kernel?)",
		    path);
	return hdr;
}

/*L:150
 * The e820 map is how a BIOS tells the kernel where RAM is.  We have no
 * BIOS, so we write it: the 640 KiB of "conventional" memory, then
 * everything from 1 MiB to the end of RAM.  The hole in between is where
 * a PC keeps video memory and ROMs; leaving it out keeps the kernel from
 * looking for anything of the sort in it.
 */
static void fill_e820(struct boot_params *bp, uint64_t mem_size)
{
	bp->e820_table[0].addr = 0;
	bp->e820_table[0].size = LOW_RAM_END;
	bp->e820_table[0].type = E820_TYPE_RAM;
	bp->e820_table[1].addr = HIGH_RAM_START;
	bp->e820_table[1].size = mem_size - HIGH_RAM_START;
	bp->e820_table[1].type = E820_TYPE_RAM;
	bp->e820_entries = 2;
}

/*L:160
 * The kernel wants its initrd high in memory, out of the way of the
 * kernel as it decompresses itself: we put it at the very top of RAM (or
 * of what the kernel can reach, initrd_addr_max), page aligned.
 */
static void load_initrd(struct guest_mem *mem, struct boot_params *bp,
			const char *path, uint64_t kernel_end)
{
	uint64_t top, addr;
	size_t size;
	void *data;

	data = read_file(path, "initrd", &size);
	top = mem->size;
	if (bp->hdr.initrd_addr_max && top > bp->hdr.initrd_addr_max + 1ULL)
		top = bp->hdr.initrd_addr_max + 1ULL;
	if (size > top || ((top - size) & ~0xfffULL) < kernel_end)
		die("initrd %s (%zu KiB) does not fit in guest memory above the kernel; give the guest more memory",
		    path, size >> 10);
	addr = (top - size) & ~0xfffULL;
	memcpy(guest_ptr(mem, addr, size), data, size);
	free(data);
	bp->hdr.ramdisk_image = addr;
	bp->hdr.ramdisk_size = size;
	verbose_printf("initrd %s: %zu bytes at %#llx\n", path, size,
		       (unsigned long long)addr);
}

/*L:170
 * Entering in 64-bit mode means paging must already be on, so we need page
 * tables.  The boot protocol only asks that the kernel, the zero page and
 * the command line be identity mapped (virtual address = physical
 * address); we map the whole first 4 GiB with 2 MiB pages, which takes six
 * pages: one top level, one level 3, and four level 2 tables.  The kernel
 * replaces them with its own almost at once.
 */
static void build_page_tables(struct guest_mem *mem)
{
	uint64_t *pml4 = guest_ptr(mem, BOOT_PML4, 4096);
	uint64_t *pdpt = guest_ptr(mem, BOOT_PDPT, 4096);
	uint64_t *pd = guest_ptr(mem, BOOT_PD, 4 * 4096);
	unsigned int i;

	pml4[0] = BOOT_PDPT | PTE_PRESENT | PTE_WRITE;
	for (i = 0; i < 4; i++)
		pdpt[i] = (BOOT_PD + i * 4096) | PTE_PRESENT | PTE_WRITE;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | PTE_PRESENT | PTE_WRITE |
			PTE_LARGE;
}

/*L:180
 * A GDT with what the boot protocol names: a flat 64-bit code segment at
 * selector 0x10 and a flat data segment at 0x18.  Segmentation means
 * little in long mode, but the CPU still checks that CS is a long-mode
 * code segment.  We also describe a TSS at 0x20 for TR: some hardware
 * checks insist that TR holds a busy TSS even though the guest never
 * switches tasks before loading its own.
 */
static void build_gdt(struct guest_mem *mem, struct cpu_boot_regs *regs)
{
	uint64_t *gdt = guest_ptr(mem, BOOT_GDT, 6 * 8);

	gdt[BOOT_CS / 8] = 0x00af9b000000ffffULL;	/* code, L=1, G=1 */
	gdt[BOOT_DS / 8] = 0x00cf93000000ffffULL;	/* data, D=1, G=1 */
	gdt[BOOT_TSS / 8] = 0x00008b0000000067ULL;	/* busy TSS */
	gdt[BOOT_TSS / 8 + 1] = 0;
	regs->gdt_base = BOOT_GDT;
	regs->gdt_limit = 6 * 8 - 1;

	regs->cs = (struct cpu_segment){ .limit = 0xffffffff,
		.selector = BOOT_CS, .type = 0xb, .s = true, .present = true,
		.l = true, .g = true };
	regs->ds = (struct cpu_segment){ .limit = 0xffffffff,
		.selector = BOOT_DS, .type = 0x3, .s = true, .present = true,
		.db = true, .g = true };
	regs->tr = (struct cpu_segment){ .limit = 0x67,
		.selector = BOOT_TSS, .type = 0xb, .present = true };
	regs->ldtr = (struct cpu_segment){ .limit = 0xffff,
		.type = 0x2, .present = true };
}

/*L:190
 * The CPU state at the kernel's 64-bit entry: protected mode and paging
 * on (CR0), PAE page tables (CR4), long mode enabled and active (EFER),
 * interrupts off (RFLAGS is just its always-one bit), and RSI pointing at
 * the zero page.  This is the state a bootloader's last instruction
 * leaves; the guest never runs a single instruction in real mode.
 */
static void set_entry_regs(struct cpu_boot_regs *regs, uint64_t entry)
{
	regs->rip = entry;
	regs->rsi = BOOT_PARAMS;
	regs->rsp = BOOT_STACK;
	regs->rflags = 0x2;
	regs->cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE |
		    X86_CR0_PG;
	regs->cr3 = BOOT_PML4;
	regs->cr4 = X86_CR4_PAE;
	regs->efer = EFER_LME | EFER_LMA;
}

/*L:200
 * Putting it together.  The protected-mode kernel starts after the setup
 * sectors (setup_sects of them, plus the boot sector; 0 means the old
 * default of 4), and goes where the kernel prefers to be loaded
 * (pref_address; 16 MiB for a stock x86-64 kernel).  It needs init_size
 * bytes from there to decompress itself in place, which decides how much
 * memory a kernel needs at the least.  We check all that before anything
 * else is set up, so that a wrong file name costs nothing.
 */
static struct {
	uint8_t *image;
	size_t size, setup_size;
	uint64_t load, end;
} kernel;

void boot_check(const struct boot_config *config, uint64_t mem_size)
{
	const struct setup_header *hdr;
	unsigned int setup_sects;
	uint64_t need;

	kernel.image = read_file(config->kernel, "kernel", &kernel.size);
	hdr = check_bzimage(config->kernel, kernel.image, kernel.size);
	setup_sects = hdr->setup_sects ? hdr->setup_sects : 4;
	kernel.setup_size = (setup_sects + 1) * 512;
	if (kernel.setup_size >= kernel.size)
		die("%s is not a bzImage (truncated after the setup code)",
		    config->kernel);
	kernel.load = hdr->pref_address ? hdr->pref_address : HIGH_RAM_START;
	need = kernel.size - kernel.setup_size;
	if (hdr->init_size > need)
		need = hdr->init_size;
	kernel.end = kernel.load + need;
	if (kernel.end > mem_size)
		die("%s needs at least %llu MiB of guest memory",
		    config->kernel,
		    (unsigned long long)((kernel.end + (1 << 20) - 1) >> 20));
	if (config->initrd && access(config->initrd, R_OK))
		die("cannot open initrd %s: %m", config->initrd);
}

void boot_load(struct guest_mem *mem, const struct boot_config *config,
	       struct cpu_boot_regs *regs)
{
	const struct setup_header *hdr;
	struct boot_params *bp;
	size_t hdr_len, code_size = kernel.size - kernel.setup_size;

	hdr = (const void *)(kernel.image + SETUP_HEADER_OFFSET);
	memcpy(guest_ptr(mem, kernel.load, code_size),
	       kernel.image + kernel.setup_size, code_size);
	verbose_printf("kernel %s: boot protocol %u.%02u, %zu bytes at %#llx, entry %#llx\n",
		       config->kernel, hdr->version >> 8, hdr->version & 0xff,
		       code_size, (unsigned long long)kernel.load,
		       (unsigned long long)(kernel.load + ENTRY_64_OFFSET));

	/*
	 * The zero page starts as a copy of the kernel's own setup header:
	 * it ends 0x202 + (the jump's displacement byte at 0x201) into the
	 * file.
	 */
	bp = guest_ptr(mem, BOOT_PARAMS, sizeof(*bp));
	memset(bp, 0, sizeof(*bp));
	hdr_len = 0x202 + kernel.image[0x201] - SETUP_HEADER_OFFSET;
	if (hdr_len > sizeof(bp->hdr))
		hdr_len = sizeof(bp->hdr);
	memcpy(&bp->hdr, hdr, hdr_len);
	bp->hdr.type_of_loader = 0xff;		/* "undefined" loader */
	fill_e820(bp, mem->size);

	build_cmdline(config->user_args, bp->hdr.cmdline_size ?
		      bp->hdr.cmdline_size : 255);
	strcpy(guest_ptr(mem, BOOT_CMDLINE, BOOT_CMDLINE_MAX), full_cmdline);
	bp->hdr.cmd_line_ptr = BOOT_CMDLINE;
	verbose_printf("command line: %s\n", full_cmdline);

	if (config->initrd)
		load_initrd(mem, bp, config->initrd, kernel.end);

	if (config->apic)
		verbose_printf("MP table for %u CPU%s at %#llx\n", config->nr_cpus,
			       config->nr_cpus > 1 ? "s" : "",
			       (unsigned long long)mptable_build(mem, config->nr_cpus));
	build_page_tables(mem);
	build_gdt(mem, regs);
	set_entry_regs(regs, kernel.load + ENTRY_64_OFFSET);
	free(kernel.image);
	kernel.image = NULL;
}
