# SPDX-License-Identifier: GPL-2.0
#
# guest-lib: what the guest-side test scripts share, sourced with
# `. /test/guest-lib.sh`: lguest/launcher.mk packs it into the guest's
# /test/ with them, tests/launcher/vm/launcher-vm.mk into the stock kernel's
# initramfs with stock-probe.sh.  Not a script to run.
#
#   param NAME    the value of NAME=VALUE on the kernel command line,
#                 empty if it is not there: how the host's suite passes
#                 the guest its settings (bm.host=..., soak.secs=...).

param() {
	for word in $(cat /proc/cmdline); do
		case $word in
		"$1"=*) echo "${word#*=}"; return ;;
		esac
	done
}
