# SPDX-License-Identifier: GPL-2.0
# lguest-timeout: 260
#
# zz-exp-sk: TEMPORARY experiment (h4): flip kernel static keys in a loop
# (text_poke_bp on every CPU) while the other CPU runs busy kernel code;
# does the test VM hang under MTTCG?
#   exp.mode=sysctl|kvm|mod   exp.secs=N   exp.key=sysctl-path
. /suites/lib.sh

secs=180
mode=sysctl
key=kernel/sched_schedstats
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	exp.secs=*) secs=${arg#exp.secs=} ;;
	exp.mode=*) mode=${arg#exp.mode=} ;;
	exp.key=*) key=${arg#exp.key=} ;;
	esac
done
echo "# $(nproc) CPUs; mode $mode secs $secs key $key"

# Busy kernel code with many context switches on both CPUs.
load() {
	while :; do
		dd if=/dev/zero bs=4k count=64 2>/dev/null | cat >/dev/null
	done
}
load & l1=$!
load & l2=$!

if [ "$mode" = kvm ]; then
	modprobe kvm_amd || echo "# modprobe kvm_amd failed"
fi
if [ "$mode" = mod ]; then
	modprobe kvm_amd && rmmod kvm_amd kvm
fi

i=0
start=$(date +%s)
end=$((start + secs))
while :; do
	case "$mode" in
	sysctl)
		echo 1 >/proc/sys/$key
		echo 0 >/proc/sys/$key
		;;
	kvm)
		/bin/test_kvm >/tmp/kvm.out 2>&1 || { echo "# test_kvm failed:"; sed 's/^/#  /' /tmp/kvm.out; }
		;;
	mod)
		modprobe kvm_amd || echo "# modprobe failed"
		rmmod kvm_amd kvm || echo "# rmmod failed"
		;;
	esac
	i=$((i + 1))
	if [ $((i % 20)) -eq 0 ]; then
		now=$(date +%s)
		echo "# $i rounds, $((now - start)) s"
		[ $now -lt $end ] || break
	fi
done
kill $l1 $l2
check "$i $mode rounds in $secs s, the VM is alive" true
