#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run in the guest by the launcher suite: a plain `poweroff` (no -f) must
# end the guest at once, through init, with status 0.
echo "launcher-test: before-poweroff"
poweroff
sleep 30
echo "launcher-test: after-poweroff"
