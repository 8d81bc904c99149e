# SPDX-License-Identifier: GPL-2.0
#
# tap.sh: TAP for the test scripts, sourced by the host's (bash, as
# `. tests/lib/tap.sh` from the top of the tree) and by the test VM's
# suites (busybox ash: tests/vm/lib.sh sources the copy that
# tests/vm/mkinitramfs.sh puts in /suites).  POSIX sh only.
#
#   ok DESC / not_ok DESC    one numbered result line (tap_failed counts
#                            the not oks)
#   check DESC CMD [ARGS]    ok if CMD succeeds, not ok otherwise; returns
#                            CMD's status, so a script can stop on it
#   skip DESC WHY            a result that could not be checked here
#   show FILE [N]            FILE's first N lines (40) as "#" comments
#   show_tail FILE [N]       its last N lines (30), the way a log ends
#
# TAP_PREFIX, if set, goes before every description ("tunvring suite: ").

n=0
tap_failed=0
ok() { n=$((n + 1)); echo "ok $n - ${TAP_PREFIX:-}$*"; }
not_ok() {
	n=$((n + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $n - ${TAP_PREFIX:-}$*"
}
check() {
	desc=$1
	shift
	if "$@"; then
		ok "$desc"
	else
		set -- $?
		not_ok "$desc"
		return "$1"
	fi
}
skip() { ok "$1 # SKIP $2"; }

# A launcher's or a console's output, carriage returns and all.
show() { tr -d '\r' <"$1" | sed 's/^/#   /' | head -n "${2:-40}"; }
show_tail() { tr -d '\r' <"$1" | sed 's/^/#   /' | tail -n "${2:-30}"; }
