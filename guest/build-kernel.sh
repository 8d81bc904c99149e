#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the guest kernel: tinyconfig + guest/config-fragment from Debian's
# linux-source-6.1, giving $BUILD/guest/bzImage.
#
#   usage: build-kernel.sh [--force]
#
# Environment: BUILD (default build), GUEST_LINUX_TARBALL (default
# /usr/src/linux-source-6.1.tar.xz), JOBS (default: nproc).
#
# A full build takes minutes, so everything is cached:
#   $BUILD/guest/linux-6.1/      the extracted source, kept between builds
#                                and re-extracted only for another tarball
#   $BUILD/guest/bzImage.key     what the bzImage was built from: the
#                                tarball's name, size, date and package
#                                version, and a hash of the fragment and of
#                                the scripts that turn it into a .config
# When the key has not changed, nothing is rebuilt.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-build}
tarball=${GUEST_LINUX_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
jobs=${JOBS:-$(nproc)}
fragment=$here/config-fragment
out=$BUILD/guest
src=$out/linux-6.1
log=$out/build-kernel.log
force=0
[[ ${1:-} == --force ]] && force=1

die() {
	echo "build-kernel: $*" >&2
	exit 1
}

[[ -f $tarball ]] || die "no kernel source at $tarball (apt-get install linux-source-6.1)"
for tool in flex bison bc make gcc; do
	command -v "$tool" >/dev/null || die "$tool is missing (apt-get install flex bison bc libelf-dev libssl-dev)"
done

# What identifies the tarball: its name, size and date, and the Debian
# package version when it came from one.
tarball_id() {
	local version
	# shellcheck disable=SC2016 # ${Version} is dpkg-query's, not ours
	version=$(dpkg -S "$tarball" 2>/dev/null | cut -d: -f1 | head -1 |
		xargs -r dpkg-query -W -f='${Version}' 2>/dev/null || true)
	stat -c '%n %s %Y' "$tarball"
	echo "package-version ${version:-none}"
}

build_key() {
	tarball_id
	sha256sum "$fragment" "$here/check-config.sh" "$0" | cut -d' ' -f1
}

mkdir -p "$out"
# One build at a time: several make runs may ask for the kernel at once
# (the tree is shared), and two kernel builds in one source tree trample
# each other's files.  The second waits, then finds the key up to date.
exec 9>"$out/.build-kernel.lock"
if ! flock -n 9; then
	echo "build-kernel: waiting for another build of $out/bzImage"
	flock 9
fi
key=$(build_key)
if [[ $force -eq 0 && -f $out/bzImage && -f $out/bzImage.key ]] &&
	[[ $key == "$(cat "$out/bzImage.key")" ]]; then
	echo "build-kernel: $out/bzImage is up to date"
	# Newer than its inputs again, so make stops asking.
	touch "$out/bzImage"
	exit 0
fi

# Extract once; the tree stays for incremental rebuilds after a change of
# the fragment.  The tarball's top folder is linux-source-6.1.
source_id=$(tarball_id)
if [[ ! -f $src/.lguest-source || $source_id != "$(cat "$src/.lguest-source")" ]]; then
	echo "build-kernel: extracting $tarball into $src"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xJf "$tarball" -C "$src.tmp" --strip-components=1
	echo "$source_id" >"$src.tmp/.lguest-source"
	mv "$src.tmp" "$src"
fi

kmake() {
	make -C "$src" ARCH=x86_64 KBUILD_BUILD_USER=lguest \
		KBUILD_BUILD_HOST=guest "$@"
}

echo "build-kernel: configuring (tinyconfig + $fragment)"
{
	kmake tinyconfig
	"$src/scripts/kconfig/merge_config.sh" -m -O "$src" "$src/.config" "$fragment"
	kmake olddefconfig
} >"$log" 2>&1 || { tail -n 30 "$log" >&2; die "configuring failed (log: $log)"; }
"$here/check-config.sh" "$fragment" "$src/.config"

echo "build-kernel: building bzImage with -j$jobs (log: $log)"
start=$(date +%s)
if ! kmake -j"$jobs" bzImage >>"$log" 2>&1; then
	tail -n 30 "$log" >&2
	die "kernel build failed (log: $log)"
fi
cp "$src/arch/x86/boot/bzImage" "$out/bzImage.tmp"
cp "$src/.config" "$out/config"
kmake -s kernelrelease >"$out/kernel.release"
mv "$out/bzImage.tmp" "$out/bzImage"
echo "$key" >"$out/bzImage.key"
echo "build-kernel: $out/bzImage ($(stat -c %s "$out/bzImage") bytes," \
	"$(cat "$out/kernel.release"), built in $(($(date +%s) - start)) s)"
