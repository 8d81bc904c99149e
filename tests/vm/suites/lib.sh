# SPDX-License-Identifier: GPL-2.0
#
# lib: what every VM suite shares, sourced with `. /suites/lib.sh` (not a
# suite itself): the TAP helpers, and where the launcher and the guest's
# kernel and initramfs are in the test VM.
#
#   ok DESC / not_ok DESC    one numbered result line
#   check DESC CMD [ARGS]    ok if CMD succeeds, not ok otherwise
#   wait_for_line TEXT SECONDS FILE [DONE]
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
