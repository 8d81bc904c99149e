// SPDX-License-Identifier: GPL-2.0
/*
 * lguest-exit: end the guest with an exit status, from inside the guest.
 *
 *	lguest-exit [STATUS]
 *
 * Writes STATUS (0-255, default 0) to I/O port 0xf4, which the lguest
 * launcher turns into its own exit status.  A shell cannot write to an
 * I/O port (an x86-64 kernel without ISA or PCI has no /dev/port), so this
 * is a tiny static program; it needs a guest kernel with ioperm()
 * (CONFIG_X86_IOPL_IOPERM).  Under anything but lguest the write goes
 * nowhere and we return, with status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <termios.h>
#include <unistd.h>

#define LGUEST_EXIT_PORT 0xf4

int main(int argc, char **argv)
{
	unsigned long status = 0;
	char *end;
	int fd;

	if (argc > 2 || (argc == 2 && (status = strtoul(argv[1], &end, 0),
				       *end || end == argv[1] || status > 255))) {
		fprintf(stderr, "usage: lguest-exit [STATUS 0-255]\n");
		return 2;
	}
	if (ioperm(LGUEST_EXIT_PORT, 1, 1) < 0) {
		fprintf(stderr, "lguest-exit: no access to port %#x: %s%s\n",
			LGUEST_EXIT_PORT, strerror(errno),
			errno == ENOSYS ? " (kernel without CONFIG_X86_IOPL_IOPERM)" : "");
		return 1;
	}
	/*
	 * What the guest printed last may still wait in the console's
	 * transmit buffer (the 8250 driver sends on THRE interrupts), and
	 * the launcher exits at our OUT: let it all go out first.  A
	 * console that never drains ends us after 5 s (the caller then
	 * powers off), rather than keeping the guest alive.
	 */
	fd = open("/dev/console", O_WRONLY | O_NOCTTY);
	if (fd >= 0) {
		alarm(5);
		tcdrain(fd);
		alarm(0);
		close(fd);
	}
	outb(status, LGUEST_EXIT_PORT);
	/* Still here: not under lguest. */
	fprintf(stderr, "lguest-exit: port %#x did not end the guest (not lguest?)\n",
		LGUEST_EXIT_PORT);
	return 1;
}
