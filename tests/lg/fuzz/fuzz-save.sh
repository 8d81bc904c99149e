#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# After `make fuzz-guest`: keep the seeds that hurt the host.
#
#   tests/lg/fuzz/fuzz-save.sh RESULT CONSOLE CORPUS
#
# RESULT is the suite's result stream (build/vm/fuzz-guest.result), where
# the fuzzer printed "# SAVE-SEED N generator G: what" for each seed that
# hurt the host.  If the suite did not complete (the test VM panicked,
# reset or hung), the seed it was running is the last "fuzz-guest: seed N"
# line the kernel printed on the console (CONSOLE), and it is kept too.
# Each seed not yet in CORPUS is appended to it with what it did; commit
# the corpus so every `make check` replays them.
set -uo pipefail

result=${1:?usage: $0 RESULT CONSOLE CORPUS}
console=${2:?usage: $0 RESULT CONSOLE CORPUS}
corpus=${3:?usage: $0 RESULT CONSOLE CORPUS}
today=$(date -u +%Y-%m-%d)

save() {	# save SEED WHAT
	if grep -qE "^[[:space:]]*$1([[:space:]]|#|$)" "$corpus"; then
		echo "fuzz-guest: seed $1 is in $corpus already ($2)"
		return
	fi
	printf '%s\t# saved %s: %s\n' "$1" "$today" "$2" >>"$corpus"
	echo "fuzz-guest: saved seed $1 to $corpus: $2"
}

saved=0
if [[ -r $result ]]; then
	while read -r _ _ seed rest; do
		save "$seed" "$(echo "$rest" | tr -d '\t' | cut -c1-200)"
		saved=$((saved + 1))
	done < <(grep -E '^# SAVE-SEED [0-9]+ ' "$result" | sort -u -k3,3n)
fi
if [[ -r $result ]] && ! grep -q '^# suite fuzz-guest complete' "$result"; then
	last=$(tr -d '\r' <"$console" 2>/dev/null |
		sed -n 's/.*fuzz-guest: seed \([0-9][0-9]*\)$/\1/p' | tail -1)
	if [[ -n $last ]]; then
		gen=$(sed -n 's/^# fuzz-guest: generator \([0-9]*\);.*/\1/p' "$result" | head -1)
		save "$last" "generator ${gen:-?}: the test VM died or hung while it ran (see $console)"
		saved=$((saved + 1))
	fi
fi
[[ $saved -gt 0 ]] || echo "fuzz-guest: no seed hurt the host; nothing to save"
exit 0
