# SPDX-License-Identifier: GPL-2.0
# lguest-timeout: 600
# lguest-seconds: 35
# lguest-cpu: EPYC,+pku
#
# lguest: lg.ko loads, runs tiny guests through /dev/lguest (test_lguest),
# guests that try to read, hang or slow their host (test_hostile), guests
# with several CPUs (test_vcpu), guests with local APICs and an I/O APIC
# that start their CPUs with INIT and SIPI, send IPIs and NMIs, storm
# their ICR and garble their LVTs (test_apic), and
# shares the CPU with kvm_amd in both orders (test_kvm).  The CPU has PKU,
# so that test_hostile can check a guest's PKRU stays in the guest.
# Run by /init with busybox ash; TAP on stdout.

. /suites/lib.sh

# The one-guest check test_kvm runs while its own VM exists; its TAP lines
# go to a file and count as the command's success.
quick_lguest() {
	/bin/test_lguest quick >/tmp/quick.tap 2>&1
	status=$?
	sed 's/^/# quick: /' /tmp/quick.tap
	[ $status -eq 0 ] && grep -q '^ok ' /tmp/quick.tap && ! grep -q '^not ok' /tmp/quick.tap
}

check "lg.ko loads" loads lg
check "/dev/lguest is a character device" test -c /dev/lguest
dmesg | grep -i lguest | sed 's/^/# dmesg: /'

# H:415: the world switch applies what this kernel chose against each
# vulnerability.  lg.ko names its steps at load; the kernel's choices are
# in sysfs.  (The emulated CPU has none of the bugs' hardware, so this is
# as far as a test here can go: the steps run, nothing can show they work.)
steps=$(dmesg | sed -n "s/.*lguest: the world switch applies the host's mitigations://p" | tail -1)
for f in /sys/devices/system/cpu/vulnerabilities/*; do
	echo "# $(basename $f): $(cat $f)"
done
# follows FILE PATTERN STEP...: if the kernel's FILE matches PATTERN, lg.ko
# takes one of the STEPs, and if not, none.
follows() {
	file=/sys/devices/system/cpu/vulnerabilities/$1 pattern=$2
	shift 2
	took=no
	for step in "$@"; do
		case " $steps " in *" $step "*) took=yes ;; esac
	done
	if grep -q "$pattern" $file 2>/dev/null; then
		[ $took = yes ] && return 0
	else
		[ $took = no ] && return 0
	fi
	echo "# $(basename $file) says '$(cat $file 2>/dev/null)'; lg.ko's steps:$steps"
	return 1
}
check "lg.ko reports its world-switch mitigations at load" test -n "$(dmesg | grep "lguest: the world switch applies")"
check "Spectre v2 retpolines: lg.ko refills the RSB after each exit" follows spectre_v2 'Retpolines\|LFENCE' rsb-fill
check "Retbleed untrained returns: lg.ko untrains after each exit" follows retbleed 'untrained return thunk' untrain-ret
check "SRSO safe RET: lg.ko untrains after each exit" follows spec_rstack_overflow 'afe RET' untrain-ret srso-alias
check "IBPB on VM exit where the kernel chose it" follows spec_rstack_overflow 'IBPB on VMEXIT\|: IBPB$' ibpb-on-exit
check "TSA: lg.ko clears CPU buffers (VERW) before each entry" follows tsa 'Clear CPU buffers' verw
check "VMSCAPE: lg.ko asks for an IBPB before user mode" follows vmscape 'IBPB before exit to userspace' ibpb-before-user

kernel_log_mark
run_tap /bin/test_lguest
run_tap /bin/test_hostile
run_tap /bin/test_vcpu
run_tap /bin/test_apic
# Killed launchers, killed guests, bad input: lg.ko keeps quiet about all
# of it (at most one line).  test_hostile moves a memory block to
# ZONE_MOVABLE and back, and the page allocator says so each time (three
# lines); a block it cannot take offline (a reserved page in it) makes
# the kernel dump that page (four lines) before the test tries the next:
# those are not lg.ko's.
not_lg='\] (Fallback order for Node|Built [0-9]+ zonelists|Policy zone:)'
not_lg="$not_lg"'|\] (page:[0-9a-f]+ refcount:|flags: 0x[0-9a-f]+\(|raw: [0-9a-f]{16} |page dumped because: unmovable page)'
check "test_lguest, test_hostile, test_vcpu and test_apic left at most one kernel message" \
	kernel_log_quiet "$not_lg"

if modprobe kvm_amd 2>/dev/null; then
	echo "# kvm_amd loaded: $(cat /sys/module/kvm_amd/parameters/npt 2>/dev/null) npt"
	run_tap /bin/test_kvm
	check "with kvm_amd loaded, lg.ko still runs a guest" quick_lguest
	run_tap /bin/test_kvm
	run_tap /bin/test_kvm "/bin/test_lguest quick >/dev/null"
	# With KVM's SVM on, every RUN ends with a flush of lg.ko's ASID.
	run_tap /bin/test_kvm "/bin/test_hostile asid-flushed"
else
	not_ok "modprobe kvm_amd"
fi

check "lg.ko unloads" rmmod lg
check "/dev/lguest is gone" test ! -e /dev/lguest
check "lg.ko loads again" loads lg
check "and unloads" rmmod lg
