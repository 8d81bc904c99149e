# SPDX-License-Identifier: GPL-2.0
# lguest-timeout: 300
# lguest-seconds: 60
# lguest-accel: tcg,thread=multi
#
# testhost-mttcg: regression tests for the test host QEMU's own SVM bugs,
# provoked through lg.ko with tiny guests (test_testhost), on a QEMU that
# runs a host thread per virtual CPU.  Each test fails on Debian 12's
# stock QEMU 7.2, mostly by taking this VM down with it (the runner then
# reports the VM's end), and passes on a QEMU built with
# tests/vm/qemu/patches/:
#
#   hflags2   x87 state loads on CPU 1 rewrote CPU 0's SVM mode bits while
#             CPU 0 ran an lg.ko guest (needs thread=multi, two CPUs;
#             patch 0001)
#   dr7, dr7-host
#             VMRUN and #VMEXIT stored DR7 without moving QEMU's
#             breakpoint objects: a guest's later DR7 change segfaulted
#             QEMU (patch 0004)
#   sstep     a guest single-stepping with a watchpoint on the slot its
#             #DB frames are written to: QEMU lost the first trap and
#             aborted at the second (patch 0005)
#   irq-cut   an interrupt on vector 13 whose delivery a nested page
#             fault cut short came back as exception 13 with an error
#             code: EXITINTINFO typed it as an exception (patch 0003)
#   shadow    an exit inside the STI shadow (a nested page fault) lost
#             the shadow at the next VMRUN: the interrupt came before the
#             instruction after STI, and "sti; hlt" slept (patch 0006)
#   textpoke  no lg.ko here: this VM's kernel patches its own text (a
#             static key flipped TEXTPOKE_FLIPS times) while both CPUs
#             run kernel code.  A translation made while another thread
#             wrote the code kept the old bytes for good: an INT3 run
#             forever after the patching was over (the VM hung, both CPUs
#             in exc_int3), or an "int3" oops (patch 0007)
#
# irq-cut and shadow go first: on a stock QEMU they fail their checks and
# leave the VM running.  Then hflags2, for 30 s (testhost.secs=N on the
# kernel command line, e.g. VM_APPEND=testhost.secs=60, changes that):
# it and the rest can kill the VM on a stock QEMU, and the rest do so at
# once.
# textpoke comes last.  VM_APPEND=testhost.groups=dr7,sstep runs only
# those groups; testhost.flips=N changes textpoke's number of flips.
# Run by /init with busybox ash; TAP on stdout.

. /suites/lib.sh

secs=30
TEXTPOKE_FLIPS=2000
groups="irq-cut shadow hflags2 dr7 dr7-host sstep textpoke"
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	testhost.secs=*) secs=${arg#testhost.secs=} ;;
	testhost.groups=*) groups=$(echo "${arg#testhost.groups=}" | tr , ' ') ;;
	testhost.flips=*) TEXTPOKE_FLIPS=${arg#testhost.flips=} ;;
	esac
done

echo "# $(nproc) CPUs; $(grep -m1 'model name' /proc/cpuinfo)"
check "lg.ko loads" loads lg
check "the VM has two CPUs (hflags2 needs a second one)" [ "$(nproc)" -ge 2 ]

# shellcheck disable=SC2086
guest_groups=$(echo $groups | sed 's/\<textpoke\>//')
kernel_log_mark
# shellcheck disable=SC2086
[ -n "$(echo $guest_groups)" ] && run_tap /bin/test_testhost -t "$secs" $guest_groups

check "test_testhost left at most one kernel message" kernel_log_quiet
check "lg.ko unloads" rmmod lg

# textpoke: flip the scheduler's statistics static key (every flip
# rewrites the instructions at its sites with text_poke_bp: an INT3 first,
# then the rest, then the first byte) while two pipelines keep both CPUs
# in the scheduler's code.  Debian's stock QEMU with a thread per CPU died
# within about 100 flips, a QEMU with patches 0001-0006 hung within 130 to
# 430; with 0007, 2700 flips ran clean.
busy() {
	while :; do
		dd if=/dev/zero bs=4k count=64 2>/dev/null | cat >/dev/null
	done
}
textpoke() {
	key=/proc/sys/kernel/sched_schedstats
	[ -w $key ] || { echo "# no $key"; return 1; }
	busy &
	b1=$!
	busy &
	b2=$!
	start=$(cut -d' ' -f1 /proc/uptime)
	i=0
	while [ $i -lt $((TEXTPOKE_FLIPS / 2)) ]; do
		echo 1 >$key && echo 0 >$key || break
		i=$((i + 1))
	done
	kill $b1 $b2
	wait $b1 $b2 2>/dev/null
	echo "# textpoke: $((i * 2)) flips in $(awk -v s="$start" '{ printf "%.1f", $1 - s }' /proc/uptime) s"
	[ $i -eq $((TEXTPOKE_FLIPS / 2)) ]
}
case " $groups " in
*" textpoke "*)
	check "textpoke: $TEXTPOKE_FLIPS static-key flips while both CPUs run the code they patch" textpoke ;;
esac
