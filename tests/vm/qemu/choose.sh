# SPDX-License-Identifier: GPL-2.0
#
# Sourced by tests/vm/run-suite.sh and tests/vm/run-shell.sh: which QEMU
# runs the test host VM, and how.
#
#   vm_qemu_choose SUITE_ACCEL
#
# sets vm_qemu (the binary), vm_qemu_patched (1 for the project's build of
# Debian's QEMU with tests/vm/qemu/patches, 0 for any other) and vm_accel
# (the -accel argument).  VM_QEMU picks a binary (e.g.
# VM_QEMU=qemu-system-x86_64 for Debian's stock one); unset, it is the
# patched build, built first if this machine has none yet
# (tests/vm/qemu/build.sh).  The accelerator is VM_ACCEL if set, else
# SUITE_ACCEL (a suite's "# lguest-accel:" line) if given, else
# VM_DEFAULT_ACCEL if set (make check sets tcg,thread=single for VMs that
# run side by side), else TCG with a host thread per CPU on the patched
# QEMU and one host thread for all CPUs on any other.  Stock QEMU 7.2's
# TCG with a thread per CPU loses the first CPU's SVM state now and then
# (patch 0001) and runs code another CPU rewrote stale for good (0007);
# the patched QEMU has both fixed, so there a VM's two CPUs can run on
# two host cores.
#
# vm_qemu_note prints, for a QEMU that is not the patched one, a line
# naming the bugs it is known to have.

vm_qemu_choose() {
	local here
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	if [[ -n ${VM_QEMU:-} ]]; then
		vm_qemu=$VM_QEMU
		if ! command -v "$vm_qemu" >/dev/null; then
			echo "VM_QEMU=$vm_qemu: no such program" >&2
			return 1
		fi
	else
		vm_qemu=$("$here/build.sh") || return 1
	fi
	vm_qemu_patched=0
	# build.sh puts its key in the version string.
	if "$vm_qemu" --version 2>/dev/null | grep -q 'lguest test host'; then
		vm_qemu_patched=1
	fi
	if [[ -n ${VM_ACCEL:-} ]]; then
		vm_accel=$VM_ACCEL
	elif [[ -n ${1:-} ]]; then
		vm_accel=$1
	elif [[ -n ${VM_DEFAULT_ACCEL:-} ]]; then
		vm_accel=$VM_DEFAULT_ACCEL
	elif [[ $vm_qemu_patched == 1 ]]; then
		vm_accel=tcg,thread=multi
	else
		vm_accel=tcg,thread=single
	fi
}

vm_qemu_note() {
	[[ $vm_qemu_patched == 1 ]] && return
	echo "# note: $vm_qemu is not the test host's patched QEMU; QEMU 7.2's TCG has the SVM bugs of tests/vm/qemu/patches (interrupts injected with EVENTINJ delivered twice, an interrupted interrupt reported as an exception, DR7 switched behind QEMU's breakpoints, an abort when an exception frame hits a watchpoint, the STI shadow lost across an exit, RDTSCP run despite its intercept, and with a thread per CPU the first CPU's SVM state lost and code another CPU rewrote run stale for good): nested guests may hang or reset now and then, and the testhost suites fail on it"
}
