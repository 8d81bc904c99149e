# SPDX-License-Identifier: GPL-2.0
#
# lib: what every VM suite shares, sourced with `. /suites/lib.sh` (not a
# suite itself): the TAP helpers, and where the launcher and the guest's
# kernel and initramfs are in the test VM.
#
#   ok DESC / not_ok DESC    one numbered result line
#   check DESC CMD [ARGS]    ok if CMD succeeds, not ok otherwise
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
