#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the kernel's checkpatch.pl --strict on every kernel source file of
# the project (*.c and *.h under fs/, drivers/, tests/vringfd/kmod/, include/) and
# print one TAP line per file, with checkpatch's complaints as comments.
#
# checkpatch.pl and the data files it reads are extracted once from
# linux-source-6.1 (/usr/src/linux-source-6.1.tar.xz) into build/checkpatch/.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
cache=${BUILD:-build}/checkpatch
checkpatch=$cache/checkpatch.pl

if [[ ! -f $cache/.extracted ]]; then
	tarball=$(ls /usr/src/linux-source-6.1*.tar.xz 2>/dev/null | sort -V | tail -1)
	if [[ -z $tarball ]]; then
		echo "not ok 1 - checkpatch: no /usr/src/linux-source-6.1.tar.xz (apt-get install linux-source-6.1)"
		exit 1
	fi
	echo "# extracting checkpatch.pl from $tarball"
	rm -rf "$cache"
	mkdir -p "$cache"
	if ! tar -xJf "$tarball" -C "$cache" --strip-components=2 --wildcards \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'; then
		echo "not ok 1 - checkpatch: could not extract it from $tarball"
		exit 1
	fi
	touch "$cache/.extracted"
fi

mapfile -t files < <(find fs drivers tests/vringfd/kmod include \
	\( -name '*.c' -o -name '*.h' -o -name '*.S' \) -type f 2>/dev/null | sort)
if [[ ${#files[@]} -eq 0 ]]; then
	echo "not ok 1 - checkpatch: no kernel source files found"
	exit 1
fi

n=0
failed=0
for file in "${files[@]}"; do
	n=$((n + 1))
	if out=$(perl "$checkpatch" --no-tree --strict --show-types -f "$file" 2>&1); then
		echo "ok $n - checkpatch --strict $file"
	else
		echo "not ok $n - checkpatch --strict $file"
		echo "$out" | grep -vE '^$|^NOTE:|^total:' | sed 's/^/# /'
		failed=$((failed + 1))
	fi
done
echo "1..$n"
[[ $failed -eq 0 ]]
