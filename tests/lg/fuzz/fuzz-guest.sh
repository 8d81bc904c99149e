# SPDX-License-Identifier: GPL-2.0
# lguest-timeout: 300
# lguest-seconds: 60
#
# fuzz-guest: hostile guests from seeds (tests/lg/fuzz/fuzz_guest.c) against
# lg.ko.  Replays the seed corpus (/bin/fuzz-seeds.txt, from
# tests/lg/fuzz/fuzz-seeds.txt), then runs more seeds.  In `make check`
# those are the same every run: 600 from a fixed base (at most 45 s), so
# that a seed that takes the test host's QEMU down through one of its own
# bugs (Documentation/lguest.rst lists those we know) cannot make one run
# of make check fail and the next pass.  Fresh seeds are `make
# fuzz-guest`'s: from a random base until fuzz.secs (FUZZ_SECS) have
# passed, saving any that hurt the host.  The base is printed, so any seed can be
# replayed: `make fuzz-guest SEED=N` passes fuzz.seed=N, which runs that
# seed alone with the guest it builds and every exit printed (SEED=N,M,...
# for several).
# fuzz.base=N picks the base.  The host must come through every seed (see
# fuzz_guest.c for what counts as harm); each seed also goes to the
# kernel log ("fuzz-guest: seed N"), so a test VM that panics or hangs
# names the seed it was running in build/vm/fuzz-guest.console.log.
# Run by /init with busybox ash; TAP on stdout.

. /suites/lib.sh

SECS=$(param fuzz.secs)
SEED=$(param fuzz.seed)
BASE=$(param fuzz.base)
# fuzz.args=a,b: more fuzz_guest options (e.g. --no-xsetbv).
ARGS=$(param fuzz.args | tr , ' ')
COUNT=
if [ -z "$SECS" ]; then
	# make check: the same seeds every run.
	SECS=45
	COUNT="--count 600"
	BASE=${BASE:-20261206}
fi
[ -n "$BASE" ] || BASE=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')

check "lg.ko loads" loads lg
# Every kernel log line reaches the console, ours included (one a seed):
# the console log is what is left when the test VM dies.
echo on >/proc/sys/kernel/printk_devkmsg
dmesg -n 6

if [ -n "$SEED" ]; then
	echo "# replaying seed(s) $SEED"
	run_tap /bin/fuzz_guest --kmsg -v $ARGS $(echo "$SEED" | tr , ' ')
else
	echo "# seeds from $BASE ${COUNT:+(${COUNT#--count } of them) }for up to $SECS s in all (make fuzz-guest FUZZ_BASE=$BASE to run them again)"
	run_tap /bin/fuzz_guest --kmsg $ARGS --corpus /bin/fuzz-seeds.txt \
		--base "$BASE" --secs "$SECS" $COUNT
fi

check "lg.ko unloads" rmmod lg
