#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/plot.py on a small result of known shape: one picture per table
# (a table of medians and one of counters), PNGs that say their licence,
# the ratio column left out, and a result without a table plotted not at
# all.  TAP on stdout.
set -uo pipefail
. tests/lib/tap.sh

dir=$(mktemp -d /tmp/plot-check.XXXXXX)
trap 'rm -rf "$dir"' EXIT
sample=tests/bench/host/sample.result
printf '# SPDX-License-Identifier: GPL-2.0\nok 1 - nothing to plot\n' >"$dir/none.result"

bench/plot.py "$dir/out" "$sample" "$dir/none.result" >"$dir/list" 2>"$dir/err"
status=$?
check "plot.py exits 0 (status $status)" test $status -eq 0 || show "$dir/err"
check "one picture per table: sample-1.png and sample-2.png, no more" \
	sh -c "[ \"\$(cat $dir/list | xargs -n1 basename | tr '\n' ' ')\" = 'sample-1.png sample-2.png ' ]"
for png in "$dir"/out/sample-*.png; do
	check "$(basename "$png") is a PNG that carries the SPDX line" \
		sh -c "head -c 8 '$png' | od -An -tx1 | grep -q '89 50 4e 47 0d 0a 1a 0a' &&
		       grep -qa 'SPDX-License-Identifier: GPL-2.0' '$png'"
done
check "a result without a table: no picture, one line saying so" \
	sh -c "! ls $dir/out | grep -q none && grep -q 'none.result: no table to plot' $dir/err"
# The parser: two tables, their columns without the ratio, their rows.
/usr/bin/python3 - "$sample" >"$dir/parsed" <<'PY'
import sys
sys.path.insert(0, "bench")
import plot
for title, columns, rows in plot.tables(sys.argv[1]):
    print(title.split(":")[0], columns, [(l, [v for v, _ in vs]) for l, vs in rows])
PY
check "the tables as read: the medians' columns without vring/copy, the counters' rows" \
	sh -c "grep -qF \"sample on lguest ['copy', 'vring'] [('TCP host->guest MB/s', [14.45, 26.09]), ('launcher syscalls/MiB TCP', [2169.1, 4.2])]\" $dir/parsed &&
	       grep -qF \"lguest, per MiB of TCP host->guest, by counter ['copy', 'vring'] [('exits', [176.6, 130.9]), ('io', [110.4, 76.6]), ('mmio-user', [22.1, 0.0])]\" $dir/parsed" ||
	show "$dir/parsed"
echo "1..$n"
