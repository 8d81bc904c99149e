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

# Each mutant, the check it must make fail, and a piece of the reason
# that check must give (so that it fails for the rule the mutant broke,
# not for some other one on the way); pieces separated by | are
# alternatives, where the same broken rule can show in two ways.
MUTANTS=(
	"used-id:used-id:receive queue: used len"
	"used-len-tx:used-id:came back with a used len other than 0"
	"write-readable:used-id:(device-readable): it was given no such right"
	"writable-bounds:used-id:byte 1526: it was given no such right"
	"any-layout:any-layout:plus the 12-byte header"
	"zero-length:zero-length:frames back on the receive queue"
	"max-chain:max-chain:frames back on the receive queue"
	"next-without-flag:next-without-flag:plus the 12-byte header"
	"spurious-kick:spurious-kick:after kicks with nothing new, the device wrote|transmit queue: used id 0 is not the head"
	"indirect-table:indirect-table:receive queue: used len 0"
	"used-idx:used-idx:is not the head of a chain in flight"
	"full-ring:full-ring:0 of 64 frames back"
	"idx-wrap:idx-wrap:65408 of 65536 frames back"
	"flags0-notify:flags0-notify:with avail flags 0 and no call"
	"flags1-no-notify:flags1-no-notify:with VRING_AVAIL_F_NO_INTERRUPT set"
	"event-crossing:event-crossing:7 entries ahead, 16 entries were used, and no call"
	"event-no-crossing:event-no-crossing:1000 entries ahead, 16 entries were used, and 1 calls"
	"event-ignore-flags:event-ignore-flags:avail flags 1 and used_event 7 entries ahead"
	"used-flags-values:used-flags-values:used flags are 0x2"
	"event-used-flags-zero:event-used-flags-zero:used flags are 0x1"
	"num-buffers:num-buffers:had num_buffers other than 1"
	"hostile-next-range:hostile-next-range:no longer carries frames after a malformed chain"
	"hostile-loop:hostile-loop:no longer carries frames after a malformed chain"
	"hostile-head-range:hostile-head-range:no longer carries frames after a malformed chain"
	"hostile-scribble:hostile-next-range:in the transmit queue's descriptor table"
	"hostile-outside-memory:hostile-outside-memory:no longer carries frames after a malformed chain"
	"vring-base:vring-base:says 41 (0x29) after it used 40 chains"
	"alignment:alignment:0 of 64 frames back"
	"ignore-used-event:ignore-used-event:without EVENT_IDX, avail flags 0 and used_event 1000"
	"event-wrap:event-wrap:used index went from 65531 to 11, and no call"
	"hostile-avail-jump:hostile-avail-jump:no longer carries frames after a malformed chain"
	"hostile-nested-indirect:hostile-nested-indirect:no longer carries frames after a malformed chain"
	"hostile-indirect-len:hostile-indirect-len:no longer carries frames after a malformed chain"
	"ring-stop:ring-stop:after the transmit queue was stopped"
	# The packed ring's (vu_loop breaks rule ID on packed rings only).
	"packed-used-id:packed-used-id:receive queue: used len"
	"packed-writable-bounds:packed-used-id:byte 1526: it was given no such right"
	"packed-used-len:packed-used-len:receive queue: used len 1526"
	"packed-write-readable:packed-no-write-readable:(device-readable): it was given no such right"
	"packed-used-write-flag:packed-used-write-flag:used descriptors had WRITE wrong"
	"packed-used-flags:packed-used-flags:USED is the wrap counter but AVAIL differs"
	"packed-wrap:packed-wrap:64 of 72 frames back"
	"packed-chain-skip:packed-chain-skip:3 of 7 frames back"
	"packed-id-last:packed-id-last:receive queue: used len"
	"packed-any-layout:packed-any-layout:plus the 12-byte header"
	"packed-zero-length:packed-zero-length:0 of 16 frames back"
	"packed-max-chain:packed-max-chain:0 of 1 frames back"
	"packed-indirect-table:packed-indirect-table:receive queue: used len 0"
	"packed-indirect-write:packed-indirect-write:0 of 16 frames back"
	"packed-full-ring:packed-full-ring:63 of 64 frames back"
	"packed-avail-flag:packed-avail-flag:after kicks with a descriptor not made available, the device wrote"
	"packed-event-enable:packed-event-enable:ENABLE: 16 entries used and 0 calls"
	"packed-event-disable:packed-event-disable:DISABLE: 16 entries used and 1 calls"
	"packed-event-desc:packed-event-desc:7 entries ahead: 16 entries used and 0 calls"
	"packed-event-desc-far:packed-event-desc-far:100 entries ahead: 16 entries used and 1 calls"
	"packed-device-event-flags:packed-device-event-flags:device event flags are 0x3"
	"packed-hostile-outside-memory:packed-hostile-outside-memory:no longer carries frames after a malformed chain"
	"packed-hostile-scribble:packed-hostile-outside-memory:in the transmit queue's descriptor ring"
	"packed-hostile-chain-long:packed-hostile-chain-long:no longer carries frames after a malformed chain"
	"packed-hostile-indirect-len:packed-hostile-indirect-len:no longer carries frames after a malformed chain"
	"packed-hostile-nested-indirect:packed-hostile-nested-indirect:no longer carries frames after a malformed chain"
	"packed-vring-base:packed-vring-base:says 32812 (0x802c) after it used 300 chains"
	"packed-set-vring-base:packed-set-vring-base:0 of 100 frames back"
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
	mutant=${m%%:*} rest=${m#*:}
	check=${rest%%:*} want=${rest#*:}
	if ! start "$mutant"; then
		tap not "vu_loop starts with mutant $mutant"
		continue
	fi
	"$ringcheck" -k "$check" "vhost-user:$sock" >"$dir/$mutant" 2>&1
	status=$?
	why=$(grep -m1 -A1 '^not ok' "$dir/$mutant" | sed -n 's/^# //p')
	said=
	IFS='|' read -ra pieces <<<"$want"
	for piece in "${pieces[@]}"; do
		[[ $why == *"$piece"* ]] && said=1
	done
	if [[ $status -eq 1 && -n $said ]] &&
	   grep -q "^not ok .*\[[^]]* $check\]" "$dir/$mutant"; then
		tap ok "mutant $mutant: $check fails ($why)"
	else
		tap not "mutant $mutant: $check fails saying '$want' (status $status)"
		sed 's/^/#   /' "$dir/$mutant" | head -5
	fi
done

# Every check has a mutant.
for id in $("$ringcheck" -l | awk '{ print $2 }'); do
	printf '%s\n' "${MUTANTS[@]}" | grep -q "^[^:]*:$id:" ||
		tap not "check $id has a mutant that makes it fail"
done
tap ok "every check ringcheck lists ($("$ringcheck" -l | wc -l)) has a mutant"
