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
