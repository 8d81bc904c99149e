// SPDX-License-Identifier: GPL-2.0
/*L:600
 * The block device: a file (or a host block device) that the guest sees
 * as /dev/vda.  One queue; each request is a chain of a 16-byte header the
 * guest wrote (type, reserved, sector), data buffers (the guest's for a
 * write, ours to fill for a read), and one status byte at the very end
 * for us to write.  We do the I/O synchronously when the guest kicks the
 * queue, on the vCPU thread: the guest waits in its MMIO write meanwhile.
 * That is the simplest thing that works; an I/O thread would let the
 * guest run during the I/O, at the cost of a lock and a wakeup.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "virtio_device.h"
#include "virtio_mmio.h"

#define SECTOR_SIZE		512
#define BLK_HEADER_SIZE		16

struct virtio_blk {
	int fd;
	bool read_only;
	uint64_t sectors;
	char id[VIRTIO_BLK_ID_BYTES];
	struct virtio_blk_config config;
	struct virtqueue_chain chain;	/* too big for the vCPU's stack */
};

struct blk_request {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

/*
 * Reads and writes go straight between the file and the guest's buffers
 * (preadv/pwritev on iovecs into guest memory): bytes of iov[] from skip
 * on.  A transfer that comes up short is continued where it stopped; one
 * that makes no progress (end of file, an error) is an I/O error for the
 * guest.
 */
static uint8_t blk_transfer(struct virtio_blk *blk, const struct iovec *iov,
			    unsigned int count, size_t skip, uint64_t bytes,
			    uint64_t sector, bool write)
{
	struct iovec part[VIRTQUEUE_MAX_SIZE];
	uint64_t done = 0;

	while (done < bytes) {
		unsigned int n = iov_slice(iov, count, skip + done, bytes - done,
					   part, VIRTQUEUE_MAX_SIZE);
		off_t offset = sector * SECTOR_SIZE + done;
		ssize_t moved = write ? pwritev(blk->fd, part, n, offset) :
					preadv(blk->fd, part, n, offset);

		if (moved < 0 && errno == EINTR)
			continue;
		if (moved <= 0)
			return VIRTIO_BLK_S_IOERR;
		done += moved;
	}
	return VIRTIO_BLK_S_OK;
}

/*L:610
 * Everything about the request's shape is the guest's to get wrong, so we
 * check it: a data length that is a whole number of sectors, and a range
 * of sectors inside the disk (written so that a huge sector can't wrap
 * the sum).  A read's data is every writable byte before the status byte;
 * a write's, every readable byte after the header.
 */
static bool blk_in_range(struct virtio_blk *blk, uint64_t sector,
			 uint64_t bytes)
{
	if (bytes % SECTOR_SIZE)
		return false;
	return sector <= blk->sectors && bytes / SECTOR_SIZE <= blk->sectors - sector;
}

static uint8_t blk_read(struct virtio_blk *blk, const struct blk_request *req,
			uint32_t *written)
{
	struct virtqueue_chain *chain = &blk->chain;
	uint64_t bytes = chain->in_bytes - 1;
	uint8_t status;

	if (!blk_in_range(blk, req->sector, bytes))
		return VIRTIO_BLK_S_IOERR;
	status = blk_transfer(blk, chain->in, chain->in_count, 0, bytes,
			      req->sector, false);
	if (status == VIRTIO_BLK_S_OK)
		*written += bytes;
	return status;
}

static uint8_t blk_write(struct virtio_blk *blk, const struct blk_request *req)
{
	struct virtqueue_chain *chain = &blk->chain;
	uint64_t bytes = chain->out_bytes - BLK_HEADER_SIZE;

	if (blk->read_only || !blk_in_range(blk, req->sector, bytes))
		return VIRTIO_BLK_S_IOERR;
	return blk_transfer(blk, chain->out, chain->out_count, BLK_HEADER_SIZE,
			    bytes, req->sector, true);
}

static uint8_t blk_flush(struct virtio_blk *blk)
{
	return fdatasync(blk->fd) ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
}

/* The guest's /sys/block/vda/serial: up to 20 bytes, NUL-padded. */
static uint8_t blk_get_id(struct virtio_blk *blk, uint32_t *written)
{
	struct virtqueue_chain *chain = &blk->chain;
	size_t room = chain->in_bytes - 1;

	if (room > VIRTIO_BLK_ID_BYTES)
		room = VIRTIO_BLK_ID_BYTES;
	*written += iov_copy_to(chain->in, chain->in_count, 0, blk->id, room);
	return VIRTIO_BLK_S_OK;
}

static uint8_t blk_execute(struct virtio_blk *blk, const struct blk_request *req,
			   uint32_t *written)
{
	switch (req->type) {
	case VIRTIO_BLK_T_IN:
		return blk_read(blk, req, written);
	case VIRTIO_BLK_T_OUT:
		return blk_write(blk, req);
	case VIRTIO_BLK_T_FLUSH:
		return blk_flush(blk);
	case VIRTIO_BLK_T_GET_ID:
		return blk_get_id(blk, written);
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
}

/*L:620
 * One request: read the header (it may be spread over several buffers),
 * do it, and write the status into the last writable byte.  A chain too
 * short to hold a header and a status byte is answered as well as it can
 * be: with an error status if there is a byte to put it in, and with
 * nothing at all (used length 0) if there isn't.
 */
static uint32_t blk_request(struct virtio_blk *blk)
{
	struct virtqueue_chain *chain = &blk->chain;
	struct blk_request req;
	uint32_t written = 0;
	uint8_t status;

	if (!chain->in_bytes) {
		fprintf(stderr, "lguest: virtio-blk: request without a status byte\n");
		return 0;
	}
	if (chain->out_bytes < BLK_HEADER_SIZE) {
		status = VIRTIO_BLK_S_IOERR;
	} else {
		iov_copy_from(chain->out, chain->out_count, 0, &req, sizeof(req));
		status = blk_execute(blk, &req, &written);
	}
	iov_copy_to(chain->in, chain->in_count, chain->in_bytes - 1, &status, 1);
	return written + 1;
}

static void blk_queue_notify(struct virtio_device *dev, unsigned int queue)
{
	struct virtio_blk *blk = dev->priv;
	struct virtqueue *vq = &dev->queues[queue];

	while (virtqueue_pop(vq, &blk->chain) == 1)
		virtqueue_push(vq, blk->chain.head, blk_request(blk));
	virtio_queue_done(dev, queue);
}

static void blk_destroy(struct virtio_device *dev)
{
	struct virtio_blk *blk = dev->priv;

	close(blk->fd);
	free(blk);
}

static const struct virtio_device_model blk_model = {
	.name = "virtio-blk",
	.device_id = VIRTIO_ID_BLOCK,
	.features = (1ULL << VIRTIO_BLK_F_SEG_MAX) | (1ULL << VIRTIO_BLK_F_FLUSH),
	.queue_count = 1,
	.queue_notify = blk_queue_notify,
	.destroy = blk_destroy,
};

static const struct virtio_device_model blk_ro_model = {
	.name = "virtio-blk",
	.device_id = VIRTIO_ID_BLOCK,
	.features = (1ULL << VIRTIO_BLK_F_SEG_MAX) | (1ULL << VIRTIO_BLK_F_FLUSH) |
		    (1ULL << VIRTIO_BLK_F_RO),
	.queue_count = 1,
	.queue_notify = blk_queue_notify,
	.destroy = blk_destroy,
};

/*
 * The disk's size, from the end of the file; a partial last sector is
 * invisible to the guest.  Its ID is the file's name, as much as fits.
 */
static void blk_open(struct virtio_blk *blk, const char *path, bool read_only)
{
	const char *name = strrchr(path, '/');
	size_t name_len;
	off_t end;

	blk->fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (blk->fd < 0)
		die("virtio-blk: can't open %s: %s", path, strerror(errno));
	end = lseek(blk->fd, 0, SEEK_END);
	if (end < 0)
		die("virtio-blk: can't find the size of %s: %s", path,
		    strerror(errno));
	blk->read_only = read_only;
	blk->sectors = end / SECTOR_SIZE;
	name = name ? name + 1 : path;
	name_len = strlen(name);
	memcpy(blk->id, name, name_len < sizeof(blk->id) ? name_len : sizeof(blk->id));
}

void virtio_blk_create(const struct guest_mem *mem, const char *path,
		       bool read_only)
{
	struct virtio_blk *blk = calloc(1, sizeof(*blk));

	if (!blk)
		die("out of memory for virtio-blk");
	blk_open(blk, path, read_only);
	blk->config.capacity = blk->sectors;
	/* Two descriptors of every chain go to the header and status. */
	blk->config.seg_max = VIRTQUEUE_MAX_SIZE - 2;
	virtio_device_create(read_only ? &blk_ro_model : &blk_model, mem, blk,
			     &blk->config, sizeof(blk->config));
}
