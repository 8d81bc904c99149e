# SPDX-License-Identifier: GPL-2.0
# lguest-timeout: 600
#
# bench-ipi: the IPI round trip between two guest CPUs, lg.ko against KVM,
# in the same test VM in the same run.  The guest boots with --cpus=2 and
# runs bench/guest-ipi.sh, which bounces a token between processes
# pinned to CPU 0 and CPU 1 (ipiping, bench/ipiping.c: over two pipes,
# and over a shared futex word) for $SECS s each, and the pipes once more
# with both ends on CPU 0 (no IPI: the baseline).  The other CPU waits
# in HLT, so each hop is a wakeup IPI from one CPU's local APIC to the
# other's, through the hypervisor: the number is the hypervisor's IPI
# path, twice, plus the guest's own wakeup work (the baseline's share).
#
# $ROUNDS rounds, one boot per hypervisor per round, the hypervisors'
# order swapped every round, so that whatever else the (noisy, TCG)
# machine does falls on both alike.  A round's number is the median of
# its round trips, in microseconds (not the mean: on a shared machine a
# few round trips wait milliseconds for the host to run a TCG thread, and
# would make the mean theirs); the table shows the medians over the
# rounds, lguest/kvm, and each column's spread over the rounds ((max -
# min) / median).  The guest's IPIs per round trip (about 2 when every
# hop woke a halted CPU) tell whether both hypervisors' rows measured the
# same thing.  A hypervisor that refuses --cpus=2 (lg.ko before it had
# local APICs) is skipped with a line saying so; the other still runs.
# Speed is reported, never asserted; a boot that fails or a run that
# ends wrong is a "not ok".  Run by /init with busybox ash.

# lib-net.sh: the TAP helpers and probe (lib.sh); lib-bench.sh: the
# medians, spread, ratio and showin.
. /suites/lib-net.sh
. /suites/lib-bench.sh
T=/tmp/bench-ipi
# VM_APPEND=bench.rounds=N bench.hvs=kvm: a shorter run, for a quick look.
ROUNDS=$(param bench.rounds)
ROUNDS=${ROUNDS:-3}
SECS=1
HVS=$(param bench.hvs | tr ',' ' ')
HVS=${HVS:-lguest kvm}
RUNS="pipe-0-1 futex-0-1 pipe-0-0"
mkdir -p $T
SAY_AS=ipi

# The hypervisor behind --hv=HV, by the name the lines give it.
hv_name() { case $1 in lguest) echo lg.ko ;; kvm) echo KVM ;; esac; }

# --- setup ---------------------------------------------------------------------

modprobe kvm_amd 2>$T/modprobe.err
insmod /lib/lguest/lg.ko 2>>$T/modprobe.err
avail_kvm=0 avail_lguest=0
[ -c /dev/kvm ] && avail_kvm=1
[ -c /dev/lguest ] && avail_lguest=1
if [ $avail_kvm = 1 ] || [ $avail_lguest = 1 ]; then
	ok "bench-ipi: a hypervisor to run on (/dev/kvm: $avail_kvm, /dev/lguest: $avail_lguest)"
else
	not_ok "bench-ipi: kvm_amd or lg.ko loads"
	show_tail $T/modprobe.err 5
	exit 0
fi
for hv in $HVS; do
	eval "avail=\$avail_$hv"
	[ $avail = 1 ] || echo "# $(hv_name $hv): not loaded, skipped ($(tr '\n' ' ' <$T/modprobe.err))"
done

# --- one boot ----------------------------------------------------------------------

# round HV R: boot the guest on HV with two CPUs, run guest-ipi.sh, record.
round() {
	hv=$1 r=$2 name=$1-$2
	out=$T/$name.out
	timeout 300 $LGUEST -v --hv=$hv --cpus=2 128m $KERNEL --initrd=$INITRD \
		lguest.run=/test/guest-ipi.sh ipi.secs=$SECS </dev/null >$out 2>&1
	status=$?

	# lg.ko without SMP says "lguest: --cpus=2: ..." and starts nothing.
	if ! grep -q '^lguest-guest: ready' $out &&
	   grep -q '^lguest: --cpus=2:' $out; then
		why=$(grep -m1 '^lguest: --cpus=2:' $out | tr -d '\r')
		eval "avail_$hv=0 skipped_$hv=1"
		echo "# $(hv_name $hv): --cpus=2 not supported by this build ($why)"
		skip "$hv: ping-pong between two guest CPUs" "$(hv_name $hv): --cpus=2 not supported by this build"
		return
	fi

	why=
	[ "$(probe $name cpus)" = "2 online 0-1" ] ||
		why="$why the guest saw '$(probe $name cpus)', not 2 CPUs online 0-1;"
	for run in $RUNS; do
		line=$(probe $name $run)
		us=$(echo "$line" | awk '/\(status 0\)/ { for (i = 2; i <= NF; i++) if ($i == "us" && $(i + 1) == "median,") print $(i - 1) }')
		if [ -n "$us" ]; then
			record $hv $run "$us"
			record $hv ipis-$run "$(echo "$line" | sed -n 's/.* ipis \([0-9.]*\)$/\1/p')"
		else
			why="$why $run: ${line:-no line};"
		fi
	done
	[ $status = 0 ] && grep -q '^ipi: done' $out ||
		why="$why the launcher exited with status $status;"
	warnings=$(grep -E 'WARNING:|BUG:|Oops|Kernel panic' $out | head -3)
	[ -z "$warnings" ] || why="$why kernel: $warnings;"
	if [ -z "$why" ]; then
		ok "$hv round $r: --cpus=2, ping-pong over pipes and a futex between CPUs 0 and 1, and on CPU 0"
		grep "^ipi: " $out | grep -v ' done' | showin 4
	else
		not_ok "$hv round $r:$why"
		# How the guest's CPUs came up, and how it ended.
		grep -iE 'smp|cpu ?1|apic|mp table|lguest:' $out | showin 20
		show_tail $out 20
	fi
}

# --- the rounds and the table ---------------------------------------------------------

r=1
while [ $r -le $ROUNDS ]; do
	order=$HVS
	[ $((r % 2)) -eq 0 ] && order=$(echo $HVS | awk '{ for (i = NF; i > 0; i--) printf "%s ", $i }')
	for hv in $order; do
		eval "avail=\$avail_$hv"
		[ $avail = 1 ] && round $hv $r
	done
	r=$((r + 1))
done

# row LABEL METRIC: lguest, kvm, lguest/kvm and the two spreads.
row() {
	l=$(median lguest $2) k=$(median kvm $2)
	printf '# %-34s %9s %9s %10s %13s\n' "$1" "$l" "$k" "$(ratio "$k" "$l")" \
		"$(spread lguest $2)/$(spread kvm $2)"
}

echo "# bench-ipi: --cpus=2, a token bounced between two pinned processes, ${SECS} s of round trips per row;"
echo "# each boot's median round trip, their median over $ROUNDS boots per hypervisor; spread = (max - min) / median"
printf '# %-34s %9s %9s %10s %13s\n' "" lguest kvm lguest/kvm "spread lg/kvm"
row "pipe CPU 0<->1 us/round trip" pipe-0-1
row "futex CPU 0<->1 us/round trip" futex-0-1
row "pipe on CPU 0 alone us/round trip" pipe-0-0
row "  IPIs per round trip, pipe 0<->1" ipis-pipe-0-1
row "  IPIs per round trip, futex 0<->1" ipis-futex-0-1
for hv in $HVS; do
	eval "skipped=\$skipped_$hv"
	[ "$skipped" = 1 ] && echo "bench: ipi $(hv_name $hv): --cpus=2 not supported by this build"
done
echo "bench: ipi lguest/kvm --cpus=2 us per round trip pipe 0<->1 $(median lguest pipe-0-1)/$(median kvm pipe-0-1) futex 0<->1 $(median lguest futex-0-1)/$(median kvm futex-0-1) pipe on cpu 0 $(median lguest pipe-0-0)/$(median kvm pipe-0-0)"
echo "bench: ipi ratio lguest/kvm pipe 0<->1 $(ratio "$(median kvm pipe-0-1)" "$(median lguest pipe-0-1)") futex 0<->1 $(ratio "$(median kvm futex-0-1)" "$(median lguest futex-0-1)") pipe on cpu 0 $(ratio "$(median kvm pipe-0-0)" "$(median lguest pipe-0-0)")"
exit 0
