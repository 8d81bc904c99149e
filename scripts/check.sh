#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The driver behind `make check` and `make bench` (run it through make,
# which passes the variables below).
#
#   check: build the modules for 6.1 and 6.12, the userspace code and test
#          programs, run checkpatch, every HOST_TESTS target on this
#          machine, then every VM_SUITES suite in the test host VM,
#          VM_JOBS VMs at a time (default: one per host CPU).
#   bench: run every BENCH_SUITES suite in the VM and list its "bench:"
#          lines.
#
# Every part keeps going after a failure so the totals are complete.  A
# build counts as one TAP test; a part that exits non-zero without saying
# "not ok", or that prints no TAP line at all, counts as one failure.  The
# terminal shows TAP and comment lines; everything else is in
# build/check/<part>.log (build/bench/ for bench).  The last line is
# "N passed, N failed"; the exit status is non-zero if anything failed.
set -uo pipefail

# vm_suite_script NAME: where a VM suite's script is.
. tests/vm/suites.sh

mode=${1:-check}
MAKE=${MAKE:-make}
BUILD=${BUILD:-build}
logdir=$BUILD/$mode
rm -rf "$logdir"
mkdir -p "$logdir"
summary=$logdir/summary.log
total_passed=0
total_failed=0

say() { echo "$*" | tee -a "$summary"; }

# What the terminal shows of a part's output: TAP lines, comments and
# benchmark lines, but never a part's own "N passed, N failed" total, so
# that ours is the only one.
show() {
	grep --line-buffered -E '^(ok|not ok)( |$)|^#|^bench:' |
		grep --line-buffered -vE '^#? *[0-9]+ passed, [0-9]+ failed' |
		tee -a "$summary"
}

show_log_tail() {
	tail -n "${2:-15}" "$1" | sed 's/^/#   /' | tee -a "$summary"
}

count() {
	total_passed=$((total_passed + $1))
	total_failed=$((total_failed + $2))
}

# build_part NAME DESCRIPTION COMMAND...: one TAP line from the exit status.
build_part() {
	local name=$1 desc=$2 log=$logdir/$1.log
	shift 2
	if "$@" >"$log" 2>&1; then
		say "ok - $desc"
		count 1 0
	else
		say "not ok - $desc (log: $log)"
		show_log_tail "$log"
		count 0 1
	fi
}

# tap_part NAME COMMAND...: the command prints TAP; count its lines.
tap_part() {
	local name=$1 log=$logdir/$1.log status
	shift
	say "# $name"
	{ "$@" 2>&1; echo $? >"$log.status"; } | tee "$log" | show
	status=$(cat "$log.status")
	rm -f "$log.status"
	tap_count "$name" "$log" "$status"
}

# tap_count NAME LOG STATUS: count the TAP lines of a part that has ended.
tap_count() {
	local name=$1 log=$2 status=$3 passed failed
	passed=$(grep -cE '^ok( |$)' "$log")
	failed=$(grep -cE '^not ok( |$)' "$log")
	if [[ $status -ne 0 && $failed -eq 0 ]]; then
		say "not ok - $name exited with status $status (log: $log)"
		show_log_tail "$log"
		failed=1
	elif [[ $((passed + failed)) -eq 0 ]]; then
		say "not ok - $name printed no TAP result (log: $log)"
		show_log_tail "$log"
		failed=1
	fi
	count "$passed" "$failed"
}

# The initramfs for the VM suites.  If something it packs failed to build
# (already counted above), pack what exists so the other suites still run.
build_initramfs() {
	local log=$logdir/vm-initramfs.log
	if $MAKE --no-print-directory vm-initramfs >"$log" 2>&1; then
		return
	fi
	say "# the initramfs is missing parts that failed to build; packing what exists"
	if ! $MAKE --no-print-directory vm-initramfs VM_ALLOW_PARTIAL=1 >>"$log" 2>&1; then
		say "not ok - test VM initramfs builds (log: $log)"
		show_log_tail "$log"
		count 0 1
	fi
}

# The test VM's QEMU: the project's patched build of Debian's QEMU, built
# once per machine (tests/vm/qemu/build.sh; a few minutes the first time),
# unless VM_QEMU names another.  Its build counts as one test; should it
# fail, the suites run on Debian's stock QEMU, and say so.
build_vm_qemu() {
	local log=$logdir/vm-qemu.log
	if [[ -n ${VM_QEMU:-} ]]; then
		say "# the test VM runs VM_QEMU=$VM_QEMU"
		return
	fi
	if tests/vm/qemu/build.sh --check; then
		say "# the test VM runs the patched QEMU already built: $(tests/vm/qemu/build.sh --path)"
		return
	fi
	build_part vm-qemu "the test VM's QEMU builds (Debian's qemu source with tests/vm/qemu/patches)" \
		tests/vm/qemu/build.sh
	grep '^qemu-build: done' "$log" | sed 's/^/# /' | tee -a "$summary"
	if ! tests/vm/qemu/build.sh --check; then
		export VM_QEMU=qemu-system-x86_64
		say "# the VM suites run on Debian's stock QEMU instead"
	fi
}

# Each suite runs once: a test VM that goes silent or resets is a failure
# like any other, its registers in the logs (QEMU's bugs that once made it
# happen are fixed in the patched QEMU, tests/vm/qemu/).
vm_suite() {
	env BUILD="$BUILD" INITRAMFS="$INITRAMFS" VM_QUIET=1 \
		tests/vm/run-suite.sh "$1" "$VM_KVER"
}

keep_vm_logs() {
	cp "$BUILD/vm/$1.console.log" "$BUILD/vm/$1.result" \
		"$BUILD/vm/$1.qemu.log" "$BUILD/vm/$1.cpu-reset.log" \
		"$BUILD/vm/$1.hang.log" "$logdir/" 2>/dev/null
}

# The suites' own estimate of their length ("# lguest-seconds: N", on this
# machine kind), so that side by side the long ones start first and the
# lanes end together.
longest_first() {
	local suite secs
	for suite; do
		secs=$(sed -n 's/^# lguest-seconds: *\([0-9][0-9]*\).*/\1/p' \
			"$(vm_suite_script "$suite" 2>/dev/null)" 2>/dev/null | head -1)
		echo "${secs:-0} $suite"
	done | sort -k1,1nr -s | cut -d' ' -f2
}

# run_lanes JOBS SUITE...: JOBS test VMs at a time, each suite's output
# to its log and shown, then counted, as the suite ends.
run_lanes() {
	local jobs=$1 suite
	local -A suite_of=()
	shift
	for suite; do
		((${#suite_of[@]} < jobs)) || lane_reap
		{
			VM_DEFAULT_ACCEL=tcg,thread=single vm_suite "$suite" \
				>"$logdir/vm-$suite.log" 2>&1
			echo $? >"$logdir/vm-$suite.log.status"
		} &
		suite_of[$!]=$suite
	done
	while ((${#suite_of[@]})); do
		lane_reap
	done
}

# The next VM of run_lanes() to end (its suite_of holds the running ones).
lane_reap() {
	local pid
	wait -n -p pid
	lane_done "${suite_of[$pid]}"
	unset "suite_of[$pid]"
}

lane_done() {
	local log=$logdir/vm-$1.log status
	say "# vm-$1"
	show <"$log"
	status=$(cat "$log.status" 2>/dev/null || echo 1)
	rm -f "$log.status"
	tap_count "vm-$1" "$log" "$status"
	keep_vm_logs "$1"
}

# VM_JOBS test VMs run at a time (default: one per host CPU).  Side by
# side, each VM's TCG runs on one host thread, so the VMs share the cores
# without a thread waiting for a core (QEMU's TCG with more threads than
# cores slows down far more than in proportion); a suite that asks for a
# thread per CPU ("# lguest-accel:", the testhost-mttcg suite) runs alone
# after them, with the whole machine.  VM_JOBS=1 runs every suite alone,
# one after another, as make bench does so that no VM slows another.
run_vm_suites() {
	local jobs=${VM_JOBS:-$(nproc)} suite vm_start=$SECONDS
	local lanes=() alone=()
	if [[ ! $jobs =~ ^[1-9][0-9]*$ ]]; then
		say "not ok - VM_JOBS=$jobs: want how many test VMs run at a time (1 or more); no VM suite ran"
		count 0 1
		return
	fi
	if [[ $mode == bench || $jobs -le 1 || $# -le 1 ]]; then
		alone=("$@")
	else
		for suite; do
			if grep -q '^# lguest-accel:' "$(vm_suite_script "$suite" 2>/dev/null)" 2>/dev/null; then
				alone+=("$suite")
			else
				lanes+=("$suite")
			fi
		done
	fi
	if ((${#lanes[@]})); then
		say "# VM suites: $jobs test VMs at a time, one host thread each (VM_JOBS=1: one after another)"
		# shellcheck disable=SC2046
		run_lanes "$jobs" $(longest_first "${lanes[@]}")
	fi
	for suite in "${alone[@]}"; do
		tap_part "vm-$suite" vm_suite "$suite"
		keep_vm_logs "$suite"
	done
	say "# VM suites took $((SECONDS - vm_start))s"
}

start=$SECONDS
case "$mode" in
check)
	say "# lguest make check: modules for $KVER and ${KVER612:-<no 6.12>}, VM suites on $VM_KVER"
	build_part modules-6.1 "modules build against 6.1 headers ($KVER)" \
		$MAKE --no-print-directory modules
	build_part modules-6.12 "modules build against 6.12 headers (${KVER612:-not installed})" \
		$MAKE --no-print-directory modules-6.12
	build_part userspace "userspace library and test programs build" \
		$MAKE --no-print-directory -k userspace
	tap_part checkpatch scripts/checkpatch.sh
	# Before the host tests: demo-check boots the test VM too, and a
	# first build of its QEMU inside demo-check's boot timeout (on a new
	# machine, or when tests/vm/qemu/patches changed) would fail it on a
	# busy machine.
	build_vm_qemu
	for target in $HOST_TESTS; do
		tap_part "$target" $MAKE --no-print-directory "$target"
	done
	build_initramfs
	# shellcheck disable=SC2086
	run_vm_suites $VM_SUITES
	;;
bench)
	build_initramfs
	build_vm_qemu
	# shellcheck disable=SC2086
	run_vm_suites $BENCH_SUITES
	say "# benchmark results:"
	cat "$logdir"/vm-*.log 2>/dev/null | grep '^bench:' | tee -a "$summary"
	;;
*)
	echo "usage: $0 check|bench" >&2
	exit 2
	;;
esac

say "# $mode took $((SECONDS - start))s; logs in $logdir/"
say "$total_passed passed, $total_failed failed"
[[ $total_failed -eq 0 ]]
