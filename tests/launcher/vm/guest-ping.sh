#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run inside the lguest guest by the nonroot suite (lguest.run=): ping the
# host's end of the tap and say how it went.  Parameters:
#   ping.host=IP      whom to ping
#   ping.token=T      echoed back first
#   ping.stay=N       then stay N seconds more (default 0), while the
#                     host looks at the launcher

. /test/guest-lib.sh

SAY_AS=ping-test
say "token $(param ping.token)"
if ping -c 3 -W 5 "$(param ping.host)" >/dev/null 2>&1; then
	say "ping ok"
else
	say "ping failed"
fi
stay=$(param ping.stay)
sleep "${stay:-0}"
