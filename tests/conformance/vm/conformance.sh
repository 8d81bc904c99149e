# SPDX-License-Identifier: GPL-2.0
# lguest-timeout: 600
# lguest-seconds: 15
#
# conformance: the virtio 1.2 split-ring statements against vringfd and the
# echo consumer (tests/conformance/vm/ring_conformance.c).  Loads vringfd.ko
# and vring_echo.ko, runs the program, then unloads both modules (which
# also shows no test left a reference behind).  Run by /init with busybox
# ash; TAP on stdout.  The "# row|..." lines the program prints are what
# tests/conformance/vm/gen-doc.sh turns into Documentation/ring-conformance.md.

. /suites/lib.sh
TAP_PREFIX="conformance suite: "

check "vringfd.ko loads" loads vringfd || exit 0
check "vring_echo.ko loads" loads vring_echo || exit 0

# The program's TAP lines carry the results; a status above 1 means it
# did not get to the end (a crash, or "Bail out!").
echo "# kernel: $(uname -r)"
echo "# running ring_conformance on $(nproc) CPU(s)"
start=$(cut -d' ' -f1 /proc/uptime)
ring_conformance
status=$?
end=$(cut -d' ' -f1 /proc/uptime)
echo "# ring_conformance exited with status $status after $start..${end}s uptime"
check "ring_conformance ran to the end" test $status -le 1

check "vring_echo unloads" unloads vring_echo
check "vringfd unloads" unloads vringfd
exit 0
