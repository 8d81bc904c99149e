// SPDX-License-Identifier: GPL-2.0
/*L:250
 * The console: an 8250-family UART, as on every PC since 1981, at port
 * 0x3f8 on IRQ 4 ("COM1").  Linux's 8250 driver finds it without being
 * told, the kernel writes its messages to it with console=ttyS0, and the
 * guest's shell reads from it.  It is the one device we emulate the old
 * way, register by register, because it is what gets a kernel talking
 * before anything else works.
 *
 * We emulate a 16550A: the 8250's registers plus a FIFO.  What comes out
 * of the transmitter goes to our stdout; what we read from stdin (on the
 * I/O thread) goes into the receive FIFO.  Transmission is instant: the
 * transmit register is always empty.
 *
 * With --console=virtio the guest's console is hvc0 instead, and stdin
 * goes to the virtio console, through a pipe.  The UART is still there,
 * and the kernel still writes its messages to ttyS0 (the command line
 * starts with console=ttyS0).  Until hvc0 first writes, that is the only
 * copy there is: hvc0 drops what the kernel prints before its driver is
 * up.  From then on each message comes both ways, so the UART's output
 * is dropped (console_handover()).
 */
#define _GNU_SOURCE		/* F_GETPIPE_SZ */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "launcher.h"

#define UART_PORT	0x3f8
#define UART_IRQ	4

/* Register offsets (with DLAB, 0 and 1 are the divisor latch). */
#define REG_DATA	0	/* RBR read, THR write */
#define REG_IER		1
#define REG_IIR_FCR	2	/* IIR read, FCR write */
#define REG_LCR		3
#define REG_MCR		4
#define REG_LSR		5
#define REG_MSR		6
#define REG_SCR		7

#define IER_RDI		0x01	/* receive data available interrupt */
#define IER_THRI	0x02	/* transmitter empty interrupt */
#define IER_MASK	0x0f
#define IIR_NO_INT	0x01
#define IIR_THRI	0x02
#define IIR_RDI		0x04
#define IIR_FIFO_ON	0xc0
#define FCR_ENABLE	0x01
#define FCR_CLEAR_RX	0x02
#define LCR_DLAB	0x80
#define MCR_DTR		0x01
#define MCR_RTS		0x02
#define MCR_OUT1	0x04
#define MCR_OUT2	0x08
#define MCR_LOOP	0x10
#define LSR_DR		0x01
#define LSR_THRE	0x20
#define LSR_TEMT	0x40
#define MSR_CTS		0x10
#define MSR_DSR		0x20
#define MSR_RI		0x40
#define MSR_DCD		0x80

#define RX_SIZE		4096
#define CTRL_C		0x03

struct uart {
	pthread_mutex_t lock;
	uint8_t ier, lcr, mcr, fcr, scr, dll, dlm;
	/* The transmitter-empty interrupt is pending (until IIR is read). */
	bool thr_pending;
	int irq_level;
	uint8_t rx[RX_SIZE];
	unsigned int rx_head, rx_count;
	/* When the last two Ctrl-Cs came from the terminal. */
	struct timespec ctrl_c[2];
	unsigned long sent_output, lost_output;
	/* Another console writes to the terminal: drop our output. */
	bool handed_over;
	/* Not the console: stdin goes into this pipe for the one that is. */
	int forward_fd;
};

static struct uart uart = { .lock = PTHREAD_MUTEX_INITIALIZER };
static int pipe_read_end = -1;
static struct termios saved_termios;
static bool termios_saved;

/*L:260
 * The interrupt identification register names the most important reason
 * the UART wants attention: received data before "transmitter empty".
 * The line to the PIC is up whenever there is any reason at all.
 */
static uint8_t uart_iir(const struct uart *u)
{
	uint8_t fifo = (u->fcr & FCR_ENABLE) ? IIR_FIFO_ON : 0;

	if ((u->ier & IER_RDI) && u->rx_count)
		return fifo | IIR_RDI;
	if ((u->ier & IER_THRI) && u->thr_pending)
		return fifo | IIR_THRI;
	return fifo | IIR_NO_INT;
}

static void uart_update_irq(struct uart *u)
{
	int level = !(uart_iir(u) & IIR_NO_INT);

	if (level != u->irq_level) {
		u->irq_level = level;
		irq_set_level(UART_IRQ, level);
	}
}

static void rx_push(struct uart *u, uint8_t c)
{
	if (u->rx_count < RX_SIZE) {
		u->rx[(u->rx_head + u->rx_count) % RX_SIZE] = c;
		u->rx_count++;
	}
}

static uint8_t rx_pop(struct uart *u)
{
	uint8_t c;

	if (!u->rx_count)
		return 0;
	c = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % RX_SIZE;
	u->rx_count--;
	return c;
}

static void uart_transmit(struct uart *u, uint8_t c)
{
	/*
	 * In loopback mode the transmitter is wired to the receiver and
	 * nothing leaves the chip.
	 */
	if (u->mcr & MCR_LOOP)
		rx_push(u, c);
	else if (!u->handed_over && write(STDOUT_FILENO, &c, 1) != 1)
		u->lost_output++;	/* nobody listens; the guest cannot tell */
	else
		u->sent_output++;
	u->thr_pending = true;
}

/*
 * At exit (-v).  The exit may come from inside the UART's own handler,
 * holding its lock (three Ctrl-Cs, L:280), so a lock that is not free at
 * once is not waited for: the counters are read as they are.
 */
void uart_print_stats(FILE *out)
{
	bool locked = !pthread_mutex_trylock(&uart.lock);

	fprintf(out, "lguest: serial port: %lu bytes out, %lu lost\n",
		uart.sent_output, uart.lost_output);
	if (locked)
		pthread_mutex_unlock(&uart.lock);
}

/*L:270
 * The modem status register.  Linux's probe puts the UART in loopback
 * mode and checks that the modem control outputs come back on the status
 * inputs (RTS to CTS, DTR to DSR, OUT1 to RI, OUT2 to DCD): a real chip
 * does that, so we do too.  Out of loopback, a carrier is always there.
 */
static uint8_t uart_msr(const struct uart *u)
{
	uint8_t msr = 0;

	if (!(u->mcr & MCR_LOOP))
		return MSR_DCD | MSR_DSR | MSR_CTS;
	if (u->mcr & MCR_RTS)
		msr |= MSR_CTS;
	if (u->mcr & MCR_DTR)
		msr |= MSR_DSR;
	if (u->mcr & MCR_OUT1)
		msr |= MSR_RI;
	if (u->mcr & MCR_OUT2)
		msr |= MSR_DCD;
	return msr;
}

static uint8_t uart_read_reg(struct uart *u, unsigned int reg)
{
	bool dlab = u->lcr & LCR_DLAB;
	uint8_t iir;

	switch (reg) {
	case REG_DATA:
		return dlab ? u->dll : rx_pop(u);
	case REG_IER:
		return dlab ? u->dlm : u->ier;
	case REG_IIR_FCR:
		iir = uart_iir(u);
		/* Reading IIR acknowledges a transmitter-empty interrupt. */
		if ((iir & 0x0f) == IIR_THRI)
			u->thr_pending = false;
		return iir;
	case REG_LCR:
		return u->lcr;
	case REG_MCR:
		return u->mcr;
	case REG_LSR:
		return LSR_THRE | LSR_TEMT | (u->rx_count ? LSR_DR : 0);
	case REG_MSR:
		return uart_msr(u);
	default:
		return u->scr;
	}
}

static void uart_write_reg(struct uart *u, unsigned int reg, uint8_t val)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case REG_DATA:
		if (dlab)
			u->dll = val;
		else
			uart_transmit(u, val);
		break;
	case REG_IER:
		if (dlab) {
			u->dlm = val;
			break;
		}
		/*
		 * Enabling the transmitter-empty interrupt while the
		 * transmitter is empty raises it at once: Linux checks this
		 * at startup to spot UARTs with a broken THRE interrupt.
		 */
		if ((val & IER_THRI) && !(u->ier & IER_THRI))
			u->thr_pending = true;
		else if (!(val & IER_THRI))
			u->thr_pending = false;
		u->ier = val & IER_MASK;
		break;
	case REG_IIR_FCR:
		u->fcr = val & 0xc9;
		if (val & FCR_CLEAR_RX)
			u->rx_count = 0;
		break;
	case REG_LCR:
		u->lcr = val;
		break;
	case REG_MCR:
		u->mcr = val & 0x1f;
		break;
	case REG_SCR:
		u->scr = val;
		break;
	default:
		break;		/* LSR and MSR are read-only */
	}
}

static void uart_pio_read(void *opaque, uint64_t offset, void *data,
			  unsigned int len)
{
	struct uart *u = opaque;

	memset(data, 0xff, len);
	pthread_mutex_lock(&u->lock);
	*(uint8_t *)data = uart_read_reg(u, offset);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

static void uart_pio_write(void *opaque, uint64_t offset, const void *data,
			   unsigned int len)
{
	struct uart *u = opaque;

	(void)len;
	pthread_mutex_lock(&u->lock);
	uart_write_reg(u, offset, *(const uint8_t *)data);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

static const struct mmio_ops uart_ops = {
	.read = uart_pio_read,
	.write = uart_pio_write,
};

/*L:280
 * The terminal.  When our stdin is a terminal we put it in raw mode, so
 * that every key goes to the guest as it is typed, Ctrl-C included: the
 * guest's shell, not the launcher, should see an interrupt.  To still let
 * the user out of a wedged guest, three Ctrl-Cs within a second end the
 * launcher, as they did in the original lguest.  Whatever way we exit,
 * the terminal gets its settings back (terminal_restore() runs from
 * atexit and from the signal handlers in launcher.c).
 */
void terminal_restore(void)
{
	if (termios_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
}

static void terminal_raw(void)
{
	struct termios raw;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_termios))
		return;
	termios_saved = true;
	atexit(terminal_restore);
	raw = saved_termios;
	raw.c_lflag &= ~(ISIG | ICANON | ECHO | IEXTEN);
	raw.c_iflag &= ~(ICRNL | IXON);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	tcsetattr(STDIN_FILENO, TCSANOW, &raw);
}

static double seconds_between(const struct timespec *a,
			      const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) + (b->tv_nsec - a->tv_nsec) / 1e9;
}

static void count_ctrl_c(struct uart *u)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (u->ctrl_c[0].tv_sec && seconds_between(&u->ctrl_c[0], &now) < 1.0) {
		terminal_restore();
		fprintf(stderr, "\nlguest: three Ctrl-Cs within a second: stopping the guest\n");
		launcher_exit(LGUEST_STATUS_CTRL_C);
	}
	u->ctrl_c[0] = u->ctrl_c[1];
	u->ctrl_c[1] = now;
}

/*
 * At the end of stdin we stop listening (an fd at EOF is readable for
 * ever), and a console fed through the pipe sees its end of file too.
 */
static void stdin_closed(struct uart *u)
{
	io_unwatch(STDIN_FILENO);
	if (u->forward_fd >= 0) {
		close(u->forward_fd);
		u->forward_fd = -1;
	}
}

/*
 * How much we may take from stdin now: what the receive FIFO, or the
 * pipe to the virtio console, has room for.
 */
static size_t stdin_room(struct uart *u)
{
	int queued = 0, size;
	size_t room;

	if (u->forward_fd < 0) {
		pthread_mutex_lock(&u->lock);
		room = RX_SIZE - u->rx_count;
		pthread_mutex_unlock(&u->lock);
		return room;
	}
	size = fcntl(u->forward_fd, F_GETPIPE_SZ);
	if (size < 0 || ioctl(pipe_read_end, FIONREAD, &queued) < 0)
		return 0;
	return queued < size ? (size_t)(size - queued) : 0;
}

static void forward_input(struct uart *u, const uint8_t *buf, size_t n)
{
	ssize_t wrote;

	while (n && u->forward_fd >= 0) {
		wrote = write(u->forward_fd, buf, n);
		if (wrote < 0 && errno == EINTR)
			continue;
		if (wrote <= 0)
			return;	/* the console stopped reading: drop it */
		buf += wrote;
		n -= wrote;
	}
}

/*L:290
 * Called on the I/O thread when stdin has data.  We take only what fits
 * in the receive FIFO (or the pipe to the virtio console); the rest waits
 * in the kernel's buffer, and the guest gets an interrupt for what we
 * took.  Every Ctrl-C from a terminal is counted on the way, whichever
 * console it is for.
 */
static void uart_stdin_ready(void *opaque)
{
	struct uart *u = opaque;
	uint8_t buf[256];
	size_t room, i;
	ssize_t n;

	room = stdin_room(u);
	if (!room) {
		usleep(10000);	/* the guest is not reading; let it catch up */
		return;
	}
	n = read(STDIN_FILENO, buf, room < sizeof(buf) ? room : sizeof(buf));
	if (n <= 0) {
		if (n == 0 || (errno != EINTR && errno != EAGAIN))
			stdin_closed(u);
		return;
	}
	pthread_mutex_lock(&u->lock);
	for (i = 0; i < (size_t)n; i++) {
		if (buf[i] == CTRL_C && termios_saved)
			count_ctrl_c(u);
		if (u->forward_fd < 0)
			rx_push(u, buf[i]);
	}
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	forward_input(u, buf, n);
}

void console_handover(void)
{
	pthread_mutex_lock(&uart.lock);
	uart.handed_over = true;
	pthread_mutex_unlock(&uart.lock);
}

int uart_create(bool is_console)
{
	int pipe_fds[2];

	if (pio_register(UART_PORT, 8, &uart_ops, &uart))
		die("cannot register the UART's ports");
	uart.forward_fd = -1;
	if (!is_console) {
		if (pipe(pipe_fds) < 0 ||
		    fcntl(pipe_fds[1], F_SETFL, O_NONBLOCK) < 0)
			die("cannot make the console's input pipe: %m");
		pipe_read_end = pipe_fds[0];
		uart.forward_fd = pipe_fds[1];
	}
	terminal_raw();
	if (io_watch(STDIN_FILENO, uart_stdin_ready, &uart))
		die("cannot watch stdin");
	return pipe_read_end;
}
