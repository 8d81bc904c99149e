#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run inside the lguest guest by the launcher suite (lguest.run=) with
# --console=virtio: one line out through /dev/hvc0, one to the serial
# port (which the launcher must drop), one line in from the launcher's
# stdin through hvc0, then a quiet spell for the suite to watch the
# launcher's I/O thread.  Parameters from the kernel command line:
#   launcher.token=T    put T in the lines, so the suite knows they are ours

. /test/guest-lib.sh

# Our lines go out through hvc0: the console under test.
SAY_AS=launcher-test

tok=$(param launcher.token)
echo "hvc-line $tok" >/dev/hvc0
echo "serial-line $tok" >/dev/ttyS0
say "consoles $(cut -d' ' -f1 /proc/consoles | tr '\n' ' ')" >/dev/hvc0
say "hvc ready" >/dev/hvc0
read -r line </dev/hvc0
say "hvc-input $line" >/dev/hvc0
say "idle start" >/dev/hvc0
sleep 4
say "idle end" >/dev/hvc0
exit 0
