# SPDX-License-Identifier: GPL-2.0
# lguest-timeout: 300
#
# bench: throughput of the vring echo path against a pipe, measured in the
# same VM in the same run (`make bench` shows the "bench:" lines).
# Run by /init with busybox ash.

insmod /lib/lguest/vringfd.ko || echo "not ok - bench: vringfd.ko does not load"
insmod /lib/lguest/vring_echo.ko || echo "not ok - bench: vring_echo.ko does not load"
echo_bench 2
status=$?
[ $status -le 1 ] || echo "not ok - bench: echo_bench exited with status $status"
exit 0
