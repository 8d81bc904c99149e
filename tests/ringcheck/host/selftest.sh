#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ringcheck's self-test: can each check fail?  vu_loop (a vhost-user
# back-end that loops frames, tests/ringcheck/host/vu_loop.c) keeps every
# rule, and every check must pass against it; then, once per mutant, it
# breaks one rule, and the check about that rule must fail.  Every check
# ringcheck lists must be killed by at least one mutant.
#
#   tests/ringcheck/host/selftest.sh RINGCHECK VU_LOOP
set -uo pipefail

ringcheck=$1
vu_loop=$2
dir=$(mktemp -d /tmp/ringcheck-selftest.XXXXXX)
sock=$dir/vu.sock
pid=
n=0

cleanup() {
	[[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

# Each mutant, and the check it must make fail.
MUTANTS=(
	used-id:used-id used-len-tx:used-id write-readable:used-id
	writable-bounds:used-id any-layout:any-layout zero-length:zero-length
	max-chain:max-chain next-without-flag:next-without-flag
	spurious-kick:spurious-kick
	indirect-table:indirect-table used-idx:used-idx full-ring:full-ring
	idx-wrap:idx-wrap flags0-notify:flags0-notify
	flags1-no-notify:flags1-no-notify event-crossing:event-crossing
	event-no-crossing:event-no-crossing
	event-ignore-flags:event-ignore-flags
	used-flags-values:used-flags-values
	event-used-flags-zero:event-used-flags-zero num-buffers:num-buffers
	hostile-next-range:hostile-next-range hostile-loop:hostile-loop
	hostile-head-range:hostile-head-range hostile-scribble:hostile-next-range
	hostile-outside-memory:hostile-outside-memory vring-base:vring-base
	# The packed ring's (vu_loop breaks rule ID on packed rings only).
	packed-used-id:packed-used-id packed-writable-bounds:packed-used-id
	packed-used-len:packed-used-len
	packed-write-readable:packed-no-write-readable
	packed-used-write-flag:packed-used-write-flag
	packed-used-flags:packed-used-flags packed-wrap:packed-wrap
	packed-chain-skip:packed-chain-skip packed-id-last:packed-id-last
	packed-any-layout:packed-any-layout
	packed-zero-length:packed-zero-length packed-max-chain:packed-max-chain
	packed-indirect-table:packed-indirect-table
	packed-indirect-write:packed-indirect-write
	packed-full-ring:packed-full-ring packed-avail-flag:packed-avail-flag
	packed-event-enable:packed-event-enable
	packed-event-disable:packed-event-disable
	packed-event-desc:packed-event-desc
	packed-event-desc-far:packed-event-desc-far
	packed-device-event-flags:packed-device-event-flags
	packed-hostile-outside-memory:packed-hostile-outside-memory
	packed-hostile-scribble:packed-hostile-outside-memory
	packed-hostile-chain-long:packed-hostile-chain-long
	packed-hostile-indirect-len:packed-hostile-indirect-len
	packed-hostile-nested-indirect:packed-hostile-nested-indirect
	packed-vring-base:packed-vring-base
	packed-set-vring-base:packed-set-vring-base
)

tap() {
	n=$((n + 1))
	if [[ $1 == ok ]]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}

# start [MUTANT]: vu_loop on a fresh socket.
start() {
	[[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -f "$sock"
	"$vu_loop" "$sock" "$@" 2>>"$dir/vu_loop.err" &
	pid=$!
	for _ in $(seq 50); do
		[[ -S $sock ]] && return 0
		sleep 0.1
	done
	return 1
}

start || { tap not "vu_loop starts"; exit 1; }
"$ringcheck" "vhost-user:$sock" >"$dir/clean" 2>&1
status=$?
failed=$(grep -c '^not ok' "$dir/clean")
checks=$(grep -c '^ok' "$dir/clean")
if [[ $status -eq 0 && $failed -eq 0 && $checks -gt 0 ]]; then
	tap ok "every check ($checks) passes against vu_loop, which keeps every rule"
else
	tap not "every check passes against vu_loop, which keeps every rule (status $status, $failed failed)"
	grep -A1 '^not ok' "$dir/clean" | sed 's/^/#   /'
fi

for m in "${MUTANTS[@]}"; do
	mutant=${m%%:*} check=${m#*:}
	if ! start "$mutant"; then
		tap not "vu_loop starts with mutant $mutant"
		continue
	fi
	"$ringcheck" -k "$check" "vhost-user:$sock" >"$dir/$mutant" 2>&1
	status=$?
	why=$(grep -m1 -A1 '^not ok' "$dir/$mutant" | sed -n 's/^# //p')
	if [[ $status -eq 1 ]] && grep -q "^not ok .*\[[^]]* $check\]" "$dir/$mutant"; then
		tap ok "mutant $mutant: $check fails ($why)"
	else
		tap not "mutant $mutant: $check fails (status $status)"
		sed 's/^/#   /' "$dir/$mutant" | head -5
	fi
done

# Every check has a mutant.
for id in $("$ringcheck" -l | awk '{ print $2 }'); do
	printf '%s\n' "${MUTANTS[@]}" | grep -q ":$id\$" ||
		tap not "check $id has a mutant that makes it fail"
done
tap ok "every check ringcheck lists ($("$ringcheck" -l | wc -l)) has a mutant"
