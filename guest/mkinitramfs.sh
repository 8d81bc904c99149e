#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the lguest guest's initramfs (cpio newc, gzip) from busybox-static:
#
#   /bin/busybox + one symlink per applet   the whole userland
#   /init                                   guest/initramfs/init
#   /sbin/lguest-poweroff -> /init          ends the guest (see init)
#   /dev/console                            the kernel opens it for init
#   /etc/passwd, /etc/group                 root only
#   DEST for every --add SRC:DEST           extra files (tests, tools)
#
#   usage: mkinitramfs.sh [--out FILE] [--add SRC:DEST]...
#
# The default output is $BUILD/guest/initramfs.cpio.gz (BUILD defaults to
# build).  Needs no root: ownership is set to 0:0 in the archive, and the
# one device node is written as a cpio entry by hand.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-build}
out=$BUILD/guest/initramfs.cpio.gz
adds=()

while [[ $# -gt 0 ]]; do
	case "$1" in
	--out) out=$2; shift 2 ;;
	--add) adds+=("$2"); shift 2 ;;
	*)
		echo "usage: $0 [--out FILE] [--add SRC:DEST]..." >&2
		exit 2
		;;
	esac
done

# busybox must be static: the initramfs has no libc.
busybox=$(command -v busybox || true)
if [[ -z $busybox ]] || ldd "$busybox" >/dev/null 2>&1; then
	echo "mkinitramfs: need a static busybox (apt-get install busybox-static)" >&2
	exit 1
fi

root=${out%.cpio.gz}.d
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,root,etc,disk}
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list-full); do
	[[ -e $root/$applet ]] || ln -s /bin/busybox "$root/$applet"
done
install -m 0755 "$here/initramfs/init" "$root/init"
ln -s /init "$root/sbin/lguest-poweroff"
echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
echo "root:x:0:" >"$root/etc/group"

for add in "${adds[@]}"; do
	src=${add%%:*} dest=${add#*:}
	if [[ $src == "$add" || $dest != /* || ! -f $src ]]; then
		echo "mkinitramfs: --add wants SRC:/DEST with an existing SRC, not '$add'" >&2
		exit 2
	fi
	mkdir -p "$root$(dirname "$dest")"
	cp -p "$src" "$root$dest"
done

# One newc entry: name, mode (octal), rdev major, rdev minor; no data.
cpio_entry() {
	local name=$1 mode=$2 major=$3 minor=$4 namesize header
	namesize=$((${#name} + 1))
	header=$(printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		0 $((8#$mode)) 0 0 1 0 0 0 0 "$major" "$minor" "$namesize" 0)
	printf '%s%s\0' "$header" "$name"
	# Header (110 bytes) and name are padded to a multiple of 4.
	head -c $(((4 - (110 + namesize) % 4) % 4)) /dev/zero
}

# /dev/console, in an archive of its own after the main one: the kernel
# unpacks concatenated archives in order, and an unprivileged build cannot
# mknod.  Without it, init would start with no stdin, stdout or stderr.
console_archive() {
	cpio_entry dev/console 020600 5 1
	cpio_entry TRAILER!!! 0 0 0
}

mkdir -p "$(dirname "$out")"
{
	(cd "$root" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc --quiet -R 0:0)
	console_archive
} | gzip -9 >"$out.tmp"
mv "$out.tmp" "$out"
echo "mkinitramfs: $out ($(stat -c %s "$out") bytes)"
