# SPDX-License-Identifier: GPL-2.0
# lguest-timeout: 300
# lguest-seconds: 60
#
# stock: Debian's own kernel (the test VM's /boot/vmlinuz, packed as
# /bin/stock-vmlinuz by tests/launcher/vm/launcher-vm.mk) as an lguest
# guest, with a busybox initramfs (guest/mkinitramfs.sh's, /bin/stock-initramfs.cpio.gz),
# on --hv=lguest and --hv=kvm, one boot each (256 MiB), and then each
# with --cpus=2:
#   - the probe (lguest.run=/test/stock-probe.sh): the readiness line, the
#     command line and a computation come back on the UART console, the
#     timer ticks through the PIC;
#   - then the guest's busybox shell (lguest.end=shell): a command typed on
#     the launcher's stdin runs and its output comes back;
#   - then "lguest-exit N" typed into that shell ends the guest through the
#     launcher's exit port (ioperm() works in Debian's kernel,
#     CONFIG_X86_IOPL_IOPERM=y): the launcher exits N.
# (poweroff -f, HLT with interrupts off, is the launcher suite's.)
#
# Kernel arguments: none needed beyond the launcher's own (console=ttyS0
# acpi=off reboot=triple panic=-1).  Debian's kernel finds no APIC in
# CPUID and stays in PIC mode, uses the 8250 console (built in) and no
# virtio (its virtio_mmio is a module without command-line devices).  We
# add loglevel=5 (warnings and worse, so problems show, while every
# console byte costs port I/O exits to the launcher and Debian's kernel
# says a lot at info level).  See tests/launcher/vm/stock-README.
# Run by /init with busybox ash; TAP on stdout.

# A launcher that ended early must fail a check, not kill this script.
trap '' PIPE
. /suites/lib.sh
KERNEL=/bin/stock-vmlinuz
INITRD=/bin/stock-initramfs.cpio.gz
T=/tmp/stock
mkdir -p $T
elapsed() { awk -v s="$1" '{ printf "%.1f", $1 - s }' /proc/uptime; }

check "Debian's kernel is in the test VM" test -s $KERNEL
check "its initramfs is in the test VM" test -s $INITRD

have_kvm=0 have_lg=0
modprobe kvm_amd 2>$T/modprobe.err && [ -c /dev/kvm ] && have_kvm=1
insmod /lib/lguest/lg.ko 2>$T/insmod.err && [ -c /dev/lguest ] && have_lg=1
check "lg.ko loads and gives /dev/lguest" test $have_lg = 1
check "kvm_amd loads and gives /dev/kvm" test $have_kvm = 1
[ $have_lg = 1 ] || show_tail $T/insmod.err 5
[ $have_kvm = 1 ] || show_tail $T/modprobe.err 5

# The guest's probe script (tests/launcher/vm/stock-probe.sh) says its lines so.
SAY_AS=stock-test

# One boot per hypervisor (Debian's kernel takes 12-25 s to boot here).
# The probe runs first (lguest.end=shell), then the shell: we type a
# command, then lguest-exit with a random status.  The 8250 driver empties
# its FIFO when the shell opens the port, so we type once the shell is
# there, and again if nothing came back.
# saw_cpus N: the guest said it has N CPUs, and ran a process on each.
saw_cpus() {
	[ "$(probe $name nproc)" = "$1" ] &&
		[ "$(probe $name ran-on)" = "$(seq -s ' ' 0 $(($1 - 1)))" ]
}

# stock_boot NAME HV [CPUS]: boot Debian's kernel on HV with CPUS CPUs
# (default 1), check it, and end it with lguest-exit.
stock_boot() {
	name=$1 hv=$2 cpus=${3:-1}
	out=$T/$name.out
	tok=$(rand_token)
	a=$(($(od -An -tu2 -N2 /dev/urandom) % 1000))
	b=$(($(od -An -tu2 -N2 /dev/urandom) % 1000))
	want=$(($(od -An -tu1 -N1 /dev/urandom) % 100 + 10))
	rm -f $T/in $T/$name.status
	mkfifo $T/in
	start=$(cut -d' ' -f1 /proc/uptime)
	( timeout 120 $LGUEST -v --hv=$hv --cpus=$cpus 256m $KERNEL --initrd=$INITRD loglevel=5 \
		lguest.run=/test/stock-probe.sh lguest.end=shell stock.token=$tok \
		stock.a=$a stock.b=$b <$T/in >$out 2>&1
	  echo $? >$T/$name.status ) &
	exec 3>$T/in
	wait_for_line 'lguest-guest: starting a shell' 100 $out
	for try in 1 2 3; do
		sleep 1
		printf 'echo shell-%s-$((6 * 7))\n' "$tok" >&3
		wait_for_line "^shell-$tok-42" 5 $out && break
	done
	if ! grep -q "^shell-$tok-42" $out; then
		# Where is the guest?  The launcher prints it (L:435).
		kill -USR1 "$(pidof lguest | cut -d' ' -f1)" 2>/dev/null
		sleep 3
	fi
	printf '/sbin/lguest-exit %d\n' $want >&3
	wait_for_line 'exit port' 20 $out
	exec 3>&-
	wait
	status=$(cat $T/$name.status 2>/dev/null)
	echo "# $name: status $status after $(elapsed $start) s"
	# Name the checks after the hypervisor, and the CPUs if more than one.
	[ $cpus = 1 ] || hv="$hv --cpus=$cpus"

	check "$hv: Debian's kernel says ready" grep -q '^lguest-guest: ready' $out
	check "$hv: the command line and a command's output come back on the console" \
		sh -c "[ '$(probe $name token)' = $tok ] && [ '$(probe $name sum)' = $((a + b)) ]"
	check "$hv: the guest runs Debian's kernel ($(probe $name uname))" \
		test "$(probe $name uname)" = "$(uname -r)"
	set -- $(probe $name timer)
	if [ $cpus = 1 ]; then
		check "$hv: the timer ticks on IRQ 0 through the PIC (XT-PIC, $1 -> $2)" \
			sh -c "[ '$3' = XT-PIC ] && [ '${2:-0}' -gt '${1:-0}' ]"
	else
		check "$hv: the guest sees $cpus CPUs ($(probe $name nproc)), and a process pinned to each runs there ($(probe $name ran-on))" \
			saw_cpus $cpus
		echo "# $name: timer interrupts per CPU over a busy second: LOC $(probe $name loc), IRQ 0 $(probe $name irq0)"
	fi
	check "$hv: a command typed into the guest's shell runs (shell-...-42)" \
		grep -q "^shell-$tok-42" $out
	check "$hv: lguest-exit $want in the guest (ioperm, port 0xf4): the launcher exits $want" \
		sh -c "[ '$status' = $want ] &&
		       grep -q '^lguest: guest wrote $want to the exit port' $out"
	bad=$(tr -d '\r' <$out |
		grep -E 'Kernel panic|Oops|BUG:|WARNING: CPU|general protection|guest killed' | head -3)
	check "$hv: the guest kernel logged no panic, oops, BUG or WARN" test -z "$bad"
	[ -z "$bad" ] || echo "$bad" | sed 's/^/#   /'
	# On lg.ko every MSR Debian's kernel touches must be handled (KVM's
	# own PMU gaps, "Failed to access perfctr msr", are KVM's business).
	if [ $name = lguest ] || [ $name = lguest-2cpu ]; then
		msr=$(tr -d '\r' <$out | grep 'unchecked MSR' | head -3)
		check "$hv: no MSR access of Debian's kernel faulted" test -z "$msr"
		[ -z "$msr" ] || echo "$msr" | sed 's/^/#   /'
	fi
	# Known, not (yet) failures: what the guest kernel complained about.
	tr -d '\r' <$out | grep -E 'unchecked MSR|Failed to access|unstable' |
		sed "s/^/# $hv note: /"
	[ "$status" = $want ] || show_tail $out 40
}

for hv in lguest kvm; do
	if [ $hv = lguest ] && [ $have_lg = 0 ]; then continue; fi
	if [ $hv = kvm ] && [ $have_kvm = 0 ]; then continue; fi
	stock_boot $hv $hv
done
# Several CPUs: local APICs, an I/O APIC and the MP table (L:195), on
# both hypervisors.
[ $have_lg = 0 ] || stock_boot lguest-2cpu lguest 2
[ $have_kvm = 0 ] || stock_boot kvm-2cpu kvm 2
exit 0
