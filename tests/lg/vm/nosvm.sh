#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# lguest-timeout: 120
# lguest-seconds: 10
# lguest-cpu: EPYC,-svm
#
# lg.ko on a CPU without SVM: QEMU's EPYC model with the svm flag taken
# away.  The module must refuse to load with one clear kernel message,
# leave no /dev/lguest behind, and the launcher must say what is missing.
. /suites/lib.sh

check "the CPU really has no svm flag" sh -c '! grep -qw svm /proc/cpuinfo'

insmod /lib/lguest/lg.ko 2>/tmp/insmod.err
status=$?
sed 's/^/# insmod: /' /tmp/insmod.err
check "insmod lg.ko fails without SVM (status $status)" [ "$status" -ne 0 ]
check "the kernel log says why" sh -c 'dmesg | grep -q "lguest: this CPU has no AMD SVM"'
dmesg | grep "lguest:" | sed 's/^/# dmesg: /'
# (busybox's insmod may try finit_module and then init_module: one line
# per attempt, each giving the reason.)
check "every lguest line in the kernel log is that reason" \
	[ "$(dmesg | grep 'lguest:' | grep -vc 'this CPU has no AMD SVM')" -eq 0 ]
check "no /dev/lguest" [ ! -e /dev/lguest ]
check "lg.ko is not loaded" sh -c '! grep -q "^lg " /proc/modules'

if [ -x /bin/lguest ] && [ -r /bin/guest-bzImage ]; then
	lguest 64m /bin/guest-bzImage >/tmp/launcher.out 2>&1
	status=$?
	sed 's/^/# lguest: /' /tmp/launcher.out
	check "the launcher fails with status 1 without /dev/lguest" [ "$status" -eq 1 ]
	check "the launcher names /dev/lguest in its message" \
		grep -q "/dev/lguest" /tmp/launcher.out
fi
