#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ringcheck against DPDK's vhost-user back-end: dpdk-testpmd with one
# vhost PMD port in io forwarding, which sends every frame it takes from
# the transmit queue back into the receive queue.  No VM, no hugepages,
# no NIC.  Every check must pass, be skipped with a reason, or be one of
# DPDK's known deviations (ringcheck/deviations/dpdk-22.11); a deviation
# listed there that no longer fails is reported, so the list stays true.
#
#   tests/ringcheck/host/testpmd.sh RINGCHECK
set -uo pipefail

ringcheck=$1
deviations=ringcheck/deviations/dpdk-22.11
dir=$(mktemp -d /tmp/ringcheck-testpmd.XXXXXX)
sock=$dir/vhost.sock
testpmd_pid=

cleanup() {
	[[ -n $testpmd_pid ]] && kill "$testpmd_pid" 2>/dev/null && wait "$testpmd_pid" 2>/dev/null
	# EAL keeps a runtime directory under its prefix even with --no-shconf.
	rm -rf "$dir" "/var/run/dpdk/ringcheck$$"
}
trap cleanup EXIT

if ! command -v dpdk-testpmd >/dev/null; then
	echo "not ok 1 - dpdk-testpmd is installed (scripts/install-deps.sh installs dpdk-dev)"
	exit 1
fi

# --no-shconf and a prefix of our own: two runs never meet.  stdin
# a pipe held open: testpmd without -i ends when it reads a line.
sleep 100000 | dpdk-testpmd --no-huge --no-shconf --file-prefix=ringcheck$$ -m 512 --no-pci -l 0-1 \
	--log-level=lib.vhost.config:notice \
	--vdev "net_vhost0,iface=$sock,queues=1" -- \
	--forward-mode=io --auto-start --total-num-mbufs=4096 \
	>"$dir/testpmd.log" 2>&1 &
testpmd_pid=$(jobs -p | tail -1)
for _ in $(seq 100); do
	[[ -S $sock ]] && break
	sleep 0.1
done
if [[ ! -S $sock ]]; then
	echo "not ok 1 - dpdk-testpmd creates its vhost-user socket"
	sed 's/^/#   /' "$dir/testpmd.log" | tail -20
	exit 1
fi
echo "# DPDK: $(dpkg-query -W -f='dpdk-dev ${Version}' dpdk-dev 2>/dev/null)"

timeout 600 "$ringcheck" --deviations="$deviations" "vhost-user:$sock" >"$dir/out" 2>"$dir/err"
status=$?
awk -f tests/ringcheck/deviations.awk "$dir/out"
sed 's/^/# stderr: /' "$dir/err"
if [[ $status -ne 0 ]]; then
	echo "not ok - ringcheck exited with status $status"
	tail -20 "$dir/testpmd.log" | sed 's/^/#   testpmd: /'
fi
if ! kill -0 "$testpmd_pid" 2>/dev/null; then
	echo "not ok - dpdk-testpmd is still running after the hostile checks"
else
	echo "ok - dpdk-testpmd is still running after the hostile checks"
fi
