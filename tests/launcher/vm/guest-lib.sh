# SPDX-License-Identifier: GPL-2.0
#
# guest-lib: what the guest-side test scripts share, sourced with
# `. /test/guest-lib.sh`: lguest/launcher.mk packs it into the guest's
# /test/ with them, tests/launcher/vm/launcher-vm.mk into the stock kernel's
# initramfs with stock-probe.sh.  The test VM's suites read their own
# settings the same way, so tests/vm/mkinitramfs.sh puts it in /suites/
# too (tests/vm/lib.sh sources it there).  Not a script to run;
# busybox ash, POSIX sh only.
#
#   param NAME    the value of NAME=VALUE on the kernel command line,
#                 empty if it is not there: how the host's suite passes
#                 the guest its settings (bm.host=..., soak.secs=...).
#                 The last one counts, as for the kernel's own
#                 parameters, so a VM_APPEND=... overrides a default.
#   say WORDS     one line "$SAY_AS: WORDS" on the console, the prefix
#                 the host's suite looks for (SAY_AS=net-test, ...).
#   console_drain wait until every byte written to the console so far has
#                 left the UART, before something that makes the kernel
#                 print on the console whatever `dmesg -n` says.

param() {
	param_value=
	for word in $(cat /proc/cmdline); do
		case $word in
		"$1"=*) param_value=${word#*=} ;;
		esac
	done
	echo "$param_value"
}

say() { echo "${SAY_AS:?set SAY_AS before say}: $*"; }

# write() on a tty returns once the bytes are in the tty's buffer; the 8250
# driver sends them later, a FIFO-full per interrupt.  A kernel message
# goes to the UART at once, between two of those FIFO-fulls, so it can
# land in the middle of a line we said.  Setting the console's own modes
# again with TCSADRAIN (stty does) returns only when the transmitter is
# empty.  (stty works on its stdin, /dev/null in an lguest.run program;
# the console is our stdout.)
console_drain() { { stty "$(stty -g <&3)" <&3; } 3>&1 2>/dev/null || true; }
