# SPDX-License-Identifier: GPL-2.0
# lguest-timeout: 480
#
# bench-boot: the lguest guest (/bin/guest-bzImage with its initramfs, as
# the launcher suite boots it) on lg.ko and on KVM, in the same test VM in
# the same run.  boot_bench alternates the two hypervisors for $runs
# rounds and prints, as "bench:" lines:
#   - the median time from starting the launcher to the guest's
#     "lguest-guest: ready" line, per hypervisor, and the ratio lguest/kvm;
#   - the exits per second of the guest sitting idle in its shell for
#     5 s, counted by the hypervisors themselves: lg.ko's LHREQ_GETSTATS
#     "exits" (through the launcher's own fd, pidfd_getfd) and KVM's
#     debugfs "exits" of the launcher's VM.
# One TAP line per boot: a failed boot is a failure, not just a gap.
# Run by /init with busybox ash.

LOGS=/tmp/bench-boot
mkdir -p $LOGS
runs=3

if ! modprobe kvm_amd 2>$LOGS/modprobe.err || [ ! -c /dev/kvm ]; then
	echo "not ok 1 - bench-boot: modprobe kvm_amd gives /dev/kvm"
	sed 's/^/#   /' $LOGS/modprobe.err
	exit 0
fi
if ! insmod /lib/lguest/lg.ko 2>$LOGS/insmod.err || [ ! -c /dev/lguest ]; then
	echo "not ok 1 - bench-boot: insmod lg.ko gives /dev/lguest"
	sed 's/^/#   /' $LOGS/insmod.err
	exit 0
fi

echo "# bench-boot: $runs rounds of lguest and kvm, kernel $(uname -r) in the test VM"
boot_bench --runs=$runs --idle=5 --logdir=$LOGS -- \
	/bin/lguest 64m /bin/guest-bzImage --initrd=/bin/guest-initramfs.cpio.gz
status=$?
if [ $status -ne 0 ]; then
	for f in $LOGS/*.out; do
		grep -q 'lguest-guest: poweroff (status 0)' "$f" && continue
		echo "# $f (last 20 lines):"
		tail -20 "$f" | tr -d '\r' | sed 's/^/#   /'
	done
fi
exit 0
