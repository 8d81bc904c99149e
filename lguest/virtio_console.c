// SPDX-License-Identifier: GPL-2.0
/*L:630
 * The console: the guest's hvc0.  Without the MULTIPORT feature it is one
 * port with two queues: queue 0 ("receiveq") holds empty buffers for what
 * the guest should read, queue 1 ("transmitq") brings what it writes.
 * Output goes to a file descriptor the launcher chose (stdout, usually);
 * input, if the launcher gave us one, comes from a file descriptor the
 * launcher's I/O thread watches for us.
 */
#include <errno.h>
#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "virtio_device.h"
#include "virtio_mmio.h"

#define CONSOLE_RECEIVE_QUEUE	0
#define CONSOLE_TRANSMIT_QUEUE	1
#define CONSOLE_INPUT_BUFFER	256

struct virtio_console {
	struct virtio_device *dev;
	int out_fd, in_fd;
	bool input_ended;
	bool output_failed;
	bool output_started;
	/* Input read from in_fd that no guest buffer has taken yet. */
	uint8_t input[CONSOLE_INPUT_BUFFER];
	size_t input_len;
	struct virtio_console_config config;
	struct virtqueue_chain chain;
};

/*L:635
 * Guest output: every readable byte of the chain, in order, to out_fd.  A
 * console that can't write (a closed pipe) loses output rather than
 * stopping the guest; we say so once.  The first time the guest writes,
 * the launcher stops copying the UART's output to the terminal: the
 * kernel's messages now come this way, and would come twice.
 */
static void console_write_all(struct virtio_console *console,
			      const struct iovec *iov)
{
	size_t done = 0;

	while (done < iov->iov_len && !console->output_failed) {
		ssize_t wrote = write(console->out_fd,
				      (char *)iov->iov_base + done,
				      iov->iov_len - done);

		if (wrote < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (wrote <= 0) {
			fprintf(stderr, "lguest: virtio-console: output lost: %s\n",
				strerror(errno));
			console->output_failed = true;
			return;
		}
		done += wrote;
	}
}

static void console_transmit(struct virtio_device *dev)
{
	struct virtio_console *console = dev->priv;
	struct virtqueue *vq = &dev->queues[CONSOLE_TRANSMIT_QUEUE];
	struct virtqueue_chain *chain = &console->chain;

	while (virtqueue_pop(vq, chain) == 1) {
		if (!console->output_started && chain->out_count) {
			console->output_started = true;
			console_handover();
		}
		for (unsigned int i = 0; i < chain->out_count; i++)
			console_write_all(console, &chain->out[i]);
		virtqueue_push(vq, chain->head, 0);
	}
	virtio_queue_done(dev, CONSOLE_TRANSMIT_QUEUE);
}

/*L:640
 * Guest input: whatever we have read, into as many of the guest's receive
 * buffers as it takes.  Called when input arrives and when the guest adds
 * receive buffers, so bytes wait here only while the guest has no buffer.
 * A receive buffer with no room in it takes nothing: we give it back and
 * stop there, so each turn of the loop moves at least one byte and a
 * guest that keeps offering empty buffers cannot keep us spinning.
 */
static void console_deliver(struct virtio_device *dev)
{
	struct virtio_console *console = dev->priv;
	struct virtqueue *vq = &dev->queues[CONSOLE_RECEIVE_QUEUE];
	struct virtqueue_chain *chain = &console->chain;
	size_t copied;

	if (!virtio_device_running(dev))
		return;
	while (console->input_len && virtqueue_pop(vq, chain) == 1) {
		copied = iov_copy_to(chain->in, chain->in_count, 0,
				     console->input, console->input_len);
		memmove(console->input, console->input + copied,
			console->input_len - copied);
		console->input_len -= copied;
		virtqueue_push(vq, chain->head, copied);
		if (!copied)
			break;
	}
	virtio_queue_done(dev, CONSOLE_RECEIVE_QUEUE);
}

static void console_queue_notify(struct virtio_device *dev, unsigned int queue)
{
	if (queue == CONSOLE_TRANSMIT_QUEUE)
		console_transmit(dev);
	else
		console_deliver(dev);
}

/*L:645
 * The I/O thread calls this when in_fd is readable.  We always read, even
 * when our buffer is full and the guest has no receive buffer, dropping
 * what doesn't fit: otherwise in_fd would stay readable and the I/O
 * thread would call us again at once, forever.  End of file is the same
 * story, so there we ask the I/O thread to stop watching in_fd: the guest
 * simply gets no more input.
 */
static void console_input_ready(void *opaque)
{
	struct virtio_device *dev = opaque;
	struct virtio_console *console = dev->priv;
	uint8_t scratch[CONSOLE_INPUT_BUFFER];
	size_t room;
	ssize_t got;

	pthread_mutex_lock(&dev->lock);
	if (console->input_ended)
		goto out;
	room = sizeof(console->input) - console->input_len;
	got = read(console->in_fd, room ? console->input + console->input_len :
		   scratch, room ? room : sizeof(scratch));
	if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) {
		console->input_ended = true;
		io_unwatch(console->in_fd);
	}
	if (got > 0 && room)
		console->input_len += got;
	console_deliver(dev);
out:
	pthread_mutex_unlock(&dev->lock);
}

static void console_reset(struct virtio_device *dev)
{
	struct virtio_console *console = dev->priv;

	console->input_len = 0;
}

static void console_destroy(struct virtio_device *dev)
{
	free(dev->priv);
}

static const struct virtio_device_model console_model = {
	.name = "virtio-console",
	.device_id = VIRTIO_ID_CONSOLE,
	.queue_count = 2,
	.queue_notify = console_queue_notify,
	.reset = console_reset,
	.destroy = console_destroy,
};

void virtio_console_create(const struct guest_mem *mem, int out_fd, int in_fd)
{
	struct virtio_console *console = calloc(1, sizeof(*console));

	if (!console)
		die("out of memory for virtio-console");
	console->out_fd = out_fd;
	console->in_fd = in_fd;
	console->dev = virtio_device_create(&console_model, mem, console,
					    &console->config,
					    sizeof(console->config));
	if (in_fd >= 0 && io_watch(in_fd, console_input_ready, console->dev))
		die("virtio-console: can't watch input fd %d", in_fd);
}
