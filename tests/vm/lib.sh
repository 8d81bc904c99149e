# SPDX-License-Identifier: GPL-2.0
#
# lib: what every VM suite shares, sourced with `. /suites/lib.sh` (not a
# suite itself): the TAP helpers, and where the launcher and the guest's
# kernel and initramfs are in the test VM.
#
#   ok DESC / not_ok DESC    one numbered result line
#   check DESC CMD [ARGS]    ok if CMD succeeds, not ok otherwise
#   wait_for_line TEXT SECONDS FILE [DONE]
#   run_tap CMD [ARGS]       run a test program that prints its own TAP,
#                            its results numbered on after ours
#   loads MODULE             insmod /lib/lguest/MODULE.ko, saying why not
#
# TAP_PREFIX, if set, goes before every description ("tunvring suite: ").

n=0
ok() { n=$((n + 1)); echo "ok $n - ${TAP_PREFIX:-}$*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - ${TAP_PREFIX:-}$*"; }
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

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

# loads MODULE: insmod one of our modules; what insmod said goes out as a
# comment.
loads() {
	out=$(insmod "/lib/lguest/$1.ko" 2>&1)
	status=$?
	[ -n "$out" ] && echo "$out" | sed 's/^/# /'
	return $status
}
