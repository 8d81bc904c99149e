#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make run`: boot the test host VM with our modules loaded, boot the lguest
# guest on lg.ko inside it with this terminal as its console, and when the
# guest ends, give an interactive busybox shell in the test host VM.
#
#   tests/vm/run-shell.sh KVER INITRAMFS
#
# VM_MODE=shell skips the guest and goes straight to the test host's shell.
# Environment: VM_MEMORY (default 1G), VM_SMP (default: host CPUs),
# VM_APPEND (extra kernel arguments), VM_QEMU and VM_ACCEL (as for the
# suites: the patched QEMU with a TCG thread per CPU unless told
# otherwise, see
# tests/vm/qemu/choose.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."

kver=${1:?usage: $0 KVER INITRAMFS}
initramfs=${2:?usage: $0 KVER INITRAMFS}
kernel=/boot/vmlinuz-$kver
if [[ ! -r $kernel ]]; then
	echo "run: no kernel $kernel (see 'make deps')" >&2
	exit 1
fi

echo "Booting the lguest test host VM (kernel $kver, QEMU TCG, about 10 s),"
echo "then the lguest guest inside it.  Press Ctrl-A then X to stop QEMU at"
echo "any time."

. tests/vm/qemu/choose.sh
vm_qemu_choose || { echo "run: no QEMU for the test VM (VM_QEMU=qemu-system-x86_64 runs Debian's own)" >&2; exit 1; }
vm_qemu_note
exec "$vm_qemu" -M q35 -accel "$vm_accel" \
	-cpu EPYC -m "${VM_MEMORY:-1G}" \
	-smp "${VM_SMP:-$(nproc)}" -nographic -nic none -no-reboot \
	-kernel "$kernel" -initrd "$initramfs" \
	-append "console=ttyS0 panic=-1 quiet no_timer_check lguest.mode=${VM_MODE:-demo} lguest.kver=$kver ${VM_APPEND:-}"
