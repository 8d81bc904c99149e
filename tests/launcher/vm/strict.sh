# SPDX-License-Identifier: GPL-2.0
# lguest-timeout: 900
# lguest-seconds: 150
#
# strict: the launcher's --virtio-strict (lguest/virtio_strict.c, L:700)
# in the test host VM.
#   1. bad input: a kernel network backend with --virtio-strict, an
#      unknown mode: one line, status 1;
#   2. the real guest (Linux 6.1, build/guest/bzImage) on lg.ko and on
#      KVM with every virtio device, each at work: the network card on
#      the copy backend (pings both sizes), a disk (1 MiB written and read
#      back, compared here), the rng (4 KiB, then its driver unbound and
#      bound again: a reset and a second probe), the console (hvc0 out, and
#      a line in); strict mode must find nothing: "no violations", no
#      violation line, the guest's own exit status 0;
#   3. a driver that breaks one rule (mkminikernel badkick: the transmit
#      queue notified before DRIVER_OK) on both hypervisors: exactly that
#      statement reported, once, for net queue 1, at a RIP inside the
#      mini-kernel, the summary, exit status 4; with =fatal (and -v) the
#      guest is stopped there; without --virtio-strict the same kernel exits with
#      its own status and nothing is said.
# Run by /init with busybox ash; TAP on stdout.

trap '' PIPE
. /suites/lib.sh
T=/tmp/strict
HOST=192.168.1.1
mkdir -p $T

modprobe tun 2>$T/modprobe.err
modprobe kvm_amd 2>>$T/modprobe.err
insmod /lib/lguest/lg.ko 2>>$T/modprobe.err
check "tun, kvm_amd and lg.ko load" \
	sh -c "[ -c /dev/net/tun ] && [ -c /dev/kvm ] && [ -c /dev/lguest ]"
show $T/modprobe.err 5

# --- 1. bad input ----------------------------------------------------------------

expect_error strict-vring "lguest: --virtio-strict needs --net-backend=copy: the vring backend walks the rings in the kernel, where the launcher cannot judge them" \
	--virtio-strict --net-backend=vring 64m $KERNEL --tunnet=$HOST
expect_error strict-vhost "lguest: --virtio-strict needs --net-backend=copy: the vhost backend walks the rings in the kernel, where the launcher cannot judge them" \
	--net-backend=vhost --virtio-strict 64m $KERNEL --tunnet=$HOST
expect_error strict-mode "lguest: unknown --virtio-strict mode 'loud' (--virtio-strict or --virtio-strict=fatal)" \
	--virtio-strict=loud 64m $KERNEL
timeout 10 $LGUEST --help >$T/help.out 2>&1
check "--help documents --virtio-strict and exit status 4" \
	sh -c "grep -q -- '--virtio-strict\[=fatal\]' $T/help.out && grep -q '^  4    --virtio-strict' $T/help.out"

# --- 2. Linux 6.1's drivers at work ------------------------------------------------

# violations NAME: strict mode's violation lines in $T/NAME.err (not the
# summary's), into $T/NAME.violations for the checks to read.
violations() {
	grep '^lguest: virtio-strict: [a-z]*\( queue [0-9]*\)\{0,1\}: [0-9.]* [a-z0-9-]*: ' \
		$T/$1.err | tr -d '\r' >$T/$1.violations
}

strict_guest() {
	name=$1 hv=$2
	tok=$(rand_token)
	dd if=/dev/zero of=$T/$name.disk bs=1M count=4 2>/dev/null
	rm -f $T/$name.in $T/$name.status
	mkfifo $T/$name.in
	( timeout 400 $LGUEST --hv=$hv --virtio-strict --console=virtio --rng \
		--block=$T/$name.disk --tunnet=$HOST 64m $KERNEL --initrd=$INITRD \
		lguest.run=/test/guest-strict.sh strict.token=$tok strict.host=$HOST \
		<$T/$name.in >$T/$name.out 2>$T/$name.err
	  echo $? >$T/$name.status ) &
	exec 3>$T/$name.in
	wait_for_line "strict-test: hvc ready $tok" 300 $T/$name.out $T/$name.status ||
		exec 3>/dev/null
	echo "typed-$tok" >&3
	exec 3>&-
	wait
	status=$(cat $T/$name.status)
	sum=$(dd if=$T/$name.disk bs=65536 skip=16 count=16 2>/dev/null | md5sum | cut -d' ' -f1)
	SAY_AS=strict-test
	check "$name: the guest ran its work and exited 0 (status $status)" \
		sh -c "[ '$status' = 0 ] && grep -q '^strict-test: token $tok' $T/$name.out"
	check "$name: network on the copy backend, said once, the guest pings the host ($(probe $name ping))" \
		sh -c "grep -q '^lguest: virtio-strict: the network card uses the copy backend' $T/$name.err &&
		       grep -q '^lguest: network: tap .* copy backend' $T/$name.err &&
		       [ '$(probe $name ping)' = ok ]"
	check "$name: block: 1 MiB written in the guest is in the file ($(probe $name vda))" \
		sh -c "[ '$(probe $name vda)' = 'ok $sum' ]"
	check "$name: rng: 4096 bytes from the virtio rng ($(probe $name rng))" \
		sh -c "echo '$(probe $name rng)' | grep -q '^virtio_rng.* 4096$'"
	check "$name: rng: its driver unbound and bound again (a reset, a second probe) reads on ($(probe $name 'rng rebound'))" \
		sh -c "[ '$(probe $name 'rng rebound')' = 1024 ]"
	check "$name: console: hvc0 carries the guest's lines out and ours in" \
		grep -q "^strict-test: hvc-input typed-$tok" $T/$name.out
	violations $name
	judged=$(sed -n 's/^lguest: virtio-strict: no violations (33 statements on 4 devices; \([0-9]*\) chains judged.*/\1/p' $T/$name.err)
	check "$name: Linux 6.1's drivers break none of the 33 rules strict mode judges over ${judged:-no} chains ($(wc -l <$T/$name.violations) violation lines)" \
		sh -c "[ ! -s $T/$name.violations ] && [ '${judged:-0}' -gt 100 ]"
	show $T/$name.violations 20
	echo "# $name: $(grep "^lguest: virtio-strict: [0-9n][o0-9]* violations" $T/$name.err | tr -d "\r")"
	[ "$status" = 0 ] || { show_tail $T/$name.out 20; show_tail $T/$name.err 20; }
}

strict_guest strict-lg lguest
strict_guest strict-kvm kvm

# --- 3. a driver that breaks a rule ----------------------------------------------

mkminikernel badkick 0x2d $T/mini-badkick
for hv in lguest kvm; do
	for mode in report fatal off; do
		name=badkick-$hv-$mode
		opt=--virtio-strict
		# -v too: its device counters at exit must not wait for the
		# lock of the device whose handler is ending the launcher.
		[ $mode = fatal ] && opt="--virtio-strict=fatal -v"
		[ $mode = off ] && opt=--net-backend=copy
		# shellcheck disable=SC2086
		timeout 60 $LGUEST --hv=$hv $opt 64m $T/mini-badkick --tunnet=$HOST \
			</dev/null >$T/$name.out 2>$T/$name.err
		status=$?
		violations $name
		line=$(head -1 $T/$name.violations)
		echo "# $name: $line"
		if [ $mode = off ]; then
			check "$name: without --virtio-strict the kernel exits with its own status (45, got $status) and nothing is judged" \
				sh -c "[ $status = 45 ] && ! grep -q virtio-strict $T/$name.err"
			continue
		fi
		check "$name: one line: net queue 1, 3.1.1 notify-before-driver-ok, at a RIP in the mini-kernel (16 MiB up)" \
			sh -c "[ \"\$(wc -l <$T/$name.violations)\" = 1 ] &&
			       echo '$line' | grep -q '^lguest: virtio-strict: net queue 1: 3.1.1 notify-before-driver-ok: QueueNotify 1 before DRIVER_OK (Status 0xb) (rip 0x100[0-9a-f]\{4\})$'"
		check "$name: exit status 4 (got $status) and the summary counts it" \
			sh -c "[ $status = 4 ] &&
			       grep -q '^lguest: virtio-strict: 1 violations' $T/$name.err &&
			       grep -q '^lguest: virtio-strict:   net queue 1: 3.1.1 notify-before-driver-ok: 1$' $T/$name.err"
		if [ $mode = fatal ]; then
			check "$name: =fatal stops the guest at the violation (no exit-port status, no DRIVER_OK run)" \
				grep -q 'stopping the guest at the first violation' $T/$name.err
		else
			check "$name: report mode lets the driver go on: the guest's own status 45 is in the summary" \
				grep -q "the guest's own exit status was 45" $T/$name.err
		fi
		[ $status = 4 ] || { show $T/$name.out 10; show $T/$name.err 10; }
	done
done
