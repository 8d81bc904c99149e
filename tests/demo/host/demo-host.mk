# SPDX-License-Identifier: GPL-2.0
#
# demo-check: `make run`'s demo, driven through its console (a host test:
# it boots the test VM itself, as `make run` does).

.PHONY: demo-check
demo-check: vm-initramfs
	@BUILD=$(BUILD) tests/demo/host/demo-check.sh $(VM_KVER) $(INITRAMFS)

HOST_TESTS += demo-check
