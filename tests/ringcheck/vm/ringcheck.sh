# SPDX-License-Identifier: GPL-2.0
# lguest-timeout: 600
# lguest-seconds: 60
#
# ringcheck: the split-ring checks against two targets in the test VM.
#  - vhost-net: Linux's own vhost-net driven from user space (ringcheck's
#    vhost-net target: our memfd as its memory, a tap as its back-end,
#    ringcheck looping the tap's frames back).  Known deviations of this
#    kernel's vhost-net come from ringcheck/deviations/vhost-net-MAJOR.MINOR
#    when there is such a file.
#  - vringfd: this project's /dev/vring with the vring_echo consumer, the
#    engine the conformance suite checks in its own way (a second,
#    independent driver's opinion of it).
# Run by /init with busybox ash; TAP on stdout.

. /suites/lib.sh
T=/tmp/ringcheck
mkdir -p $T

# target NAME DEVIATIONS: run ringcheck against NAME with the deviations
# file if it exists; the program's TAP lines carry the results.
target() {
	name=$1 deviations=$2
	echo "# kernel $(uname -r); target $name; known deviations: $( [ -f "$deviations" ] && echo "$deviations" || echo none)"
	if [ -f "$deviations" ]; then
		ringcheck --deviations="$deviations" "$name" >$T/out 2>$T/err
	else
		ringcheck "$name" >$T/out 2>$T/err
	fi
	status=$?
	awk -f /suites/deviations.awk $T/out
	sed 's/^/# stderr: /' $T/err | head -20
	check "ringcheck ran to the end against $name (status $status)" test $status -eq 0
}

kver=$(uname -r | cut -d. -f1-2)
if modprobe -a tun vhost_net 2>$T/modprobe.err; then
	pass "tun and vhost_net load"
	target vhost-net /suites/vhost-net-$kver
	check "no tap of ringcheck's left" sh -c "! ls /sys/class/net | grep -q '^rcvhost'"
	check "vhost_net unloads (no reference left)" sh -c "rmmod vhost_net"
else
	check "tun and vhost_net load" false
	show $T/modprobe.err
fi

if check "vringfd.ko loads" loads vringfd &&
   check "vring_echo.ko loads" loads vring_echo; then
	target vringfd none
	check "vring_echo unloads (no reference left)" unloads vring_echo
	check "vringfd unloads (no reference left)" unloads vringfd
fi
exit 0
