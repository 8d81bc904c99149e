// SPDX-License-Identifier: GPL-2.0
/*
 * A tiny KVM guest, to check that lg.ko and kvm_amd get along: the guest
 * (real mode) writes 0x42 to port 0x10 and halts.
 *
 *   test_kvm [command]
 *
 * With a command, the KVM guest is created and run up to its OUT, then the
 * command runs (e.g. an lguest guest) while the KVM VM exists, then the KVM
 * guest goes on to its HLT.  TAP on stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../vring/tap.h"

static const unsigned char code[] = {
	0xb0, 0x42,		/* mov $0x42, %al */
	0xe6, 0x10,		/* out %al, $0x10 */
	0xf4,			/* hlt */
};

int main(int argc, char **argv)
{
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	int kvm, vm, vcpu, size, status;
	unsigned char *mem;

	setvbuf(stdout, NULL, _IOLBF, 0);
	tap_init();
	kvm = open("/dev/kvm", O_RDWR);
	if (!TAP_OK_CALL(kvm, "open /dev/kvm"))
		return tap_finish();
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	memcpy(mem + 0x1000, code, sizeof(code));
	region = (struct kvm_userspace_memory_region){
		.slot = 0, .guest_phys_addr = 0, .memory_size = 0x10000,
		.userspace_addr = (unsigned long)mem,
	};
	if (!TAP_OK_CALL(vm < 0 ? vm : ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region),
			 "KVM: create a VM with 64 KiB"))
		return tap_finish();
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	ioctl(vcpu, KVM_GET_SREGS, &sregs);
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	ioctl(vcpu, KVM_SET_SREGS, &sregs);
	memset(&regs, 0, sizeof(regs));
	regs.rip = 0x1000;
	regs.rflags = 2;
	ioctl(vcpu, KVM_SET_REGS, &regs);

	if (ioctl(vcpu, KVM_RUN, 0) == 0 && run->exit_reason == KVM_EXIT_IO &&
	    run->io.port == 0x10 && run->io.direction == KVM_EXIT_IO_OUT)
		tap_ok(*((unsigned char *)run + run->io.data_offset) == 0x42,
		       "KVM guest: OUT 0x42 to port 0x10");
	else
		tap_ok(false, "KVM guest: OUT to port 0x10 (exit %u: %s)",
		       run->exit_reason, strerror(errno));
	if (argc > 1) {
		tap_diag("running '%s' while the KVM VM exists", argv[1]);
		status = system(argv[1]);
		tap_ok(status == 0, "'%s' succeeded with a KVM VM open", argv[1]);
	}
	tap_ok(ioctl(vcpu, KVM_RUN, 0) == 0 && run->exit_reason == KVM_EXIT_HLT,
	       "KVM guest: goes on to HLT (exit %u)", run->exit_reason);
	close(vcpu);
	close(vm);
	close(kvm);
	return tap_finish();
}
