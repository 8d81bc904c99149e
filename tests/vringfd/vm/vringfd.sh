# SPDX-License-Identifier: GPL-2.0
# lguest-timeout: 300
# lguest-seconds: 35
#
# vringfd: the /dev/vring ABI in the test host VM.  Loads vringfd.ko and
# vring_echo.ko, runs the 2008 test program (test_vring) and the ABI tests
# through the echo consumer (test_vringfd), then unloads both modules, which
# also proves that nothing kept a reference.  Run by /init with busybox ash;
# TAP on stdout (each program numbers its own checks).
#
# To run only some test_vringfd groups, boot with vringfd.groups=a,b,...
# (e.g. VM_APPEND=vringfd.groups=hostile tests/vm/run-suite.sh vringfd).

. /suites/lib.sh
TAP_PREFIX="vringfd suite: "

check "vringfd.ko loads" loads vringfd
check "vring_echo.ko loads" loads vring_echo
check "/dev/vring and /dev/vring_echo exist" \
	test -c /dev/vring -a -c /dev/vring_echo

check "test_vring ran to the end" runs test_vring
groups=$(param vringfd.groups | tr ',' ' ')
# shellcheck disable=SC2086
check "test_vringfd ran to the end" runs test_vringfd $groups

check "vring_echo unloads" unloads vring_echo
check "vringfd unloads (no reference left behind)" unloads vringfd
exit 0
