// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk against a temporary file: the bytes the guest writes land in
 * the file, the bytes it reads are the file's, and every malformed or
 * refused request is answered with the right status.
 */
#include <fcntl.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher_unit.h"
#include "virtio_mmio.h"

#define DISK_SECTORS	64
#define NO_STATUS	0xee

struct blk_fixture {
	char path[64];
	int fd;
	struct test_driver drv;
};

/* A disk whose byte i is (i * 7) & 0xff, so any misplaced read shows. */
static bool blk_setup(struct blk_fixture *f, bool read_only, uint64_t wanted)
{
	uint8_t pattern[512 * DISK_SECTORS];

	strcpy(f->path, "/tmp/lguest-unit-disk-XXXXXX");
	f->fd = mkstemp(f->path);
	if (!CHECK(f->fd >= 0))
		return false;
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = i * 7;
	CHECK(pwrite(f->fd, pattern, sizeof(pattern), 0) == sizeof(pattern));
	virtio_blk_create(&test_mem, f->path, read_only);
	return CHECK(driver_probe(&f->drv, &fake_windows[0], wanted, 1));
}

static void blk_teardown(struct blk_fixture *f)
{
	unlink(f->path);
	close(f->fd);
}

/*
 * One request: header, then the data buffers, then the status byte.
 * Returns the status byte (NO_STATUS if the device didn't write it).
 */
static uint8_t blk_request(struct blk_fixture *f, uint32_t type, uint64_t sector,
			   const struct driver_buf *data, unsigned int data_count,
			   uint32_t *used_len)
{
	uint64_t header_gpa = guest_alloc(16), status_gpa = guest_alloc(1);
	struct virtio_blk_outhdr *header = host(header_gpa);
	uint8_t *status = host(status_gpa);
	struct driver_buf bufs[8];
	uint32_t id;

	header->type = type;
	header->ioprio = 0;
	header->sector = sector;
	*status = NO_STATUS;
	bufs[0] = (struct driver_buf){ header_gpa, 16, false };
	if (data_count)
		memcpy(&bufs[1], data, data_count * sizeof(*data));
	bufs[1 + data_count] = (struct driver_buf){ status_gpa, 1, true };
	driver_add(&f->drv, 0, bufs, data_count + 2);
	driver_kick(&f->drv, 0);
	*used_len = ~0U;
	CHECK(driver_used(&f->drv, 0, &id, used_len));
	return *status;
}

static void read_sector_pattern(void)
{
	struct blk_fixture f;
	struct driver_buf data = { guest_alloc(1024), 1024, true };
	uint8_t *bytes = host(data.addr);
	uint32_t used;
	bool same = true;

	if (!blk_setup(&f, false, ~0ULL))
		return;
	CHECK(blk_request(&f, VIRTIO_BLK_T_IN, 3, &data, 1, &used) ==
	       VIRTIO_BLK_S_OK);
	CHECK(used == 1024 + 1);
	for (size_t i = 0; i < 1024; i++)
		same &= bytes[i] == (uint8_t)((3 * 512 + i) * 7);
	CHECK(same);
	blk_teardown(&f);
}

static void write_then_read_back(void)
{
	struct blk_fixture f;
	/* Two segments for the write, three differently cut for the read. */
	struct driver_buf out[2] = {
		{ guest_alloc(512), 512, false }, { guest_alloc(1024), 1024, false } };
	struct driver_buf in[3] = {
		{ guest_alloc(100), 100, true }, { guest_alloc(1000), 1000, true },
		{ guest_alloc(436), 436, true } };
	uint8_t written[1536], back[1536], in_file[1536];
	uint32_t used;
	size_t at = 0;

	if (!blk_setup(&f, false, ~0ULL))
		return;
	for (size_t i = 0; i < sizeof(written); i++)
		written[i] = rand();
	memcpy(host(out[0].addr), written, 512);
	memcpy(host(out[1].addr), written + 512, 1024);
	CHECK(blk_request(&f, VIRTIO_BLK_T_OUT, 10, out, 2, &used) ==
	       VIRTIO_BLK_S_OK);
	CHECK(used == 1);
	CHECK(pread(f.fd, in_file, sizeof(in_file), 10 * 512) == sizeof(in_file));
	CHECK(!memcmp(in_file, written, sizeof(written)));
	CHECK(blk_request(&f, VIRTIO_BLK_T_IN, 10, in, 3, &used) ==
	       VIRTIO_BLK_S_OK);
	CHECK(used == 1536 + 1);
	for (unsigned int i = 0; i < 3; i++) {
		memcpy(back + at, host(in[i].addr), in[i].len);
		at += in[i].len;
	}
	CHECK(!memcmp(back, written, sizeof(written)));
	blk_teardown(&f);
}

static void flush_ok(void)
{
	struct blk_fixture f;
	uint32_t used;

	if (!blk_setup(&f, false, ~0ULL))
		return;
	CHECK(blk_request(&f, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, &used) ==
	       VIRTIO_BLK_S_OK);
	CHECK(used == 1);
	blk_teardown(&f);
}

static void get_id_is_file_name(void)
{
	struct blk_fixture f;
	struct driver_buf data = { guest_alloc(20), 20, true };
	char want[21] = "";
	uint32_t used;

	if (!blk_setup(&f, false, ~0ULL))
		return;
	strncat(want, strrchr(f.path, '/') + 1, 20);
	CHECK(blk_request(&f, VIRTIO_BLK_T_GET_ID, 0, &data, 1, &used) ==
	       VIRTIO_BLK_S_OK);
	CHECK(used == 21);
	CHECK(!strncmp(host(data.addr), want, 20));
	blk_teardown(&f);
}

static void read_only_refuses_writes(void)
{
	struct blk_fixture f;
	struct driver_buf out = { guest_alloc(512), 512, false };
	struct driver_buf in = { guest_alloc(512), 512, true };
	uint8_t before[512], after[512];
	uint32_t used, features;

	if (!blk_setup(&f, true, ~0ULL))
		return;
	mmio_write32(f.drv.win, 0x14, 0);	/* DeviceFeaturesSel */
	features = mmio_read32(f.drv.win, 0x10);
	CHECK(features & (1U << VIRTIO_BLK_F_RO));
	CHECK(pread(f.fd, before, 512, 0) == 512);
	memset(host(out.addr), 0x55, 512);
	CHECK(blk_request(&f, VIRTIO_BLK_T_OUT, 0, &out, 1, &used) ==
	       VIRTIO_BLK_S_IOERR);
	CHECK(pread(f.fd, after, 512, 0) == 512);
	CHECK(!memcmp(before, after, 512));
	CHECK(blk_request(&f, VIRTIO_BLK_T_IN, 0, &in, 1, &used) ==
	       VIRTIO_BLK_S_OK);
	CHECK(!memcmp(host(in.addr), before, 512));
	blk_teardown(&f);
}

static void out_of_range_is_ioerr(void)
{
	struct blk_fixture f;
	struct driver_buf two = { guest_alloc(1024), 1024, true };
	struct driver_buf odd = { guest_alloc(700), 700, true };
	uint32_t used;

	if (!blk_setup(&f, false, ~0ULL))
		return;
	/* Last sector plus one past the end. */
	CHECK(blk_request(&f, VIRTIO_BLK_T_IN, DISK_SECTORS - 1, &two, 1,
			   &used) == VIRTIO_BLK_S_IOERR);
	CHECK(used == 1);
	/* A sector so large that sector + count wraps. */
	CHECK(blk_request(&f, VIRTIO_BLK_T_IN, ~0ULL, &two, 1, &used) ==
	       VIRTIO_BLK_S_IOERR);
	/* Not a whole number of sectors. */
	CHECK(blk_request(&f, VIRTIO_BLK_T_IN, 0, &odd, 1, &used) ==
	       VIRTIO_BLK_S_IOERR);
	/* The very last sector is fine. */
	two.len = 512;
	CHECK(blk_request(&f, VIRTIO_BLK_T_IN, DISK_SECTORS - 1, &two, 1,
			   &used) == VIRTIO_BLK_S_OK);
	blk_teardown(&f);
}

static void unsupported_type(void)
{
	struct blk_fixture f;
	uint32_t used;

	if (!blk_setup(&f, false, ~0ULL))
		return;
	CHECK(blk_request(&f, VIRTIO_BLK_T_DISCARD, 0, NULL, 0, &used) ==
	       VIRTIO_BLK_S_UNSUPP);
	CHECK(blk_request(&f, 0x1234, 0, NULL, 0, &used) ==
	       VIRTIO_BLK_S_UNSUPP);
	blk_teardown(&f);
}

static void short_header_and_no_status(void)
{
	struct blk_fixture f;
	uint64_t header = guest_alloc(16), status = guest_alloc(1);
	struct driver_buf short_hdr[2] = {
		{ header, 8, false }, { status, 1, true } };
	struct driver_buf no_status[1] = { { header, 16, false } };
	uint32_t id, used;

	if (!blk_setup(&f, false, ~0ULL))
		return;
	*(uint8_t *)host(status) = NO_STATUS;
	driver_add(&f.drv, 0, short_hdr, 2);
	driver_kick(&f.drv, 0);
	CHECK(driver_used(&f.drv, 0, &id, &used) && used == 1);
	CHECK(*(uint8_t *)host(status) == VIRTIO_BLK_S_IOERR);
	driver_add(&f.drv, 0, no_status, 1);
	driver_kick(&f.drv, 0);
	CHECK(driver_used(&f.drv, 0, &id, &used) && used == 0);
	blk_teardown(&f);
}

static void header_split_over_buffers(void)
{
	struct blk_fixture f;
	uint64_t header = guest_alloc(16), status = guest_alloc(1);
	uint64_t data = guest_alloc(512);
	struct virtio_blk_outhdr *hdr = host(header);
	struct driver_buf bufs[4] = {
		{ header, 5, false }, { header + 5, 11, false },
		{ data, 512, true }, { status, 1, true } };
	uint32_t id, used;

	if (!blk_setup(&f, false, ~0ULL))
		return;
	hdr->type = VIRTIO_BLK_T_IN;
	hdr->sector = 1;
	driver_add(&f.drv, 0, bufs, 4);
	driver_kick(&f.drv, 0);
	CHECK(driver_used(&f.drv, 0, &id, &used) && used == 513);
	CHECK(*(uint8_t *)host(status) == VIRTIO_BLK_S_OK);
	CHECK(((uint8_t *)host(data))[0] == (uint8_t)(512 * 7));
	blk_teardown(&f);
}

/* The same read through an indirect table, as Linux sends big requests. */
static void indirect_request(void)
{
	struct blk_fixture f;
	uint64_t table = guest_alloc(3 * 16), header = guest_alloc(16);
	uint64_t data = guest_alloc(512), status = guest_alloc(1);
	struct vring_desc *desc = host(table);
	struct virtio_blk_outhdr *hdr = host(header);
	struct driver_buf indirect = { table, 3 * 16, false };
	uint32_t id, used;

	if (!blk_setup(&f, false, ~0ULL))
		return;
	hdr->type = VIRTIO_BLK_T_IN;
	hdr->sector = 2;
	desc[0] = (struct vring_desc){ header, 16, VRING_DESC_F_NEXT, 1 };
	desc[1] = (struct vring_desc){ data, 512,
				       VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2 };
	desc[2] = (struct vring_desc){ status, 1, VRING_DESC_F_WRITE, 0 };
	driver_add(&f.drv, 0, &indirect, 1);
	desc_entry(&f.drv, 0, 0)->flags = VRING_DESC_F_INDIRECT;
	driver_kick(&f.drv, 0);
	CHECK(driver_used(&f.drv, 0, &id, &used) && used == 513);
	CHECK(*(uint8_t *)host(status) == VIRTIO_BLK_S_OK);
	CHECK(((uint8_t *)host(data))[1] == (uint8_t)((1024 + 1) * 7));
	blk_teardown(&f);
}

/*
 * The longest request Linux sends, seg_max data segments, through one
 * indirect table: 256 descriptors on a queue of 16.  Linux sizes its
 * tables by seg_max, not by the queue, so a walker that bounded them by
 * the queue size would break this ring.
 */
static void indirect_request_of_seg_max(void)
{
	enum { ENTRIES = 256, SEGS = ENTRIES - 2 };	/* seg_max is 254 */
	const uint32_t bytes = 512 * DISK_SECTORS, piece = 128;
	struct blk_fixture f;
	uint64_t table = guest_alloc(ENTRIES * 16), header = guest_alloc(16);
	uint64_t data = guest_alloc(bytes), status = guest_alloc(1);
	struct vring_desc *desc = host(table);
	struct virtio_blk_outhdr *hdr = host(header);
	struct driver_buf indirect = { table, ENTRIES * 16, false };
	const uint8_t *got = host(data);
	uint32_t id, used;
	bool same = true;

	if (!blk_setup(&f, false, ~0ULL))
		return;
	hdr->type = VIRTIO_BLK_T_IN;
	hdr->sector = 0;
	desc[0] = (struct vring_desc){ header, 16, VRING_DESC_F_NEXT, 1 };
	/* Equal pieces, the last one taking what is left of the disk. */
	for (unsigned int i = 0; i < SEGS; i++)
		desc[1 + i] = (struct vring_desc){ data + piece * i,
			i + 1 < SEGS ? piece : bytes - piece * (SEGS - 1),
			VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, i + 2 };
	desc[ENTRIES - 1] = (struct vring_desc){ status, 1, VRING_DESC_F_WRITE,
						 0 };
	driver_add(&f.drv, 0, &indirect, 1);
	desc_entry(&f.drv, 0, 0)->flags = VRING_DESC_F_INDIRECT;
	driver_kick(&f.drv, 0);
	CHECK(driver_used(&f.drv, 0, &id, &used) && used == bytes + 1);
	CHECK(*(uint8_t *)host(status) == VIRTIO_BLK_S_OK);
	for (uint32_t i = 0; i < bytes; i++)
		same &= got[i] == (uint8_t)(i * 7);
	CHECK(same);
	blk_teardown(&f);
}

const struct tap_test blk_tests[] = {
	{ "blk: read returns the file's bytes, used len data+1", read_sector_pattern },
	{ "blk: write lands in the file and reads back (multi-segment)", write_then_read_back },
	{ "blk: flush", flush_ok },
	{ "blk: GET_ID gives the file name", get_id_is_file_name },
	{ "blk: read-only offers F_RO, refuses writes with IOERR", read_only_refuses_writes },
	{ "blk: out-of-range, wrapping, partial-sector requests IOERR", out_of_range_is_ioerr },
	{ "blk: unknown request types UNSUPP", unsupported_type },
	{ "blk: short header IOERR, no status byte used len 0", short_header_and_no_status },
	{ "blk: header split over two buffers", header_split_over_buffers },
	{ "blk: request through an indirect table", indirect_request },
	{ "blk: seg_max segments in one indirect table, longer than the queue",
	  indirect_request_of_seg_max },
	{ NULL, NULL },
};
