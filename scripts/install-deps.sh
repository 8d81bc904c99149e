#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages lguest needs to build, test and run: one list, used by
# `make deps`, `make run` and .ci/run.
#
#   scripts/install-deps.sh            install what is missing (needs root)
#   scripts/install-deps.sh --check    only report; exit 1 if anything is missing
#
# As a normal user, the script prints the apt-get line to run and fails.
set -euo pipefail

PACKAGES=(
	# The test host VM: QEMU, a busybox for its initramfs, Debian's 6.1
	# kernel (the one the VM boots) and its headers for our modules.
	qemu-system-x86 busybox-static cpio xz-utils kmod rsync
	# The test VM runs QEMU built from Debian's source of that package
	# with the project's fixes (tests/vm/qemu/build.sh): what it takes.
	dpkg-dev patch meson ninja-build pkgconf libglib2.0-dev
	libpixman-1-dev libfdt-dev zlib1g-dev
	linux-image-amd64 linux-headers-amd64
	# The second kernel our modules must keep building against.
	linux-image-6.12-amd64 linux-headers-6.12-amd64
	# checkpatch.pl (a perl script) and, later, the minimal guest kernel
	# come from here.
	linux-source-6.1 perl flex bison bc libelf-dev libssl-dev
	# Userspace, unit tests and fuzzing (libclang-rt-14-dev holds
	# clang 14's libFuzzer runtime, libclang_rt.fuzzer-x86_64.a).
	gcc make libc6-dev clang libclang-rt-14-dev
	# Tools the test programs and benchmarks use (mkfs.ext4 makes the
	# guest test disk).
	strace iperf3 e2fsprogs
	# make htmldocs: Documentation and the journey as HTML.
	python3-sphinx
	# make bench and bench-doc: the tables as pictures (bench/plot.py).
	python3-matplotlib
	# ringcheck's third-party target: dpdk-testpmd with DPDK's vhost-user
	# back-end (the vhost PMD and the mempool driver it needs).
	dpdk-dev librte-net-vhost23 librte-mempool-ring23
	# make deb and make man: Debian packages with DKMS, the man page
	# from --help.
	debhelper dh-dkms dkms help2man fakeroot man-db
)

missing=()
for pkg in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
	[[ $status == ii* ]] || missing+=("$pkg")
done

if [[ ${#missing[@]} -eq 0 ]]; then
	echo "deps: all ${#PACKAGES[@]} packages are installed"
	exit 0
fi

install_cmd="apt-get install -y --no-install-recommends ${missing[*]}"

if [[ ${1:-} == --check ]]; then
	echo "deps: missing packages: ${missing[*]}" >&2
	exit 1
fi

if [[ $(id -u) -ne 0 ]]; then
	echo "deps: missing packages: ${missing[*]}" >&2
	echo "deps: install them as root with:" >&2
	echo "    sudo apt-get update && sudo $install_cmd" >&2
	exit 1
fi

echo "deps: installing ${missing[*]}"
# A fresh machine may never have fetched package lists.
if ! compgen -G '/var/lib/apt/lists/*_Packages' >/dev/null; then
	apt-get update
fi
DEBIAN_FRONTEND=noninteractive $install_cmd
