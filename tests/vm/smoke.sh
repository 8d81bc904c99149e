# SPDX-License-Identifier: GPL-2.0
# lguest-timeout: 180
# lguest-seconds: 10
#
# smoke: the test host VM booted the kernel we asked for, our modules load,
# create their devices, depend on each other the right way and unload.
# Run by /init with busybox ash; TAP on stdout.

. /suites/lib.sh

# The host names the kernel it booted as lguest.kver= on the command line.
want_kver=
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	lguest.kver=*) want_kver=${arg#lguest.kver=} ;;
	esac
done
echo "# $(cat /proc/version)"
check "test VM runs kernel ${want_kver:-<not given>}" \
	grep -q "^Linux version $want_kver " /proc/version

is_char_device() { [ -c "$1" ]; }
is_loaded() { grep -q "^$1 " /proc/modules; }
is_gone() { ! grep -q "^$1 " /proc/modules && [ ! -e "$2" ]; }

check "vringfd.ko loads" loads vringfd
check "/dev/vring is a character device" is_char_device /dev/vring

# Before VRINGSETUP a write must fail with EINVAL.
write_says_einval() {
	out=$(echo kick 2>&1 >/dev/vring)
	echo "# write before VRINGSETUP: ${out:-<no error>}"
	echo "$out" | grep -q 'Invalid argument'
}
check "write to an unconfigured /dev/vring fails with EINVAL" write_says_einval

check "vring_echo.ko loads (it needs vringfd's exported symbols)" loads vring_echo
check "/dev/vring_echo is a character device" is_char_device /dev/vring_echo
check "vringfd cannot be unloaded while vring_echo uses it" \
	sh -c '! rmmod vringfd 2>/dev/null'
check "vringfd is still loaded after the refused unload" is_loaded vringfd

check "vring_echo unloads" rmmod vring_echo
check "/dev/vring_echo is gone after unload" is_gone vring_echo /dev/vring_echo
check "vringfd unloads" rmmod vringfd
check "/dev/vring is gone after unload" is_gone vringfd /dev/vring
check "vringfd.ko loads again after an unload" loads vringfd
check "/dev/vring is back" is_char_device /dev/vring
