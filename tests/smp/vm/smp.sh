# SPDX-License-Identifier: GPL-2.0
# lguest-timeout: 1500
# lguest-seconds: 400
#
# smp: guests with several CPUs (lguest --cpus=N), in the test host VM, on
# --hv=kvm and on --hv=lguest (lg.ko's APICs):
#   1. two CPUs: both seen and both used, each CPU's local APIC timer,
#      IRQ 4 through the I/O APIC, TLB shootdowns between them
#      (tlbstress), CPU 1 offline and back, NMI backtraces from both
#      (SysRq l), kill -USR1 printing both CPUs, poweroff and reboot;
#   2. four CPUs: all online, a command on each; one CPU with --apic:
#      its local APIC timer, IRQ 4 through the I/O APIC;
#   3. the network card's interrupt steered to CPU 1 carries a
#      checksummed transfer each way (both backends);
#   4. both CPUs writing console lines at once: every line arrives whole.
# The guest's half is tests/smp/vm/guest-smp.sh.  Run by /init with
# busybox ash; TAP on stdout.

. /suites/lib-net.sh
T=/tmp/smp
HOST=192.168.1.1
GUEST=192.168.1.2
BYTES=4194304
mkdir -p $T
SAY_AS=smp-test

echo "# kernel $(uname -r)"

modprobe kvm_amd 2>$T/modprobe.err
modprobe tun 2>>$T/modprobe.err
insmod /lib/lguest/lg.ko 2>>$T/modprobe.err
insmod /lib/lguest/vringfd.ko 2>>$T/modprobe.err
insmod /lib/lguest/tun_vring.ko 2>>$T/modprobe.err
if ! check "kvm_amd, tun, lg.ko, vringfd.ko and tun_vring.ko load" \
	sh -c "[ -c /dev/kvm ] && [ -c /dev/net/tun ] && [ -c /dev/lguest ] &&
	       [ -c /dev/vring ] && [ -c /dev/tun_vring ]"; then
	show $T/modprobe.err
	exit 0
fi

# smp_guest NAME HV CPUS ARGS...: boot the guest with guest-smp.sh in the
# background, $T/NAME.out the guest's console, $T/NAME.err the launcher's
# own messages and $T/NAME.status its exit status.  Two files, because
# the launcher's messages (kill -USR1's registers, one line per CPU from
# each CPU's thread) come at any moment: in one file with the console they
# landed in the middle of a guest's line now and then, which no check
# could then find (a CI run lost "online-again" so).
smp_guest() {
	name=$1 hv=$2 cpus=$3
	shift 3
	rm -f $T/$name.status
	( timeout 400 $LGUEST -v --hv=$hv --cpus=$cpus 256m $KERNEL \
		--initrd=$INITRD lguest.run=/test/guest-smp.sh "$@" \
		</dev/null >$T/$name.out 2>$T/$name.err; echo $? >$T/$name.status ) &
}

# The guest's reports, "smp-test: KEY VALUE", as checks.
said() { test "$(probe $1 "$2")" = "$3"; }

no_warnings() {
	warnings=$(grep -E 'WARNING:|BUG:|Oops|Kernel panic|unstable|verification failure' "$@" | head -3)
	[ -z "$warnings" ] && return 0
	echo "$warnings" | sed 's/^/#   /'
	return 1
}

# kept_tsc NAME: the guest's clocksource was still the TSC at the end, and
# its kernel said nothing untoward (L:335, H:442).
kept_tsc() { [ "$(probe $1 clocksource)" = tsc ] && no_warnings $T/$1.out $T/$1.err; }

# --- 1. two CPUs -------------------------------------------------------------------

two_cpus() {
	hv=$1 name=$1-2cpu
	smp_guest $name $hv 2
	# While the guest works, kill -USR1: every CPU's thread says where
	# its CPU is.
	if wait_for_line '^smp-test: loc' 300 $T/$name.out $T/$name.status; then
		kill -USR1 "$(pidof lguest | cut -d' ' -f1)"
		wait_for_line '^lguest: guest cpu 1 at rip' 30 $T/$name.err $T/$name.status
	fi
	wait
	status=$(cat $T/$name.status)
	echo "# $name: the guest's 8250 had sent $(probe $name serial-tx) bytes before its last lines; $(grep '^lguest: serial port:' $T/$name.err)"
	check "$hv: --cpus=2 boots to ready, and -v says what the guest got" \
		sh -c "grep -q '^lguest-guest: ready' $T/$name.out &&
		       grep -q 'MP table for 2 CPUs at 0x9fc00' $T/$name.err &&
		       grep -Eq '2 CPUs, in-kernel local APICs, I/O APIC' $T/$name.err"
	check "$hv: the guest sees 2 CPUs (nproc, /proc/cpuinfo, online 0-1)" \
		sh -c "[ '$(probe $name nproc)' = 2 ] && [ '$(probe $name cpuinfo)' = 2 ] &&
		       [ '$(probe $name online)' = 0-1 ]"
	check "$hv: a process pinned to each CPU runs there ($(probe $name ran-on))" \
		said $name ran-on "0 1"
	loc=$(probe $name loc)
	check "$hv: each CPU's local APIC timer ticks (LOC $loc)" all_grew "$loc" 2
	check "$hv: the UART's IRQ 4 comes through the I/O APIC ($(probe $name irq4))" \
		sh -c "echo '$(probe $name irq4)' | grep -q '^IO-APIC .*ttyS0'"
	check "$hv: tlbstress: 1000 rounds of TLB shootdowns between the CPUs read no stale page" \
		said $name tlbstress "tlbstress: 1000 rounds ok on cpus 0 and 1 (status 0)"
	[ "$(probe $name tlbstress)" = "tlbstress: 1000 rounds ok on cpus 0 and 1 (status 0)" ] ||
		echo "#   got: $(probe $name tlbstress)"
	tlb=$(probe $name tlb)
	check "$hv: ... with shootdown IPIs taken on both CPUs (TLB $tlb)" all_grew "$tlb" 2
	check "$hv: CPU 1 goes offline through sysfs ($(probe $name offline))" \
		said $name offline "0 1"
	check "$hv: ... and back online, and runs a process again ($(probe $name online-again))" \
		said $name online-again "0-1 2 1"
	check "$hv: SysRq l gets a backtrace from each CPU, CPU 1's by NMI IPI" \
		said $name nmi-backtraces "0 1 "
	state0=$(grep -m1 '^lguest: guest cpu 0 at rip' $T/$name.err | tr -d '\r')
	state1=$(grep -m1 '^lguest: guest cpu 1 at rip' $T/$name.err | tr -d '\r')
	check "$hv: kill -USR1 prints each CPU's registers" \
		sh -c "echo '$state0' | grep -Eq 'rip 0x[0-9a-f]+ rsp 0x[0-9a-f]+ rflags' &&
		       echo '$state1' | grep -Eq 'rip 0x[0-9a-f]+ rsp 0x[0-9a-f]+ rflags'"
	check "$hv: poweroff with 2 CPUs ends the launcher with status 0" \
		sh -c "[ '$status' = 0 ] && grep -q '^smp-test: done' $T/$name.out &&
		       grep -q 'lguest-guest: poweroff (status 0)' $T/$name.out"
	check "$hv: the guest kernel logged no warning and kept its TSC (clocksource $(probe $name clocksource))" \
		kept_tsc $name
	grep -q '^smp-test: done' $T/$name.out || { show $T/$name.out 80; show $T/$name.err 20; }

	smp_guest $hv-2cpu-reboot $hv 2 smp.quick=1 lguest.end=reboot
	wait
	check "$hv: reboot with 2 CPUs ends the launcher with status 3" \
		sh -c "[ \"\$(cat $T/$hv-2cpu-reboot.status)\" = 3 ] &&
		       grep -q '^smp-test: done' $T/$hv-2cpu-reboot.out &&
		       grep -q '^lguest: guest rebooted' $T/$hv-2cpu-reboot.err"
	grep -q '^lguest: guest rebooted' $T/$hv-2cpu-reboot.err ||
		{ show $T/$hv-2cpu-reboot.out 60; show $T/$hv-2cpu-reboot.err 20; }
}

# --- 2. four CPUs ------------------------------------------------------------------

four_cpus() {
	hv=$1 name=$1-4cpu
	smp_guest $name $hv 4 smp.quick=1
	wait
	check "$hv: --cpus=4: 4 CPUs online, a process pinned to each runs there ($(probe $name ran-on))" \
		sh -c "[ '$(probe $name nproc)' = 4 ] && [ '$(probe $name online)' = 0-3 ] &&
		       [ '$(probe $name ran-on)' = '0 1 2 3' ] &&
		       [ \"\$(cat $T/$name.status)\" = 0 ]"
	check "$hv: --cpus=4: no kernel warning" no_warnings $T/$name.out $T/$name.err
	grep -q '^smp-test: done' $T/$name.out || { show $T/$name.out 60; show $T/$name.err 20; }
}

# --- 2b. one CPU with --apic (L:196) ------------------------------------------------

one_cpu_apic() {
	hv=$1 name=$1-1cpu-apic
	smp_guest $name $hv 1 --apic
	wait
	check "$hv: --apic with one CPU boots, and -v says it has a local APIC and an MP table" \
		sh -c "grep -q '^lguest-guest: ready' $T/$name.out &&
		       grep -q 'MP table for 1 CPU at 0x9fc00' $T/$name.err &&
		       grep -Eq '1 CPU, in-kernel local APIC, I/O APIC' $T/$name.err &&
		       [ '$(probe $name nproc)' = 1 ]"
	loc=$(probe $name loc)
	check "$hv: --apic: the CPU's local APIC timer ticks (LOC $loc)" all_grew "$loc" 1
	check "$hv: --apic: the UART's IRQ 4 comes through the I/O APIC ($(probe $name irq4))" \
		sh -c "echo '$(probe $name irq4)' | grep -q '^IO-APIC .*ttyS0'"
	check "$hv: --apic: poweroff ends the launcher with status 0, no kernel warning, TSC kept" \
		sh -c "[ \"\$(cat $T/$name.status)\" = 0 ] && grep -q '^smp-test: done' $T/$name.out" &&
		kept_tsc $name
	grep -q '^smp-test: done' $T/$name.out || { show $T/$name.out 60; show $T/$name.err 20; }
}

# --- 3. the network card's interrupt on CPU 1 -------------------------------------

net_irq() {
	hv=$1 backend=$2 name=$1-$2-irq
	seed_in=$(rand_seed) seed_out=$(rand_seed)
	smp_guest $name $hv 2 --tunnet=$HOST --net-backend=$backend \
		smp.host=$HOST smp.bytes=$BYTES smp.seed=$seed_out
	if ! wait_for_line '^smp-test: listening' 300 $T/$name.out $T/$name.status; then
		not_ok "$hv, $backend backend: the guest's network comes up"
		wait
		show $T/$name.out 60
		show $T/$name.err 20
		return
	fi
	netxfer recv 6100 >$T/$name.recv 2>&1 &
	recv=$!
	netxfer send -r 30 -s $seed_in $GUEST 6000 -n $BYTES >$T/$name.send 2>&1
	wait $recv
	wait
	set -- $(probe $name net-irq)
	counts=$(probe $name net-irq-counts)
	echo "# $name: IRQ $1, affinity $2, counts per CPU before / after: $counts"
	# How many more interrupts each CPU took during the transfers.
	deltas=$(echo "$counts" | awk -F' / ' '{
		split($1, a, " "); split($2, b, " "); print b[1] - a[1], b[2] - a[2] }')
	check "$hv, $backend backend: the network card's IRQ ($1) steered to CPU 1 (smp_affinity $2): CPUs 0 and 1 took $deltas more" \
		sh -c "[ '$2' = 2 ] && set -- $deltas && [ \$1 -le 2 ] && [ \$2 -ge 10 ]"
	sent=$(field $T/$name.send sent md5)
	got=$(field $T/$name.out "smp-test: in " md5)
	check "$hv, $backend backend: host to guest, $BYTES bytes, the same md5 at both ends" \
		sh -c "[ -n '$sent' ] && [ '$sent' = '$got' ]"
	sent=$(field $T/$name.out "smp-test: out " md5)
	got=$(field $T/$name.recv received md5)
	check "$hv, $backend backend: guest to host, $BYTES bytes, the same md5 at both ends" \
		sh -c "[ -n '$sent' ] && [ '$sent' = '$got' ] &&
		       [ \"\$(cat $T/$name.status)\" = 0 ]"
	grep -q '^smp-test: done' $T/$name.out || { show_ends $T/$name.out; show $T/$name.err 20; }
}

# --- 4. the console under two CPUs ------------------------------------------------

console_lines() {
	hv=$1 name=$1-console count=500
	smp_guest $name $hv 2 smp.console=$count
	wait
	whole="^smp-console: cpu [01] line [0-9]* of $count, padded to a typical console line\$"
	got=$(tr -d '\r' <$T/$name.out | grep -c "$whole")
	echo "# $name: $(grep '^lguest: serial port:' $T/$name.err)"
	check "$hv: two CPUs writing $count console lines each at once: all $((2 * count)) arrive whole ($got)" \
		sh -c "[ $got = $((2 * count)) ] && grep -q '^smp-test: done' $T/$name.out"
	[ $got = $((2 * count)) ] && return
	# Which went missing, and what came instead.
	for cpu in 0 1; do
		tr -d '\r' <$T/$name.out | grep "$whole" |
			sed -n "s/^smp-console: cpu $cpu line \([0-9]*\) .*/\1/p" |
			awk -v n=$count -v cpu=$cpu '{ seen[$1] = 1 } END {
				for (i = 0; i < n; i++) if (!seen[i]) { c++; if (c <= 10) m = m " " i }
				print "# cpu " cpu ": " c + 0 " lines missing:" m }'
	done
	tr -d '\r' <$T/$name.out | grep 'smp-console' | grep -v "$whole" | head -5 |
		sed 's/^/#   not whole: /'
}

# Both hypervisors, or those smp.hv=kvm,lguest on the kernel command line
# names (make vm-suite SUITE=smp VM_APPEND=smp.hv=lguest).
hvs="kvm lguest"
for arg in $(cat /proc/cmdline); do
	case $arg in smp.hv=*) hvs=$(echo "${arg#smp.hv=}" | tr , ' ') ;; esac
done
for hv in $hvs; do
	two_cpus $hv
	four_cpus $hv
	one_cpu_apic $hv
	net_irq $hv vring
	net_irq $hv copy
	console_lines $hv
done
