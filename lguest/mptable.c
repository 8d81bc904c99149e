// SPDX-License-Identifier: GPL-2.0
/*L:195
 * A guest with more than one CPU has to be told how many it has, and how
 * its interrupts are wired, before it can start the others.  A PC says so
 * in firmware tables: ACPI's MADT on anything recent, and before that the
 * MultiProcessor Specification's MP table (Intel, version 1.4, 1997).  We
 * have no ACPI (the command line says acpi=off), and the MP table is the
 * smaller of the two, so that is what we write, as kvmtool and Firecracker
 * do.  Linux looks for it in three places; the last KiB below 640 KiB is
 * one, and it is in the hole our e820 map leaves below 1 MiB (L:150), so
 * the kernel will not take it for RAM.
 *
 * The table is a list of entries: one per CPU (its local APIC ID, 0 to
 * N-1; CPU 0 is the boot CPU), one ISA bus, the one I/O APIC, which of the
 * I/O APIC's pins each ISA interrupt arrives at, and where the local
 * APICs' LINT0 and LINT1 pins go.  The wiring is the plainest one: ISA
 * interrupt n is I/O APIC pin n (KVM's default routing, and lg.ko's), the
 * 8259's output reaches LINT0 (so the PIC still works while the kernel
 * boots, "virtual wire mode"), and LINT1 is the NMI.
 *
 * A single-CPU guest gets no table: it has no APIC at all (L:310),
 * unless it asks for one (L:196).
 */

/*L:196
 * --apic: the APICs for a guest with one CPU.  The PC we give a single
 * CPU is the old one, a PIC and a PIT, because that is the smallest
 * platform Linux boots on.  It is not the cheapest to run.  Linux's
 * 8259 handler touches the PIC three or four times per interrupt (mask,
 * specific EOI, unmask, and a read of the mask register to make sure
 * the write arrived), and each touch is a port I/O exit; the timer
 * interrupt pays the same.  A local APIC takes one register write per
 * interrupt (the EOI), and its own timer replaces the PIT's ticks.  So
 * --apic gives the one CPU what --cpus=2 gives each of two: a local
 * APIC, the I/O APIC and this table, on either hypervisor.  The network
 * benchmark measures the difference in exits per MiB (bench-net).
 */
#include <string.h>

#include "launcher.h"

#define MPTABLE_BASE		0x9fc00ULL	/* 639 KiB: Linux scans here */
#define MPTABLE_MAX		0x400ULL	/* up to 640 KiB */

#define APIC_DEFAULT_BASE	0xfee00000U
#define APIC_VERSION		0x14	/* an integrated local APIC */
#define IOAPIC_VERSION		0x11
#define ISA_IRQS		16

enum mp_entry_type {
	MP_PROCESSOR, MP_BUS, MP_IOAPIC, MP_INTSRC, MP_LINTSRC,
};

/* Interrupt types of MP_INTSRC and MP_LINTSRC entries. */
enum mp_irq_type { MP_INT, MP_NMI, MP_SMI, MP_EXTINT };

#define MP_CPU_ENABLED		0x01
#define MP_CPU_BOOT		0x02
#define MP_IOAPIC_ENABLED	0x01
#define MP_ALL_APICS		0xff

struct mp_floating_pointer {
	char signature[4];	/* "_MP_" */
	uint32_t physptr;	/* the configuration table */
	uint8_t length;		/* in 16-byte units: 1 */
	uint8_t spec_rev;	/* 4: version 1.4 */
	uint8_t checksum;	/* all bytes sum to 0 */
	uint8_t feature[5];	/* 0: a table follows, virtual wire mode */
} __attribute__((packed));

struct mp_config_table {
	char signature[4];	/* "PCMP" */
	uint16_t length;	/* header and entries */
	uint8_t spec_rev;
	uint8_t checksum;
	char oem[8];
	char product[12];
	uint32_t oem_table;
	uint16_t oem_table_size;
	uint16_t entries;
	uint32_t lapic_addr;
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} __attribute__((packed));

struct mp_processor {
	uint8_t type, apic_id, apic_version, flags;
	uint32_t signature, features;
	uint32_t reserved[2];
} __attribute__((packed));

struct mp_bus {
	uint8_t type, bus_id;
	char bus_type[6];	/* "ISA   " */
} __attribute__((packed));

struct mp_ioapic {
	uint8_t type, apic_id, apic_version, flags;
	uint32_t addr;
} __attribute__((packed));

/* MP_INTSRC and MP_LINTSRC entries have the same shape. */
struct mp_irq {
	uint8_t type, irq_type;
	uint16_t flags;		/* 0: polarity and trigger as the bus says */
	uint8_t bus, bus_irq;
	uint8_t dest_apic, dest_pin;
} __attribute__((packed));

_Static_assert(sizeof(struct mp_floating_pointer) +
	       sizeof(struct mp_config_table) +
	       CPU_MAX * sizeof(struct mp_processor) + sizeof(struct mp_bus) +
	       sizeof(struct mp_ioapic) + (ISA_IRQS + 2) * sizeof(struct mp_irq)
	       <= MPTABLE_MAX, "the MP table outgrows its KiB");

static uint8_t checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return -sum;
}

/* Append one entry at *at, counting it in the header. */
static void put(uint8_t **at, struct mp_config_table *hdr, const void *entry,
		size_t len)
{
	memcpy(*at, entry, len);
	*at += len;
	hdr->entries++;
}

static void put_irq(uint8_t **at, struct mp_config_table *hdr,
		    enum mp_entry_type type, enum mp_irq_type irq_type,
		    uint8_t bus_irq, uint8_t dest_apic, uint8_t dest_pin)
{
	struct mp_irq irq = {
		.type = type, .irq_type = irq_type, .bus = 0,
		.bus_irq = bus_irq, .dest_apic = dest_apic,
		.dest_pin = dest_pin,
	};

	put(at, hdr, &irq, sizeof(irq));
}

uint64_t mptable_build(struct guest_mem *mem, unsigned int nr_cpus)
{
	uint8_t *base = guest_ptr(mem, MPTABLE_BASE, MPTABLE_MAX);
	struct mp_floating_pointer *mpf = (void *)base;
	struct mp_config_table *hdr = (void *)(mpf + 1);
	struct mp_bus bus = { .type = MP_BUS, .bus_type = "ISA   " };
	struct mp_ioapic ioapic = {
		.type = MP_IOAPIC, .apic_id = nr_cpus,
		.apic_version = IOAPIC_VERSION, .flags = MP_IOAPIC_ENABLED,
		.addr = IOAPIC_BASE,
	};
	uint8_t *at = (uint8_t *)(hdr + 1);
	unsigned int i;

	memset(base, 0, MPTABLE_MAX);
	memcpy(hdr->signature, "PCMP", 4);
	hdr->spec_rev = 4;
	memcpy(hdr->oem, "LGUEST  ", 8);
	memcpy(hdr->product, "LGUEST SMP  ", 12);
	hdr->lapic_addr = APIC_DEFAULT_BASE;

	for (i = 0; i < nr_cpus; i++) {
		struct mp_processor cpu = {
			.type = MP_PROCESSOR, .apic_id = i,
			.apic_version = APIC_VERSION,
			.flags = MP_CPU_ENABLED | (i == 0 ? MP_CPU_BOOT : 0),
		};

		put(&at, hdr, &cpu, sizeof(cpu));
	}
	put(&at, hdr, &bus, sizeof(bus));
	put(&at, hdr, &ioapic, sizeof(ioapic));
	/* Line 2 is the slave PIC's cascade: no device is ever on it. */
	for (i = 0; i < ISA_IRQS; i++)
		if (i != 2)
			put_irq(&at, hdr, MP_INTSRC, MP_INT, i, ioapic.apic_id,
				i);
	put_irq(&at, hdr, MP_LINTSRC, MP_EXTINT, 0, MP_ALL_APICS, 0);
	put_irq(&at, hdr, MP_LINTSRC, MP_NMI, 0, MP_ALL_APICS, 1);
	hdr->length = at - (uint8_t *)hdr;
	hdr->checksum = checksum(hdr, hdr->length);

	memcpy(mpf->signature, "_MP_", 4);
	mpf->physptr = MPTABLE_BASE + sizeof(*mpf);
	mpf->length = 1;
	mpf->spec_rev = 4;
	mpf->checksum = checksum(mpf, sizeof(*mpf));
	return MPTABLE_BASE;
}
