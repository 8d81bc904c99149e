# SPDX-License-Identifier: GPL-2.0
#
# lib: what every VM suite shares, sourced with `. /suites/lib.sh` (not a
# suite itself): the TAP helpers, and where the launcher and the guest's
# kernel and initramfs are in the test VM.
#
#   ok, not_ok, check, skip, show, show_tail   from tests/lib/tap.sh
#   param NAME               from tests/launcher/vm/guest-lib.sh: NAME=VALUE
#                            on the kernel command line (VM_APPEND=...)
#   wait_for_line TEXT SECONDS FILE [DONE]
#   run_tap CMD [ARGS]       run a test program that prints its own TAP,
#                            its results numbered on after ours
#   runs CMD [ARGS]          run a test program that numbers its own TAP;
#                            true if it ran to the end (status 0 or 1)
#   quietly CMD [ARGS]       CMD's output as comments; its status
#   loads MODULE             insmod /lib/lguest/MODULE.ko, saying why not
#   unloads MODULE           rmmod MODULE, and it is gone
#   expect_error NAME WANT ARGS...   the launcher refuses ARGS with WANT
#   rand_token               16 random hex digits, for a guest to echo
#   probe NAME KEY           what the guest said about KEY in $T/NAME.out
#   kernel_log_mark          remember where the kernel log ends
#   kernel_log_quiet [NOISE] the kernel's lines since then as comments;
#                            true if at most one (NOISE: lines to ignore)
#   all_grew "A B / C D" [N] every count went up from the first half to
#                            the second (and there were N, if given)
#
# TAP_PREFIX, if set, goes before every description ("tunvring suite: ").

. /suites/tap.sh
. /suites/guest-lib.sh

LGUEST=/bin/lguest
KERNEL=/bin/guest-bzImage
INITRD=/bin/guest-initramfs.cpio.gz

# wait_for_line TEXT SECONDS FILE [DONE]: until TEXT is in FILE; 1 after
# SECONDS, or as soon as the file DONE exists (the launcher has ended).
wait_for_line() {
	tries=$(($2 * 5))
	while ! grep -q "$1" "$3" 2>/dev/null; do
		tries=$((tries - 1))
		[ $tries -gt 0 ] || return 1
		[ -z "$4" ] || [ ! -e "$4" ] || return 1
		sleep 0.2
	done
}

# run_tap CMD [ARGS]: a test program numbers its own TAP lines; renumber
# them to follow ours.  The stream stays live: a hang, or a VM that dies,
# still shows how far it got.
run_tap() {
	"$@" 2>&1 | awk -v base="$n" '
		/^(not )?ok [0-9]+/ {
			base++
			sub(/^ok [0-9]+/, "ok " base)
			sub(/^not ok [0-9]+/, "not ok " base)
		}
		/^1\.\./ { next }
		{ print; fflush() }
		END { print base >"/tmp/tap.base" }'
	n=$(cat /tmp/tap.base)
}

# quietly CMD [ARGS]: what CMD says goes out as comments; its status.
quietly() {
	out=$("$@" 2>&1)
	status=$?
	[ -n "$out" ] && echo "$out" | sed 's/^/# /'
	return "$status"
}

loaded() { grep -q "^$1 " /proc/modules; }
# loads MODULE: insmod one of our modules.
loads() { quietly insmod "/lib/lguest/$1.ko"; }
# unloads MODULE: rmmod it, and it is really gone.
unloads() { quietly rmmod "$1" && ! loaded "$1"; }

# runs CMD [ARGS]: a program's own TAP lines carry its results; this adds
# a failure only when it did not run to the end (a crash, "Bail out!" with
# status 2, a missing binary).
runs() {
	echo "# running $*"
	"$@"
	status=$?
	echo "# $1 exited with status $status"
	[ "$status" -le 1 ]
}

# A token the guest must echo back, so an old output cannot pass.
rand_token() { head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# all_grew "A B ... / C D ..." [N]: per-CPU counts (a guest's /proc/interrupts
# columns), read twice: each one grew, and there are N of them if N is given.
all_grew() {
	echo "$1" | awk -F' / ' -v want="${2:-0}" '{
		n = split($1, a, " "); m = split($2, b, " ")
		if (n < 1 || n != m || (want && n != want)) exit 1
		for (i = 1; i <= n; i++) if (b[i] + 0 <= a[i] + 0) exit 1
		ok = 1
	} END { exit !ok }'
}

kernel_log_mark() { kernel_log_start=$(dmesg | wc -l); }
# kernel_log_quiet [NOISE]: NOISE is an extended regular expression for
# lines that are not the code under test's to answer for.
kernel_log_quiet() {
	dmesg | tail -n +$((kernel_log_start + 1)) |
		grep -Ev "${1:-^$}" >/tmp/kernel-log-new
	sed 's/^/# dmesg: /' /tmp/kernel-log-new
	[ "$(wc -l </tmp/kernel-log-new)" -le 1 ]
}

# probe NAME KEY: the rest of the first "$SAY_AS: KEY ..." line in
# $T/NAME.out: what a guest script's say (tests/launcher/vm/guest-lib.sh)
# reported, with the suite's SAY_AS set to the guest script's.
probe() { sed -n "s/^$SAY_AS: $2 //p" $T/$1.out | tr -d '\r' | head -1; }

# expect_error NAME WANT ARGS...: the launcher refuses ARGS: exit status 1,
# WANT as the first line of its output (in $T/NAME.out), the --help hint
# as the second.  A suite whose refused launches could leave something
# behind redefines nothing_left (true when nothing is; it may wait for a
# reaper) and left_behind (says what is), and may add to the description
# what it checks in NOTHING_LEFT_DESC (", no macvtap left").
nothing_left() { :; }
left_behind() { :; }
expect_error() {
	name=$1 want=$2
	shift 2
	timeout 60 $LGUEST "$@" </dev/null >$T/$name.out 2>&1
	status=$?
	first=$(sed -n 1p $T/$name.out)
	second=$(sed -n 2p $T/$name.out)
	if [ $status -eq 1 ] && [ "$first" = "$want" ] &&
	   [ "$second" = "Try 'lguest --help' for more information." ] &&
	   nothing_left; then
		ok "$name: status 1, '$want'${NOTHING_LEFT_DESC:-}"
	else
		not_ok "$name: want status 1 and '$want'${NOTHING_LEFT_DESC:-}"
		left=$(left_behind)
		echo "#   got status $status${left:+, $left}:"
		show $T/$name.out 5
	fi
}
