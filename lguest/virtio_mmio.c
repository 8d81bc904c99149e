// SPDX-License-Identifier: GPL-2.0
/*L:500
 * Virtio is how our guest does I/O: its drivers put buffers in rings in
 * its own memory and tell us; we fill or drain them and tell it back.  The
 * "transport" is how the driver finds the device, agrees on features and
 * says where its rings are.  We use virtio-mmio (virtio 1.2, 4.2): each
 * device is a 4 KiB window of registers in guest-physical address space
 * that traps into the launcher when the guest touches it, and one
 * interrupt line.  With no PCI and no ACPI there is nothing to enumerate,
 * so we simply tell the guest kernel where the devices are on its command
 * line.
 *
 * This file is the transport; the devices (virtio_blk.c, virtio_console.c
 * and virtio_rng.c here, virtio_net.c in the network chapter) only see
 * chains of buffers, through the model of L:502.
 */
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtio_device.h"
#include "virtio_mmio.h"

#define VIRTIO_MMIO_MAGIC	0x74726976	/* "virt" */
#define VIRTIO_MMIO_VENDOR	0x7473676c	/* "lgst" */

/* PIC lines for virtio devices: 0 is the PIT, 4 the UART, 8 the RTC's. */
static const unsigned int virtio_irqs[] = { 5, 6, 7, 9, 10, 11, 12, 14, 15, 3 };
#define VIRTIO_MAX_DEVICES	(sizeof(virtio_irqs) / sizeof(virtio_irqs[0]))

static struct virtio_device *devices[VIRTIO_MAX_DEVICES];
static unsigned int device_count;

static uint64_t device_features(const struct virtio_device *dev)
{
	return dev->model->features | VIRTIO_MMIO_TRANSPORT_FEATURES;
}

bool virtio_negotiated(const struct virtio_device *dev, unsigned int bit)
{
	return dev->driver_features & (1ULL << bit);
}

bool virtio_device_running(const struct virtio_device *dev)
{
	return (dev->status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	       !(dev->status & VIRTIO_CONFIG_S_NEEDS_RESET);
}

/*L:690
 * The guest's virtio_mmio driver handles the device's interrupt by reading
 * InterruptStatus, writing the same bits to InterruptACK, and only then
 * looking at the rings.  So a pulse is needed only when a bit appears in
 * InterruptStatus: while a bit is still set, the handler that will clear
 * it hasn't looked at the rings yet and will see our new used entries.
 */
static void raise_interrupt(struct virtio_device *dev, uint32_t bit)
{
	bool gained = !(dev->interrupt_status & bit);

	dev->interrupt_status |= bit;
	if (gained)
		irq_pulse(dev->irq);
}

/*L:695
 * A guest that breaks a ring's rules gets no more service on that device:
 * we set DEVICE_NEEDS_RESET in the status register and raise a config
 * change interrupt, as the spec says, and say why on stderr, once.  A
 * driver that cares resets the device; the launcher goes on either way.
 */
static void report_broken(struct virtio_device *dev, unsigned int queue,
			  const char *reason)
{
	if (dev->needs_reset_reported)
		return;
	dev->needs_reset_reported = true;
	fprintf(stderr, "lguest: %s queue %u: %s; device needs reset\n",
		dev->model->name, queue, reason);
	dev->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	raise_interrupt(dev, VIRTIO_MMIO_INT_CONFIG);
}

void virtio_device_broken(struct virtio_device *dev, unsigned int queue,
			  const char *reason)
{
	report_broken(dev, queue, reason);
}

void virtio_queue_done(struct virtio_device *dev, unsigned int queue)
{
	struct virtqueue *vq = &dev->queues[queue];

	vq->runs++;
	vring_core_count_run(&vq->core);
	if (virtqueue_needs_interrupt(vq))
		raise_interrupt(dev, VIRTIO_MMIO_INT_VRING);
	if (virtqueue_broken(vq))
		report_broken(dev, queue, virtqueue_broken(vq));
}

static void reset_device(struct virtio_device *dev)
{
	for (unsigned int i = 0; i < VIRTIO_DEVICE_MAX_QUEUES; i++)
		virtqueue_reset(&dev->queues[i], dev->mem);
	dev->status = 0;
	dev->device_features_select = 0;
	dev->driver_features_select = 0;
	dev->driver_features = 0;
	dev->queue_select = 0;
	dev->interrupt_status = 0;
	dev->needs_reset_reported = false;
	if (dev->model->reset)
		dev->model->reset(dev);
}

static struct virtqueue *selected_queue(struct virtio_device *dev)
{
	if (dev->queue_select >= dev->model->queue_count)
		return NULL;
	return &dev->queues[dev->queue_select];
}

static uint32_t feature_word(uint64_t features, uint32_t select)
{
	if (select > 1)
		return 0;
	return features >> (32 * select);
}

static uint32_t read_register(struct virtio_device *dev, uint64_t offset)
{
	struct virtqueue *vq = selected_queue(dev);

	switch (offset) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return 2;
	case VIRTIO_MMIO_DEVICE_ID:
		return dev->model->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return feature_word(device_features(dev),
				    dev->device_features_select);
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return vq ? VIRTQUEUE_MAX_SIZE : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return vq ? vq->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return dev->interrupt_status |
		       (dev->irq_external ? VIRTIO_MMIO_INT_VRING : 0);
	case VIRTIO_MMIO_STATUS:
		return dev->status;
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
		return 0xffffffff;	/* no shared memory regions */
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return dev->config_generation;
	default:
		return 0;
	}
}

/*L:510
 * The driver's first steps, as Linux's virtio_mmio does them: check the
 * magic and version, read the device ID, reset the device (write 0 to
 * Status), set ACKNOWLEDGE and DRIVER, then read our feature bits 32 at a
 * time and write back the ones it wants, and set FEATURES_OK.  That is our
 * one chance to refuse: a driver that didn't accept VIRTIO_F_VERSION_1
 * speaks the legacy protocol, which we don't, and it must not claim a bit
 * we didn't offer; and the device may have rules of its own (a feature
 * that needs another).  We refuse by leaving FEATURES_OK clear, which the
 * driver reads back.
 */
static bool features_acceptable(const struct virtio_device *dev)
{
	uint64_t unknown = dev->driver_features & ~device_features(dev);

	if (unknown || !virtio_negotiated(dev, VIRTIO_F_VERSION_1))
		return false;
	return !dev->model->features_ok || dev->model->features_ok(dev);
}

static void kick_queue(struct virtio_device *dev, unsigned int queue)
{
	if (queue >= dev->model->queue_count || !virtio_device_running(dev))
		return;
	if (!dev->queues[queue].ready)
		return;
	/* Strict mode judges new chains here, where the RIP is the driver's. */
	strict_ring_check(&dev->queues[queue]);
	dev->queues[queue].kicks++;
	dev->model->queue_notify(dev, queue);
}

/*L:515
 * Status only ever gains bits, until a reset (a write of 0) clears them
 * all: the spec forbids a driver to clear one, and we don't let it.  A
 * driver that could would set DRIVER_OK a second time with no reset in
 * between, and every device would start its backend again over the one
 * already running (on the vhost backend a second vhost-net instance on
 * the same rings, the first one's fds lost); or it would clear
 * FEATURES_OK, change its features and set it again.  And DRIVER_OK only
 * after FEATURES_OK: features we never accepted must not go live.
 * NEEDS_RESET is ours to set; the driver can't clear it either.
 */
static void write_status(struct virtio_device *dev, uint32_t value)
{
	uint32_t added = value & ~dev->status & ~VIRTIO_CONFIG_S_NEEDS_RESET;

	if (!value) {
		reset_device(dev);
		return;
	}
	if ((added & VIRTIO_CONFIG_S_FEATURES_OK) && !features_acceptable(dev))
		added &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	if (!((dev->status | added) & VIRTIO_CONFIG_S_FEATURES_OK))
		added &= ~VIRTIO_CONFIG_S_DRIVER_OK;
	dev->status |= added;

	/* Buffers the driver added before DRIVER_OK wait for this moment. */
	if ((added & VIRTIO_CONFIG_S_DRIVER_OK) && dev->model->driver_ok)
		dev->model->driver_ok(dev);
	if (added & VIRTIO_CONFIG_S_DRIVER_OK)
		for (unsigned int i = 0; i < dev->model->queue_count; i++)
			kick_queue(dev, i);
}

/*L:520
 * Then, for each queue: select it, read QueueNumMax (0 means "no such
 * queue"), write the size it chose and the guest-physical addresses of
 * the descriptor table, the avail ring ("driver area") and the used ring
 * ("device area"), the three parts of a split ring (R:010), 32 bits at a
 * time, and set QueueReady.  The spec says
 * a driver doesn't touch a ready queue's registers; if it does we ignore
 * it, so the ring we checked at QueueReady is the ring we use.
 */
static void set_address_half(uint64_t *address, bool high, uint32_t value)
{
	if (high)
		*address = (*address & 0xffffffffULL) | ((uint64_t)value << 32);
	else
		*address = (*address & ~0xffffffffULL) | value;
}

static void write_queue_ready(struct virtio_device *dev, struct virtqueue *vq,
			      uint32_t value)
{
	if (!value) {
		vq->ready = false;
		return;
	}
	/* Queues are set up with the features settled (L:515). */
	if (vq->ready || !(dev->status & VIRTIO_CONFIG_S_FEATURES_OK))
		return;
	if (!virtqueue_start(vq, virtio_negotiated(dev, VIRTIO_RING_F_EVENT_IDX),
			     virtio_negotiated(dev, VIRTIO_RING_F_INDIRECT_DESC)))
		report_broken(dev, dev->queue_select, virtqueue_broken(vq));
}

static void write_queue_register(struct virtio_device *dev, uint64_t offset,
				 uint32_t value)
{
	struct virtqueue *vq = selected_queue(dev);

	if (!vq || (vq->ready && offset != VIRTIO_MMIO_QUEUE_READY))
		return;
	switch (offset) {
	case VIRTIO_MMIO_QUEUE_NUM:
		vq->size = value > 0xffff ? 0 : value;
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		write_queue_ready(dev, vq, value);
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		set_address_half(&vq->desc_gpa,
				 offset == VIRTIO_MMIO_QUEUE_DESC_HIGH, value);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		set_address_half(&vq->avail_gpa,
				 offset == VIRTIO_MMIO_QUEUE_AVAIL_HIGH, value);
		break;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		set_address_half(&vq->used_gpa,
				 offset == VIRTIO_MMIO_QUEUE_USED_HIGH, value);
		break;
	}
}

static void write_driver_features(struct virtio_device *dev, uint32_t value)
{
	uint32_t shift = 32 * dev->driver_features_select;

	/* Features are settled once FEATURES_OK is set. */
	if (dev->driver_features_select > 1 ||
	    (dev->status & VIRTIO_CONFIG_S_FEATURES_OK))
		return;
	dev->driver_features &= ~(0xffffffffULL << shift);
	dev->driver_features |= (uint64_t)value << shift;
}

/*L:530
 * Finally the driver sets DRIVER_OK and the device is live.  From then on
 * the register the guest writes most is QueueNotify: "there are new
 * buffers in queue N".  That write traps out of the guest, through the
 * launcher's MMIO dispatch, to here, and we hand the queue to the device
 * model at once, on the vCPU thread: the guest is stopped at its MMIO
 * write until we return.  Simple, and plenty fast for a block device.
 */
static void write_register(struct virtio_device *dev, uint64_t offset,
			   uint32_t value)
{
	switch (offset) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		dev->device_features_select = value;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		write_driver_features(dev, value);
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		dev->driver_features_select = value;
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		dev->queue_select = value;
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		kick_queue(dev, value);
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		dev->interrupt_status &= ~value;
		break;
	case VIRTIO_MMIO_STATUS:
		write_status(dev, value);
		break;
	default:
		write_queue_register(dev, offset, value);
		break;
	}
}

static void read_config(struct virtio_device *dev, uint64_t offset,
			void *data, unsigned int len)
{
	memset(data, 0, len);
	if (offset >= dev->config_size)
		return;
	if (len > dev->config_size - offset)
		len = dev->config_size - offset;
	memcpy(data, (uint8_t *)dev->config + offset, len);
}

/*
 * Registers are 32 bits wide and 32-bit aligned; the spec lets us ignore
 * other accesses to them.  Config space may be read at any width.  Writes
 * to config space are ignored: none of our devices has a writable field.
 */
static void virtio_mmio_read(void *opaque, uint64_t offset, void *data,
			     unsigned int len)
{
	struct virtio_device *dev = opaque;
	uint32_t value;

	pthread_mutex_lock(&dev->lock);
	if (offset >= VIRTIO_MMIO_CONFIG) {
		read_config(dev, offset - VIRTIO_MMIO_CONFIG, data, len);
	} else if (len == 4 && !(offset & 3)) {
		value = read_register(dev, offset);
		memcpy(data, &value, 4);
		strict_mmio_read(dev, offset, len, value);
	} else {
		memset(data, 0, len);
		strict_mmio_read(dev, offset, len, 0);
	}
	pthread_mutex_unlock(&dev->lock);
}

static void virtio_mmio_write(void *opaque, uint64_t offset, const void *data,
			      unsigned int len)
{
	struct virtio_device *dev = opaque;
	uint32_t value = 0;

	memcpy(&value, data, len < 4 ? len : 4);
	pthread_mutex_lock(&dev->lock);
	/* Strict mode sees every access, even those we ignore (L:715). */
	strict_mmio_write(dev, offset, len, value);
	if (offset < VIRTIO_MMIO_CONFIG && len == 4 && !(offset & 3))
		write_register(dev, offset, value);
	pthread_mutex_unlock(&dev->lock);
}

static const struct mmio_ops virtio_mmio_ops = {
	.read = virtio_mmio_read,
	.write = virtio_mmio_write,
};

/*L:505
 * Each device gets the next 4 KiB window from VIRTIO_MMIO_BASE up and the
 * next free interrupt line, and is announced as
 * virtio_mmio.device=4K@0xfeb00000:5 on the kernel command line, which
 * the guest's virtio_mmio driver turns into a platform device.
 */
struct virtio_device *virtio_device_create(const struct virtio_device_model *model,
					   const struct guest_mem *mem,
					   void *priv, void *config,
					   size_t config_size)
{
	struct virtio_device *dev;

	if (device_count == VIRTIO_MAX_DEVICES)
		die("too many virtio devices (at most %zu)", VIRTIO_MAX_DEVICES);
	if (model->queue_count > VIRTIO_DEVICE_MAX_QUEUES)
		die("%s: %u queues, at most %d", model->name,
		    model->queue_count, VIRTIO_DEVICE_MAX_QUEUES);
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		die("out of memory for %s", model->name);
	dev->model = model;
	dev->mem = mem;
	dev->priv = priv;
	dev->config = config;
	dev->config_size = config_size;
	dev->mmio_base = VIRTIO_MMIO_BASE + device_count * VIRTIO_MMIO_SIZE;
	dev->irq = virtio_irqs[device_count];
	pthread_mutex_init(&dev->lock, NULL);
	dev->strict = strict_device_create(dev);
	reset_device(dev);

	if (mmio_register(dev->mmio_base, VIRTIO_MMIO_SIZE, &virtio_mmio_ops, dev))
		die("%s: can't claim MMIO window at 0x%llx", model->name,
		    (unsigned long long)dev->mmio_base);
	cmdline_append("virtio_mmio.device=4K@0x%llx:%u",
		       (unsigned long long)dev->mmio_base, dev->irq);
	devices[device_count++] = dev;
	return dev;
}

/*
 * May run on either thread (launcher_exit()); each device's lock keeps
 * its counters still while they are read.  But the launcher may be
 * ending from inside a device's own handler, with that device's lock
 * held (--virtio-strict=fatal, L:700): a lock we cannot take at once is
 * held by this thread or busy on the other, and the counters are read
 * as they are rather than waited for, which could be for ever.
 */
void virtio_print_stats(FILE *out)
{
	for (unsigned int i = 0; i < device_count; i++) {
		struct virtio_device *dev = devices[i];
		bool locked;

		if (!dev->model->print_stats)
			continue;
		locked = !pthread_mutex_trylock(&dev->lock);
		dev->model->print_stats(dev, out);
		if (locked)
			pthread_mutex_unlock(&dev->lock);
	}
}

void virtio_destroy_all(void)
{
	for (unsigned int i = 0; i < device_count; i++) {
		struct virtio_device *dev = devices[i];

		if (dev->model->destroy)
			dev->model->destroy(dev);
		if (dev->strict)
			strict_device_destroy(dev->strict);
		pthread_mutex_destroy(&dev->lock);
		free(dev);
		devices[i] = NULL;
	}
	device_count = 0;
}

/*L:990
 * You now know how the guest finds its devices and gives them work: a
 * window of registers per device, a feature handshake, queues whose three
 * parts the driver places where it likes, a notify write to say "look",
 * and an interrupt back.  What we have not looked at is the ring itself,
 * every word of which the guest can change while we read it.  Next, the
 * split ring, and how we walk it without trusting it (R:010).
 */
