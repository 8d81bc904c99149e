#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make run`: boot the test host VM with vringfd.ko and vring_echo.ko loaded
# and an interactive busybox shell on its serial console, which is this
# terminal.
#
#   tests/vm/run-shell.sh KVER INITRAMFS
#
# Environment: VM_MEMORY (default 1G), VM_SMP (default: host CPUs),
# VM_APPEND (extra kernel arguments).
set -euo pipefail

kver=${1:?usage: $0 KVER INITRAMFS}
initramfs=${2:?usage: $0 KVER INITRAMFS}
kernel=/boot/vmlinuz-$kver
if [[ ! -r $kernel ]]; then
	echo "run: no kernel $kernel (see 'make deps')" >&2
	exit 1
fi

echo "Booting the lguest test host VM (kernel $kver, QEMU TCG, about 10 s)."
echo "The shell that follows runs inside the VM.  Quit with 'exit', or press"
echo "Ctrl-A then X to stop QEMU at any time."

exec qemu-system-x86_64 -M q35 -cpu EPYC -m "${VM_MEMORY:-1G}" \
	-smp "${VM_SMP:-$(nproc)}" -nographic -nic none -no-reboot \
	-kernel "$kernel" -initrd "$initramfs" \
	-append "console=ttyS0 panic=-1 quiet lguest.mode=shell lguest.kver=$kver ${VM_APPEND:-}"
