# SPDX-License-Identifier: GPL-2.0
# lguest-timeout: 600
# lguest-seconds: 40
#
# ringcheck: the split-ring checks against Linux's own vhost-net, driven
# from user space (ringcheck's vhost-net target: our memfd as its memory,
# a tap as its back-end, ringcheck looping the tap's frames back).  Known
# deviations of this kernel's vhost-net come from
# ringcheck/deviations/vhost-net-MAJOR.MINOR when there is such a file.
# Run by /init with busybox ash; TAP on stdout.

. /suites/lib.sh
T=/tmp/ringcheck
mkdir -p $T

modprobe -a tun vhost_net 2>$T/modprobe.err
check "tun and vhost_net load" test -c /dev/vhost-net -a -c /dev/net/tun || {
	show $T/modprobe.err
	exit 0
}

kver=$(uname -r | cut -d. -f1-2)
deviations=/suites/vhost-net-$kver
echo "# kernel $(uname -r); known deviations: $( [ -f $deviations ] && echo $deviations || echo none)"
if [ -f $deviations ]; then
	ringcheck --deviations=$deviations vhost-net >$T/out 2>$T/err
else
	ringcheck vhost-net >$T/out 2>$T/err
fi
status=$?
awk -f /suites/deviations.awk $T/out
sed 's/^/# stderr: /' $T/err | head -20
check "ringcheck ran to the end against vhost-net (status $status)" test $status -eq 0
check "no tap of ringcheck's left" sh -c "! ls /sys/class/net | grep -q '^rcvhost'"
check "vhost_net unloads (no reference left)" sh -c "rmmod vhost_net"
exit 0
