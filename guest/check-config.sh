#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Check that a kernel .config kept every choice a config fragment made.
#
#   usage: check-config.sh FRAGMENT DOTCONFIG
#
# Kconfig silently drops an option whose dependencies are not met, so a
# fragment line can vanish during olddefconfig.  Every "CONFIG_X=value"
# line of FRAGMENT must appear as such in DOTCONFIG, and every
# "# CONFIG_X is not set" line must not be enabled there.  All options
# that did not survive are listed; the exit status is 1 if there are any.
set -euo pipefail

if [[ $# -ne 2 ]]; then
	echo "usage: $0 FRAGMENT DOTCONFIG" >&2
	exit 2
fi
fragment=$1 dotconfig=$2
missing=0

while IFS= read -r line; do
	if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
		if ! grep -qxF -- "$line" "$dotconfig"; then
			have=$(grep -E "^${BASH_REMATCH[1]}=|^# ${BASH_REMATCH[1]} is not set" \
				"$dotconfig" || echo "absent")
			echo "check-config: wanted $line, got: $have" >&2
			missing=$((missing + 1))
		fi
	elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
		if have=$(grep -E "^${BASH_REMATCH[1]}=" "$dotconfig"); then
			echo "check-config: wanted ${BASH_REMATCH[1]} off, got: $have" >&2
			missing=$((missing + 1))
		fi
	fi
done <"$fragment"

if [[ $missing -ne 0 ]]; then
	echo "check-config: $missing option(s) of $fragment missing from $dotconfig" >&2
	exit 1
fi
echo "check-config: all options of $fragment are in $dotconfig"
