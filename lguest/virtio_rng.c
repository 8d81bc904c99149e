// SPDX-License-Identifier: GPL-2.0
/*L:650
 * The entropy device is the simplest virtio device there is: one queue of
 * writable buffers, which we fill with random bytes from the host kernel
 * and give back.  The guest's hw_random core feeds them to its entropy
 * pool, so a fresh guest doesn't wait for entropy at boot.
 */
#include <errno.h>
#include <linux/virtio_ids.h>
#include <stdlib.h>
#include <sys/random.h>

#include "virtio_device.h"
#include "virtio_mmio.h"

struct virtio_rng {
	struct virtqueue_chain chain;
};

/* Fill one buffer; how many bytes it got (all, unless getrandom failed). */
static size_t rng_fill(const struct iovec *iov)
{
	size_t done = 0;

	while (done < iov->iov_len) {
		ssize_t got = getrandom((char *)iov->iov_base + done,
					iov->iov_len - done, 0);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		done += got;
	}
	return done;
}

/*
 * The used length says how many bytes are random: we stop at the first
 * buffer getrandom() couldn't fill (it doesn't fail once the host's pool
 * is initialised, which it is long before anyone runs a guest).
 */
static uint32_t rng_request(struct virtqueue_chain *chain)
{
	uint32_t written = 0;

	for (unsigned int i = 0; i < chain->in_count; i++) {
		size_t got = rng_fill(&chain->in[i]);

		written += got;
		if (got < chain->in[i].iov_len)
			break;
	}
	return written;
}

static void rng_queue_notify(struct virtio_device *dev, unsigned int queue)
{
	struct virtio_rng *rng = dev->priv;
	struct virtqueue *vq = &dev->queues[queue];

	while (virtqueue_pop(vq, &rng->chain) == 1)
		virtqueue_push(vq, rng->chain.head, rng_request(&rng->chain));
	virtio_queue_done(dev, queue);
}

static void rng_destroy(struct virtio_device *dev)
{
	free(dev->priv);
}

static const struct virtio_device_model rng_model = {
	.name = "virtio-rng",
	.device_id = VIRTIO_ID_RNG,
	.queue_count = 1,
	.queue_notify = rng_queue_notify,
	.destroy = rng_destroy,
};

void virtio_rng_create(const struct guest_mem *mem)
{
	struct virtio_rng *rng = calloc(1, sizeof(*rng));

	if (!rng)
		die("out of memory for virtio-rng");
	virtio_device_create(&rng_model, mem, rng, NULL, 0);
}
