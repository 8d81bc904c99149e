# SPDX-License-Identifier: GPL-2.0
# lguest-timeout: 600
# lguest-seconds: 180
#
# launcher: the lguest launcher (/bin/lguest) in the test host VM.
#   1. what it says and how it exits on bad input (no guest needed);
#   2. tiny hand-made kernels (mkminikernel) on --hv=kvm: the boot
#      protocol, the UART, the exit port, halt, reset, triple fault;
#   3. the real guest (build/guest/bzImage + its initramfs) on --hv=kvm:
#      boot to "ready", console both ways, timer interrupts, poweroff,
#      virtio rng and block;
#   4. the same real-guest boot on --hv=lguest when lg.ko is there;
#   5. consoles: --console=virtio (hvc0 both ways), stdin's end, and
#      Ctrl-C on a pseudo-terminal (pty-run).
# Run by /init with busybox ash; TAP on stdout.

# A launcher that ended early must fail a check, not kill this script:
# with SIGPIPE ignored, writing to a FIFO nobody reads is an error.
trap '' PIPE
. /suites/lib.sh
T=/tmp/launcher
mkdir -p $T

# run_lguest NAME TIMEOUT ARGS...: output in $T/NAME.out (stdout and
# stderr), exit status in $status.
run_lguest() {
	name=$1 secs=$2
	shift 2
	timeout "$secs" $LGUEST "$@" </dev/null >$T/$name.out 2>&1
	status=$?
}

# --- 1. bad input -----------------------------------------------------------

echo "# kernel $(uname -r); lguest $(ls -l $LGUEST | awk '{ print $5 }') bytes"
check "lguest is in the test VM" test -x $LGUEST
check "the guest kernel is in the test VM" test -s $KERNEL

run_lguest help 10 --help
check "--help exits 0 and documents exit statuses and Ctrl-C" \
	sh -c "[ $status -eq 0 ] && grep -q '^exit status:' $T/help.out &&
	       grep -q 'Ctrl-C three times' $T/help.out"

expect_error no-args "lguest: need a memory size and a kernel"
expect_error bad-mem "lguest: bad memory size '64q' (try 64m or 1g)" 64q $KERNEL
expect_error bad-mem-word "lguest: bad memory size 'lots' (try 64m or 1g)" lots $KERNEL
expect_error mem-too-small "lguest: memory size 8m is too small (at least 16m)" 8m $KERNEL
expect_error mem-too-large "lguest: memory size 4g is too large (at most 3g)" 4g $KERNEL
expect_error mem-huge "lguest: memory size 99999999999g is too large (at most 3g)" 99999999999g $KERNEL
expect_error missing-kernel "lguest: cannot open kernel /nonexistent: No such file or directory" 64m /nonexistent
expect_error not-bzimage "lguest: /init is not a bzImage (no HdrS boot header)" 64m /init
expect_error unknown-option "lguest: unknown option '--frobnicate'" --frobnicate 64m $KERNEL
expect_error unknown-hv "lguest: unknown hypervisor 'xen' (--hv=lguest or --hv=kvm)" --hv=xen 64m $KERNEL
expect_error missing-initrd "lguest: cannot open initrd /nonexistent: No such file or directory" --initrd=/nonexistent 64m $KERNEL
expect_error cpus-zero "lguest: --cpus=0: want a number of CPUs from 1 to 8" --cpus=0 64m $KERNEL
expect_error cpus-nine "lguest: --cpus=9: want a number of CPUs from 1 to 8" --cpus=9 64m $KERNEL
expect_error cpus-word "lguest: --cpus=two: want a number of CPUs from 1 to 8" --cpus=two 64m $KERNEL
expect_error cpus-negative "lguest: --cpus=-1: want a number of CPUs from 1 to 8" --cpus=-1 64m $KERNEL
expect_error cpus-empty "lguest: --cpus=: want a number of CPUs from 1 to 8" --cpus= 64m $KERNEL
run_lguest kernel-needs-more 30 16m $KERNEL
need=$(sed -n "s|^lguest: $KERNEL needs at least \([0-9]*\) MiB of guest memory$|\1|p" $T/kernel-needs-more.out)
check "16m is too little for the real kernel: status 1, 'needs at least ${need:-?} MiB'" \
	sh -c "[ $status -eq 1 ] && [ '${need:-0}' -gt 16 ]"
if [ ! -e /dev/lguest ]; then
	expect_error no-dev-lguest "lguest: cannot open /dev/lguest: No such file or directory (is lg.ko loaded? --hv=kvm uses /dev/kvm instead)" 64m $KERNEL
fi
if [ ! -e /dev/kvm ]; then
	expect_error no-dev-kvm "lguest: cannot open /dev/kvm: No such file or directory (is kvm_amd or kvm_intel loaded?)" --hv=kvm 64m $KERNEL
fi

# --- 2. tiny kernels on KVM ---------------------------------------------------

if ! modprobe kvm_amd 2>$T/modprobe.err || [ ! -c /dev/kvm ]; then
	not_ok "modprobe kvm_amd gives /dev/kvm"
	show $T/modprobe.err
	echo "# no KVM: skipping the guest tests"
	exit 0
fi
ok "modprobe kvm_amd gives /dev/kvm"

mini() {
	mode=$1 status_byte=$2
	shift 2
	mkminikernel "$mode" "$status_byte" $T/mini-$mode
}

mini_checks() {
	hv=$1
	mini exit 0x2a
	run_lguest $hv-mini-exit 60 --hv=$hv 32m $T/mini-exit
	check "$hv: exit port: status 42 and the UART's output" \
		sh -c "[ $status -eq 42 ] && grep -qx 'mini: hello' $T/$hv-mini-exit.out"
	[ $status -eq 42 ] || show $T/$hv-mini-exit.out

	run_lguest $hv-mini-verbose 60 -v --hv=$hv 32m $T/mini-exit
	check "$hv: -v says where the kernel went and prints exit counters" \
		sh -c "[ $status -eq 42 ] &&
		       grep -q '^lguest: kernel $T/mini-exit: boot protocol 2.15, .* at 0x1000000, entry 0x1000200' $T/$hv-mini-verbose.out &&
		       grep -Eq '^lguest: (kvm: [1-9][0-9]* runs|lg.ko: exits=[1-9])' $T/$hv-mini-verbose.out"
	[ $status -eq 42 ] && grep -q ' runs\|exits=' $T/$hv-mini-verbose.out ||
		show $T/$hv-mini-verbose.out 10

	tok=$(rand_token)
	mini params 0x2b
	run_lguest $hv-mini-params 60 --hv=$hv 32m $T/mini-params launcher.token=$tok
	check "$hv: boot_params: RSI, HdrS, loader type, e820, and the command line ends with the user's arguments" \
		sh -c "[ $status -eq 43 ] &&
		       grep -qx 'mini: cmdline=console=ttyS0 .* launcher.token=$tok' $T/$hv-mini-params.out"
	[ $status -eq 43 ] || show $T/$hv-mini-params.out

	mini bus 0x2c
	run_lguest $hv-mini-bus 60 --hv=$hv 32m $T/mini-bus
	check "$hv: unclaimed MMIO and port reads return all ones" test $status -eq 44

	tok=$(rand_token)
	mini echo 0x2d
	echo "echo-$tok" | timeout 60 $LGUEST --hv=$hv 32m $T/mini-echo >$T/$hv-mini-echo.out 2>&1
	status=$?
	check "$hv: UART input from stdin reaches the guest (polled) and comes back" \
		sh -c "[ $status -eq 45 ] && grep -qx 'echo-$tok' $T/$hv-mini-echo.out"

	mini halt 0
	run_lguest $hv-mini-halt 60 --hv=$hv 32m $T/mini-halt
	check "$hv: HLT with interrupts off ends the launcher with status 0" test $status -eq 0

	mini reset 0
	run_lguest $hv-mini-reset 60 --hv=$hv 32m $T/mini-reset
	check "$hv: 0xfe to port 0x64 is a reboot: status 3" \
		sh -c "[ $status -eq 3 ] && grep -q 'guest rebooted' $T/$hv-mini-reset.out"

	mini triple 0
	run_lguest $hv-mini-triple 60 --hv=$hv 32m $T/mini-triple
	check "$hv: a triple fault is a reboot: status 3" \
		sh -c "[ $status -eq 3 ] && grep -qx 'lguest: guest rebooted' $T/$hv-mini-triple.out"
	[ $status -eq 3 ] || show $T/$hv-mini-triple.out
}

mini_checks kvm

# --- 3. the real guest on KVM ---------------------------------------------------

# boot_guest NAME HV ARGS...: boot the guest with the probe script.
boot_guest() {
	name=$1 hv=$2
	shift 2
	start=$(cut -d' ' -f1 /proc/uptime)
	run_lguest "$name" 120 --hv="$hv" 64m $KERNEL --initrd=$INITRD \
		lguest.run=/test/guest-probe.sh "$@"
	echo "# $name: status $status after $(awk -v s="$start" '{ printf "%.1f", $1 - s }' /proc/uptime) s"
}
# The guest's probe script (tests/launcher/vm/guest-probe.sh) says its lines so.
SAY_AS=launcher-test

guest_checks() {
	name=$1 hv=$2 tok=$3
	check "$hv: the guest says ready" grep -q '^lguest-guest: ready' $T/$name.out
	check "$hv: a command's output comes back on the console" \
		test "$(probe $name token)" = "$tok"
	check "$hv: the guest runs our kernel build" \
		test -n "$(probe $name uname)"
	set -- $(probe $name timer)
	check "$hv: the timer ticks on IRQ 0 through the PIC (XT-PIC, $1 -> $2)" \
		sh -c "[ '$3' = XT-PIC ] && [ '${2:-0}' -gt '${1:-0}' ]"
	check "$hv: the UART is a 16550A with interrupts on IRQ 4" \
		sh -c "[ '$(probe $name serial)' = uart:16550A ] &&
		       [ '$(probe $name uart | cut -d' ' -f1)' -gt 0 ]"
	check "$hv: poweroff -f ends the launcher with status 0" \
		sh -c "[ $status -eq 0 ] && grep -q 'lguest-guest: poweroff (status 0)' $T/$name.out"
	boot_guest $hv-reboot $hv lguest.end=reboot launcher.token=x
	check "$hv: the guest's reboot -f (reboot=triple) ends the launcher with status 3" \
		sh -c "[ $status -eq 3 ] && grep -q '^lguest: guest rebooted' $T/$hv-reboot.out"
	[ $status -eq 3 ] || show $T/$hv-reboot.out 5
	warnings=$(grep -E 'WARNING:|BUG:|Oops|Kernel panic' $T/$name.out $T/$hv-reboot.out | head -3)
	check "$hv: the guest kernel logged no warning" test -z "$warnings"
	[ -z "$warnings" ] || echo "$warnings" | sed 's/^/#   /'
	grep -q '^lguest-guest: ready' $T/$name.out || show $T/$name.out 60
}

tok=$(rand_token)
boot_guest kvm-boot kvm launcher.token=$tok
guest_checks kvm-boot kvm "$tok"
grep '^lguest-guest: up after\|^launcher-test:' $T/kvm-boot.out | tr -d '\r' | sed 's/^/#   /'

# Console input with interrupts: drive the guest's shell through stdin,
# once it is there (the 8250 driver empties the FIFO when the port opens,
# as real hardware would, so what comes earlier is lost).
# (wait_for_line, from lib.sh, waits for a line of a launcher's output.)

# shell_guest NAME HV: boot the guest with its console on a FIFO open as
# fd 3 and wait for its shell; the launcher's status lands in
# $T/NAME.status.
shell_guest() {
	rm -f $T/in $T/$1.status
	mkfifo $T/in
	( timeout 120 $LGUEST --hv=$2 64m $KERNEL --initrd=$INITRD <$T/in \
		>$T/$1.out 2>&1; echo $? >$T/$1.status ) &
	exec 3>$T/in
	wait_for_line 'lguest-guest: starting a shell' 100 $T/$1.out \
		$T/$1.status && return 0
	exec 3>&-
	wait
	echo "# $1: no shell prompt (launcher status $(cat $T/$1.status 2>/dev/null))"
	exec 3>/dev/null
	return 1
}

# state_signal NAME HV: kill -USR1 of a launcher whose guest sits in its
# shell prints where the guest is and the exit counters, and the guest
# goes on as if nothing happened.
state_signal() {
	shell_guest $1 $2 || return
	sleep 1
	kill -USR1 "$(pidof lguest | cut -d' ' -f1)"
	wait_for_line '^lguest: guest at rip' 20 $T/$1.out $T/$1.status
	state=$(grep -m1 '^lguest: guest at rip' $T/$1.out | tr -d '\r')
	tok=$(rand_token)
	printf 'echo usr1-%s\nexit\n' "$tok" >&3
	exec 3>&-
	wait
	check "$2: kill -USR1 prints the guest's registers (${state#lguest: })" \
		sh -c "echo '$state' | grep -Eq 'rip 0xffffffff[0-9a-f]{8} rsp 0x[0-9a-f]+ rflags 0x[0-9a-f]+ \(interrupts (on|off)\) cr0 0x8[0-9a-f]+ cr3 0x[0-9a-f]+ cr4 0x[0-9a-f]+ efer 0x[0-9a-f]+'"
	check "$2: ... and its exit counters" \
		grep -Eq '^lguest: (kvm: [1-9][0-9]* runs|lg.ko: exits=[1-9])' $T/$1.out
	check "$2: ... and the guest goes on: its shell runs the next command, status 0" \
		sh -c "grep -q '^usr1-$tok' $T/$1.out && [ \"\$(cat $T/$1.status)\" = 0 ]"
	grep -q "^usr1-$tok" $T/$1.out || show $T/$1.out 60
}

tok=$(rand_token)
shell_guest kvm-shell kvm
printf 'echo shell-%s-$((6 * 7))\nexit\n' "$tok" >&3
exec 3>&-
wait
status=$(cat $T/kvm-shell.status)
check "kvm: the guest's shell reads commands from stdin (shell-...-42)" \
	grep -q "^shell-$tok-42" $T/kvm-shell.out
check "kvm: leaving the shell powers off: status 0" test "$status" -eq 0
grep -q "^shell-$tok-42" $T/kvm-shell.out || show $T/kvm-shell.out 60

state_signal kvm-usr1 kvm

# Virtio devices: an rng and a disk the guest reads.
head -c 1048576 /dev/urandom >$T/disk.img
want=$(head -c 65536 $T/disk.img | md5sum | cut -d' ' -f1)
boot_guest kvm-virtio kvm --rng --block=$T/disk.img launcher.token=x
rng=$(probe kvm-virtio rng)
check "kvm: --rng gives the guest /dev/hwrng: 16 bytes ($rng)" \
	test ${#rng} -eq 32
check "kvm: --block: the guest reads the disk's bytes" \
	test "$(probe kvm-virtio vda)" = "$want"
# What the guest wrote, as the host's file holds it (the third 64 KiB).
disk_written() { dd if=$T/disk.img bs=65536 skip=2 count=1 2>/dev/null | md5sum | cut -d' ' -f1; }
set -- $(probe kvm-virtio 'vda write')
check "kvm: --block: the guest's 64 KiB write reaches the file, same bytes" \
	sh -c "[ '$1' = ok ] && [ '$2' = '$(disk_written)' ]"

before=$(md5sum <$T/disk.img)
boot_guest kvm-ro kvm --block-ro=$T/disk.img launcher.token=x
check "kvm: --block-ro: the guest cannot write, the file is unchanged" \
	sh -c "[ '$(probe kvm-ro 'vda write')' = failed ] && [ '$(md5sum <$T/disk.img)' = '$before' ]"

# --- 4. lg.ko ---------------------------------------------------------------

if [ -f /lib/lguest/lg.ko ] && insmod /lib/lguest/lg.ko 2>$T/insmod.err; then
	mini_checks lguest
	# lg.ko counts guest RAM as locked memory: over RLIMIT_MEMLOCK
	# (and without CAP_IPC_LOCK) the launcher says which limit to raise.
	saved=$LGUEST
	LGUEST="memlock-run 8192 $saved"
	expect_error lg-memlock "lguest: guest RAM (32 MiB) is over the locked-memory limit (8 MiB): raise it to 32768 with ulimit -l (KiB), or run as root" \
		--hv=lguest 32m $T/mini-exit
	LGUEST="memlock-run 32768 $saved"
	run_lguest lg-memlock-enough 60 --hv=lguest 32m $T/mini-exit
	LGUEST=$saved
	check "lguest: with ulimit -l 32768 (and no CAP_IPC_LOCK) a 32m guest runs (status $status)" \
		test $status -eq 42
	[ $status -eq 42 ] || show $T/lg-memlock-enough.out 5
	tok=$(rand_token)
	boot_guest lg-boot lguest launcher.token=$tok
	guest_checks lg-boot lguest "$tok"
	state_signal lg-usr1 lguest
	boot_guest lg-virtio lguest --rng --block=$T/disk.img launcher.token=x
	rng=$(probe lg-virtio rng)
	check "lguest: --rng gives the guest /dev/hwrng: 16 bytes ($rng)" \
		test ${#rng} -eq 32
	check "lguest: --block: the guest reads the disk's bytes" \
		test "$(probe lg-virtio vda)" = "$(head -c 65536 $T/disk.img | md5sum | cut -d' ' -f1)"
	set -- $(probe lg-virtio 'vda write')
	check "lguest: --block: the guest's 64 KiB write reaches the file, same bytes" \
		sh -c "[ '$1' = ok ] && [ '$2' = '$(disk_written)' ]"
	run_lguest lg-poweroff 90 --hv=lguest 64m $KERNEL --initrd=$INITRD \
		lguest.run=/test/guest-poweroff.sh
	check "lguest: a plain poweroff in the guest ends the launcher at once with status 0" \
		sh -c "[ $status -eq 0 ] && grep -q 'launcher-test: before-poweroff' $T/lg-poweroff.out &&
		       ! grep -q 'launcher-test: after-poweroff' $T/lg-poweroff.out"
	[ $status -eq 0 ] || show $T/lg-poweroff.out 20
	before=$(md5sum <$T/disk.img)
	boot_guest lg-ro lguest --block-ro=$T/disk.img launcher.token=x
	check "lguest: --block-ro: the guest cannot write, the file is unchanged" \
		sh -c "[ '$(probe lg-ro 'vda write')' = failed ] && [ '$(md5sum <$T/disk.img)' = '$before' ]"
else
	echo "# lg.ko not available here: --hv=lguest not tried"
fi
# --- 5. consoles: --console=virtio, Ctrl-C on a pty (helper "console") -----

# The io thread's CPU time (clock ticks) of the one running launcher.
io_thread_ticks() {
	pid=$(pidof lguest | cut -d' ' -f1)
	for task in /proc/$pid/task/*; do
		[ "${task##*/}" = "$pid" ] && continue
		awk '{ print $14 + $15 }' $task/stat
		return
	done
	echo 9999
}

tok=$(rand_token)
tok2=$(rand_token)
rm -f $T/hvc-in $T/kvm-hvc.status
mkfifo $T/hvc-in
( timeout 180 $LGUEST --hv=kvm --console=virtio 64m $KERNEL --initrd=$INITRD \
	lguest.run=/test/guest-hvc.sh launcher.token=$tok <$T/hvc-in \
	>$T/kvm-hvc.out 2>$T/kvm-hvc.err; echo $? >$T/kvm-hvc.status ) &
exec 3>$T/hvc-in
wait_for_line 'launcher-test: hvc ready' 120 $T/kvm-hvc.out $T/kvm-hvc.status ||
	exec 3>/dev/null
echo "hvc-$tok2" >&3
exec 3>&-
wait_for_line 'launcher-test: idle start' 60 $T/kvm-hvc.out
before=$(io_thread_ticks)
sleep 2
after=$(io_thread_ticks)
wait
status=$(cat $T/kvm-hvc.status)
check "virtio console: the guest's line to /dev/hvc0 arrives on stdout" \
	grep -q "^hvc-line $tok" $T/kvm-hvc.out
check "virtio console: hvc0 is the guest's console (/proc/consoles: $(probe kvm-hvc consoles))" \
	grep -q '^launcher-test: consoles .*hvc0' $T/kvm-hvc.out
check "virtio console: the kernel's early log reaches stdout (the UART's, until hvc0 starts)" \
	grep -q 'Linux version' $T/kvm-hvc.out
check "virtio console: once hvc0 writes, the UART's output is dropped (no serial-line, the log once)" \
	sh -c "! grep -q 'serial-line' $T/kvm-hvc.out &&
	       [ \$(grep -c 'Linux version' $T/kvm-hvc.out) -eq 1 ]"
check "virtio console: a line from stdin reaches the guest's /dev/hvc0" \
	test "$(probe kvm-hvc hvc-input)" = "hvc-$tok2"
check "virtio console: after stdin's end the I/O thread sleeps (${before}->${after} ticks in 2 s)" \
	test $((after - before)) -lt 50
check "virtio console: the guest ends normally: status 0" test "$status" -eq 0
[ "$status" -eq 0 ] && grep -q "^hvc-line $tok" $T/kvm-hvc.out ||
	{ show $T/kvm-hvc.out 60; show $T/kvm-hvc.err 10; }

# The same stdin EOF on the serial console: the guest waits on its shell.
rm -f $T/kvm-eof.status
( timeout 120 $LGUEST --hv=kvm 64m $KERNEL --initrd=$INITRD </dev/null \
	>$T/kvm-eof.out 2>&1; echo $? >$T/kvm-eof.status ) &
wait_for_line 'lguest-guest: starting a shell' 100 $T/kvm-eof.out $T/kvm-eof.status
before=$(io_thread_ticks)
sleep 2
after=$(io_thread_ticks)
kill "$(pidof lguest | cut -d' ' -f1)" 2>/dev/null
wait
check "serial console: stdin at EOF: the I/O thread sleeps (${before}->${after} ticks in 2 s)" \
	test $((after - before)) -lt 50

expect_error bad-console "lguest: unknown console 'vga' (--console=serial or --console=virtio)" \
	--console=vga 64m $KERNEL

# Ctrl-C on a terminal: pty-run types at the launcher on a pty.
pty() {
	name=$1
	shift
	pty-run "$@" >$T/$name.out 2>&1
	pty_ok=$?
	pty_status=$(sed -n 's/^status //p' $T/$name.out)
	grep '^# ' $T/$name.out
}
mini echo 0x2d
pty pty-once once $LGUEST --hv=kvm 32m $T/mini-echo
check "pty: raw terminal; one ^C reaches the guest as 0x03; status 45; terminal restored" \
	sh -c "[ $pty_ok -eq 0 ] && [ '$pty_status' = 45 ]"
pty pty-pause pause $LGUEST --hv=kvm 32m $T/mini-echo
check "pty: ^C ^C, a 1.5 s pause, ^C: the guest lives on (status 45); terminal restored" \
	sh -c "[ $pty_ok -eq 0 ] && [ '$pty_status' = 45 ]"
pty pty-three three $LGUEST --hv=kvm 32m $T/mini-echo
check "pty: three ^Cs within a second: status 130, the message, terminal restored" \
	sh -c "[ $pty_ok -eq 0 ] && [ '$pty_status' = 130 ]"
# With -v the exit prints the serial port's counters, under the lock the
# Ctrl-C handler holds: they must not wait for it.
export PTY_RUN_TRANSCRIPT=$T/pty-three-v.tty
pty pty-three-v three $LGUEST -v --hv=kvm 32m $T/mini-echo
unset PTY_RUN_TRANSCRIPT
check "pty: -v, three ^Cs: status 130 and the serial port's counters, not a hang" \
	sh -c "[ $pty_ok -eq 0 ] && [ '$pty_status' = 130 ] &&
	       tr -d '\\r' <$T/pty-three-v.tty | grep -q 'lguest: serial port: [0-9]* bytes out'"
if [ -c /dev/lguest ]; then
	pty lg-pty-three three $LGUEST --hv=lguest 32m $T/mini-echo
	check "lguest: pty: three ^Cs within a second: status 130, terminal restored" \
		sh -c "[ $pty_ok -eq 0 ] && [ '$pty_status' = 130 ]"
fi
# --- end of block 5 ----------------------------------------------------------

# --- guestcfg: the guest's exit port and its TSC (guest/ helper's block) -----
#
# init hands its program's exit status (and the shell's lguest-poweroff N)
# to /sbin/lguest-exit, which writes it to port 0xf4: the launcher must end
# with that status.  And the launcher tells the guest its TSC frequency
# (tsc_early_khz=): it must be the test host's own tsc_khz (the guest's TSC
# is the host's), the guest kernel must use it, and must not have tried,
# and failed, to measure it against the PIT.

# The host's tsc_khz as its kernel last reported it (a refined calibration
# replaces the first one).
host_tsc_khz=$(dmesg | sed -n \
	-e 's/.*tsc: Detected \([0-9]*\)\.\([0-9]*\) MHz.*/\1\2/p' \
	-e 's/.*tsc: Refined TSC clocksource calibration: \([0-9]*\)\.\([0-9]*\) MHz.*/\1\2/p' |
	tail -1)
echo "# test host tsc_khz: ${host_tsc_khz:-unknown}"
guestcfg_hvs=kvm
[ -e /dev/lguest ] && guestcfg_hvs="kvm lguest"
for hv in $guestcfg_hvs; do
	code=$((10 + $(od -An -N1 -tu1 /dev/urandom) % 100))
	boot_guest $hv-exit-port $hv launcher.status=$code launcher.token=x
	check "$hv: the guest program's status $code ends the launcher through the exit port" \
		sh -c "[ $status -eq $code ] &&
		       grep -q 'lguest-guest: poweroff (status $code)' $T/$hv-exit-port.out"
	[ $status -eq $code ] || show $T/$hv-exit-port.out 60

	name=$hv-exit-port
	arg=$(probe $name tsc-arg)
	khz=$(probe $name tsc-khz)
	check "$hv: the launcher passes the host's TSC frequency: tsc_early_khz=$arg (host $host_tsc_khz)" \
		sh -c "[ -n '$arg' ] && [ '$arg' = '$host_tsc_khz' ]"
	check "$hv: the guest kernel runs its TSC at that frequency ($khz kHz)" \
		sh -c "[ -n '$khz' ] && [ '$khz' = '$arg' ]"
	check "$hv: the guest kernel did not try to calibrate against the PIT" \
		sh -c "[ '$(probe $name tsc-pit-failures)' = 0 ] &&
		       ! grep -q 'Unable to calibrate' $T/$name.out"
	echo "# $hv: guest clocksource $(probe $name clocksource) (available: $(probe $name clocksources))"
	unstable=$(probe $name tsc-unstable)
	[ -z "$unstable" ] || echo "# $hv: guest marked its TSC unstable: $unstable"
	grep 'tsc:\|clocksource' $T/$name.out | tr -d '\r' | head -12 | sed 's/^/#   /'

	# The shell's lguest-poweroff N, typed on the console.
	code=$((10 + $(od -An -N1 -tu1 /dev/urandom) % 100))
	shell_guest $hv-poweroff $hv
	printf 'lguest-poweroff %s\n' "$code" >&3
	exec 3>&-
	wait
	status=$(cat $T/$hv-poweroff.status)
	check "$hv: the shell's lguest-poweroff $code ends the launcher with status $code" \
		sh -c "[ $status -eq $code ] &&
		       grep -q 'lguest-guest: poweroff (status $code)' $T/$hv-poweroff.out"
	[ $status -eq $code ] || show $T/$hv-poweroff.out 60
done
# --- end of the guestcfg block -----------------------------------------------

exit 0
