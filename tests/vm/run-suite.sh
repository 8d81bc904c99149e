#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the test host VM and run one VM suite in it:
#
#   tests/vm/run-suite.sh <suite> [KVER]
#
# <suite> is the script <suite>.sh next to the programs it runs
# (tests/<subject>/<kind>/<suite>.sh, bench/<suite>.sh; tests/vm/suites.sh
# finds it), packed into the initramfs as /suites/<suite>.sh.  KVER is
# the kernel to boot
# (/boot/vmlinuz-KVER; default: the newest installed 6.1).  The initramfs is
# built first with `make vm-initramfs` unless INITRAMFS names one.
#
# The VM's console (kernel messages) goes to $BUILD/vm/<suite>.console.log,
# the suite's stdout and stderr (the result stream, ttyS1) to
# $BUILD/vm/<suite>.result ($BUILD defaults to build).  We print the
# result stream, then judge what came back, never QEMU's exit status.  A
# failure line is added when:
#   - the completion sentinel is missing (hang, panic, timeout),
#   - the suite script exited non-zero,
#   - the suite printed no TAP result at all,
#   - the kernel logged BUG:, WARNING:, Oops, KASAN or a panic.
# The last line is "# suite <name> done: N ok, N not ok, ...".  Exit status
# 0 when nothing failed.
#
# Environment: VM_TIMEOUT (seconds; default: the suite's
# "# lguest-timeout: N" line, else 600), VM_MEMORY (default 1G), VM_SMP
# (default: the number of host CPUs), VM_APPEND (extra kernel arguments),
# VM_QEMU_ARGS (extra QEMU arguments), VM_QEMU (the QEMU binary; default:
# the project's patched build of Debian's QEMU, see tests/vm/qemu/),
# VM_ACCEL (default: the suite's "# lguest-accel: ACCEL" line, else TCG
# with a thread per CPU on the patched QEMU and one thread for all CPUs on
# any other, or VM_DEFAULT_ACCEL if set; tests/vm/qemu/choose.sh says
# why), VM_CPU (default: the suite's
# "# lguest-cpu: MODEL" line, else EPYC), VM_QUIET=1 (print only TAP and
# comment lines of the result stream).
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2

suite=${1:?usage: $0 <suite> [KVER]}
default_kver() {
	ls /lib/modules 2>/dev/null | grep '^6\.1\.' | sort -V | tail -1
}
kver=${2:-${VM_KVER:-$(default_kver)}}
. tests/vm/suites.sh
kernel=/boot/vmlinuz-$kver
outdir=${BUILD:-build}/vm
console=$outdir/$suite.console.log
result=$outdir/$suite.result
mkdir -p "$outdir"

fail() { echo "not ok - suite $suite: $*"; }

if ! script=$(vm_suite_script "$suite" 2>&1); then
	fail "$script"
	exit 1
fi
if [[ -z $kver || ! -r $kernel ]]; then
	fail "no kernel to boot (${kernel}; install linux-image-amd64, see 'make deps')"
	exit 1
fi

if [[ -z ${INITRAMFS:-} ]]; then
	INITRAMFS=$outdir/initramfs-$kver.cpio.gz
	if ! make --no-print-directory -s vm-initramfs VM_KVER="$kver" \
		BUILD="${BUILD:-build}" >&2; then
		fail "could not build the initramfs for $kver"
		exit 1
	fi
fi
if [[ ! -r $INITRAMFS ]]; then
	fail "no initramfs $INITRAMFS"
	exit 1
fi

timeout_s=${VM_TIMEOUT:-$(sed -n 's/^# lguest-timeout: *\([0-9][0-9]*\).*/\1/p' "$script" | head -1)}
timeout_s=${timeout_s:-600}
# "# lguest-cpu: MODEL" in a suite picks another QEMU CPU model (e.g.
# EPYC,-svm to see how our modules behave without SVM); VM_CPU overrides.
cpu=${VM_CPU:-$(sed -n 's/^# lguest-cpu: *\([^ ]*\).*/\1/p' "$script" | head -1)}
cpu=${cpu:-EPYC}
memory=${VM_MEMORY:-1G}
smp=${VM_SMP:-$(nproc)}
# The QEMU and its accelerator (tests/vm/qemu/choose.sh).
. tests/vm/qemu/choose.sh
if ! vm_qemu_choose "$(sed -n 's/^# lguest-accel: *\([^ ]*\).*/\1/p' "$script" | head -1)"; then
	fail "no QEMU to run the test VM (see the line above; VM_QEMU=qemu-system-x86_64 runs Debian's own)"
	exit 1
fi
vm_qemu_note
accel=$vm_accel

# no_timer_check: at boot Linux checks that the I/O APIC delivers timer
# interrupts within a delay loop calibrated moments before, and panics
# ("IO-APIC + timer doesn't work!") if not.  An emulated CPU whose host is
# busy (two test VMs and a build on two cores) can miss that window: two
# suite runs died that way 0.03 s into boot this session.  The check is
# for broken chipsets; ours is QEMU's, and KVM guests skip it likewise.
append="console=ttyS0 panic=-1 panic_on_warn=1 oops=panic quiet no_timer_check"
append+=" lguest.suite=$suite lguest.kver=$kver ${VM_APPEND:-}"

# QEMU's monitor, on a socket: `info registers -a` shows where a VM that
# went silent is stuck (done for a timeout below, if python3 is there).
monitor=$outdir/$suite.monitor
rm -f "$console" "$result" "$monitor" "$outdir/$suite.hang.log"
# The commit the suite runs on, taken now: the tree may change while it runs.
commit=$(git describe --always --dirty 2>/dev/null || echo unknown)
: >"$console"
: >"$result"
start=$(date +%s.%N)
"$vm_qemu" \
	-M q35 -accel "$accel" -cpu "$cpu" -m "$memory" -smp "$smp" \
	-display none -monitor "unix:$monitor,server=on,wait=off" -nic none \
	-serial "file:$console" -serial "file:$result" \
	-kernel "$kernel" -initrd "$INITRAMFS" -append "$append" \
	-d cpu_reset -D "$outdir/$suite.cpu-reset.log" \
	${VM_QEMU_ARGS:-} >"$outdir/$suite.qemu.log" 2>&1 &
qemu_pid=$!
trap 'kill -KILL $qemu_pid 2>/dev/null; exit 130' INT TERM HUP

stop_vm() {
	kill -TERM $qemu_pid 2>/dev/null
	for _ in $(seq 25); do
		kill -0 $qemu_pid 2>/dev/null || return
		sleep 0.2
	done
	kill -KILL $qemu_pid 2>/dev/null
}

# A reset of the test VM (a triple fault of its kernel, or the reboot
# panic=-1 asks for) is not left to QEMU's -no-reboot: QEMU would exit
# without a word on the CPU's state.  We let it reset instead, because
# -d cpu_reset then logs every CPU's registers as they were at that
# moment, and stop the VM as soon as its log shows a reset beyond the
# ones QEMU does while it starts (counted once the kernel has printed).
resets() { grep -c '^CPU Reset' "$reset_log" 2>/dev/null; }
reset_log=$outdir/$suite.cpu-reset.log
boot_resets=

# vm_registers: every CPU's registers, from QEMU's monitor.
vm_registers() {
	command -v python3 >/dev/null || return
	python3 - "$monitor" <<-'EOF' 2>&1
	import socket, sys
	s = socket.socket(socket.AF_UNIX)
	s.settimeout(5)
	def reply():
	    got = b""
	    try:
	        while not got.endswith(b"(qemu) "):
	            more = s.recv(65536)
	            if not more:
	                break
	            got += more
	    except socket.timeout:
	        pass
	    return got.decode(errors="replace")
	s.connect(sys.argv[1])
	reply()
	s.sendall(b"info registers -a\n")
	text = reply().replace("\r", "")
	print(text[max(text.find("CPU#"), 0):].removesuffix("(qemu) "))
	EOF
}

# Wait for the VM to end.  It ends itself right after the sentinel; should
# it not (a reboot that hangs), it is stopped 10 s later, since the results
# are all in.  At the time limit it is stopped whatever it is doing.
deadline=$((SECONDS + timeout_s))
sentinel_at=
ended=itself
while kill -0 $qemu_pid 2>/dev/null; do
	if [[ -z $boot_resets && -s $console ]]; then
		boot_resets=$(resets)
	elif [[ -n $boot_resets && $(resets) -gt $boot_resets ]]; then
		ended=reset
		sleep 0.5	# the other CPUs' dumps follow the first
		stop_vm
		break
	fi
	if [[ -z $sentinel_at ]] && grep -q "^# suite $suite complete" "$result"; then
		sentinel_at=$SECONDS
	fi
	if [[ -n $sentinel_at && $SECONDS -ge $((sentinel_at + 10)) ]]; then
		ended=after-sentinel
		stop_vm
		break
	fi
	if [[ $SECONDS -ge $deadline ]]; then
		ended=timeout
		vm_registers >"$outdir/$suite.hang.log"
		stop_vm
		break
	fi
	sleep 0.2
done
wait $qemu_pid
qemu_status=$?
trap - INT TERM HUP
seconds=$(echo "$(date +%s.%N) $start" | awk '{ printf "%.1f", $1 - $2 }')

# The guest tty turns \n into \r\n; the host wants plain lines.
tr -d '\r' <"$result" >"$result.txt" && mv "$result.txt" "$result"

if [[ ${VM_QUIET:-0} == 1 ]]; then
	grep -E '^(ok|not ok)( |$)|^#|^bench:' "$result"
else
	cat "$result"
fi

passed=$(grep -cE '^ok( |$)' "$result")
failed=$(grep -cE '^not ok( |$)' "$result")

sentinel=$(grep -E "^# suite $suite complete, exit status [0-9]+$" "$result" | tail -1)
if [[ -z $sentinel ]]; then
	if [[ $ended == timeout ]]; then
		why="timed out after ${timeout_s}s"
		if [[ -s $outdir/$suite.hang.log ]]; then
			echo "# each CPU when the time ran out (all registers: $outdir/$suite.hang.log):"
			grep -E '^(CPU#|RIP|RSI|CR0)' "$outdir/$suite.hang.log" | sed 's/^/#   /' | head -12
		fi
	elif grep -q 'Kernel panic' "$console"; then
		why="the kernel panicked"
	else
		why="the VM stopped early (QEMU status $qemu_status, see $outdir/$suite.qemu.log)"
		# QEMU logs a triple fault of the test VM's own kernel (-d
		# cpu_reset): a reset without a word is then the host's.
		if grep -q 'Triple fault' "$reset_log" 2>/dev/null; then
			why+=": QEMU saw a triple fault in the test VM's kernel"
		elif [[ $ended == reset ]]; then
			why+=": the test VM reset"
		fi
	fi
	fail "did not complete: $why; console log: $console"
	failed=$((failed + 1))
	if [[ $ended == reset ]]; then
		echo "# each CPU at the reset (all registers: $reset_log):"
		awk -v boot="${boot_resets:-0}" '
			/^CPU Reset/ { n++; cpu = $3 " " $4; first = n > boot && !seen[cpu]++; next }
			first && /^(RIP|RSI|CR0|EFER|CS )/ { print "#   " cpu " " $0 }' \
			"$reset_log" | head -20
	fi
	echo "# last 30 lines of $console:"
	tr -d '\r' <"$console" | tail -30 | sed 's/^/#   /'
else
	if [[ $ended == after-sentinel ]]; then
		echo "# the VM did not end by itself within 10 s of the suite; stopped it (see $console)"
	fi
	status=${sentinel##* }
	if [[ $status -ne 0 ]]; then
		fail "script exited with status $status"
		failed=$((failed + 1))
	fi
	if [[ $((passed + failed)) -eq 0 ]]; then
		fail "printed no TAP result"
		failed=$((failed + 1))
	fi
fi

kernel_errors=$(tr -d '\r' <"$console" |
	grep -E 'BUG:|WARNING:|Oops|KASAN|Kernel panic|general protection fault' |
	head -5)
if [[ -n $kernel_errors ]]; then
	fail "the kernel reported errors (see $console):"
	failed=$((failed + 1))
	echo "$kernel_errors" | sed 's/^/#   /'
fi

done_line="# suite $suite done: $passed ok, $failed not ok, ${seconds}s wall (kernel $kver, $([[ $vm_qemu_patched == 1 ]] && echo "patched QEMU" || echo "QEMU $vm_qemu"), -accel $accel)"
echo "$done_line"
# The result file keeps the same last line, and the commit it ran on, for
# whoever reads it later (bench/gen-doc.sh puts both on the benchmark page).
{
	echo "$done_line"
	echo "# commit $commit"
} >>"$result"
[[ $failed -eq 0 ]]
