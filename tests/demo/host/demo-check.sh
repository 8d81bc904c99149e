#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo-check: what `make run` shows a newcomer, driven like a newcomer
# would: boot the test host VM in demo mode (tests/vm/run-shell.sh, the
# script `make run` runs), wait for the guest's shell, which the mission's
# command line (`lguest 64m bzImage --tunnet=192.168.1.1`) started inside
# it, ping the host from the guest, power the guest off, and leave the
# test host VM's shell.  TAP on stdout.
#
#   tests/demo/host/demo-check.sh KVER INITRAMFS
set -uo pipefail

kver=${1:?usage: $0 KVER INITRAMFS}
initramfs=${2:?usage: $0 KVER INITRAMFS}
dir=${BUILD:-build}/demo
mkdir -p "$dir"
log=$dir/console.log
fifo=$dir/stdin
rm -f "$fifo" "$log"
mkfifo "$fifo"

# ok, not_ok, check, show_tail (make runs us from the top of the tree).
. tests/lib/tap.sh
# A failed check shows how the console log ends.
check_console() { check "$@" || show_tail "$log" 30; }

# wait_for TEXT SECONDS: until TEXT shows up in the console log.
wait_for() {
	local deadline=$((SECONDS + $2))
	while ((SECONDS < deadline)); do
		tr -d '\r' <"$log" 2>/dev/null | grep -qF -- "$1" && return 0
		kill -0 "$qemu" 2>/dev/null || return 1
		sleep 1
	done
	return 1
}

VM_MODE=demo timeout 900 tests/vm/run-shell.sh "$kver" "$initramfs" \
	<"$fifo" >"$log" 2>&1 &
qemu=$!
exec 3>"$fifo"

check_console "make run: the guest boots inside the test host VM with the mission's command line" \
	wait_for 'lguest-guest: starting a shell' 600
check_console "make run: the launcher made the tap 192.168.1.1/24 for the guest 192.168.1.2" \
	grep -q 'lguest: network: tap lguest0 192.168.1.1/24, guest 192.168.1.2 .* vring backend' "$log"
sleep 2
echo 'ping -c 3 192.168.1.1 && echo demo-ping-$((6 * 7))' >&3
check_console "make run: the guest pings the host (192.168.1.1) through tun_vring" \
	wait_for 'demo-ping-42' 120
echo 'poweroff' >&3
check_console "make run: poweroff in the guest ends the launcher with status 0" \
	wait_for 'lguest: the guest ended, exit status 0' 120
check_console "make run: then the test host VM's shell" \
	wait_for 'Type exit (or Ctrl-A X) to quit.' 60
echo 'exit' >&3
exec 3>&-
wait "$qemu"
status=$?
check_console "make run: leaving that shell ends QEMU (status $status)" test "$status" -eq 0
rm -f "$fifo"
