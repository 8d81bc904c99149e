#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run_fuzz.sh FUZZER CORPUS WORKDIR SECONDS
#
# Fuzzes for SECONDS starting from a scratch copy of the committed CORPUS
# (so the repository never changes), and prints one TAP line: how many
# inputs ran without a crash, or where libFuzzer saved the input that
# crashed.  The full libFuzzer log is WORKDIR/fuzz.log.
set -u

fuzzer=$1 corpus=$2 work=$3 seconds=$4
log=$work/fuzz.log
name=${fuzzer##*/}
desc="fuzz ${name#fuzz_} for $seconds s"

rm -rf "$work/corpus" "$work/artifacts"
mkdir -p "$work/corpus" "$work/artifacts"
cp "$corpus"/* "$work/corpus/"

# -timeout: one input running this long means a walk that does not end.
timeout $((seconds + 300)) "$fuzzer" -max_total_time="$seconds" \
	-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix="$work/artifacts/" "$work/corpus" >"$log" 2>&1
status=$?

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
artifact=$(ls -t "$work"/artifacts/* 2>/dev/null | head -1)
if [ "$status" -eq 0 ] && [ -z "$artifact" ] && [ -n "$execs" ]; then
	echo "ok 1 - $desc, no crash ($execs execs)"
	exit 0
fi
echo "not ok 1 - $desc: status $status, crash input ${artifact:-(none saved)}"
grep -E 'invariant broken|ERROR: |runtime error|SUMMARY' "$log" | head -5 |
	sed 's/^/#   /'
echo "#   log: $log"
exit 1
