#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the test host VM's initramfs (cpio newc, gzip):
#
#   /bin/busybox + one symlink per applet   the whole userland
#   /init                                   tests/vm/init
#   /lib/lguest/*.ko                        our modules, built for <kver>
#   /lib/modules/<kver>/...                 Debian modules asked for with
#                                           --kmod (e.g. tun), with their
#                                           dependencies, for modprobe
#   /bin/<prog>                             static test programs (VM_PROGS)
#   /suites/<name>.sh                       the VM suites' scripts and the
#                                           libraries they source (--suite,
#                                           the Makefile's VM_SCRIPTS)
#
# usage: mkinitramfs.sh --out FILE --kver KVER --kmod-dir DIR
#                       [--kmod NAME]... [--suite FILE]... [--allow-missing]
#                       [PROG]...
#
# --kmod-dir is a build/kmod-<kver> tree; every *.ko in it is packed.
# --allow-missing packs whatever exists when our modules or programs
# failed to build, so the suites that do not need them still run.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out= kver= kmod_dir= allow_missing=0
debian_kmods=()
suites=()
progs=()

while [[ $# -gt 0 ]]; do
	case "$1" in
	--out) out=$2; shift 2 ;;
	--kver) kver=$2; shift 2 ;;
	--kmod-dir) kmod_dir=$2; shift 2 ;;
	--kmod) debian_kmods+=("$2"); shift 2 ;;
	--suite) suites+=("$2"); shift 2 ;;
	--allow-missing) allow_missing=1; shift ;;
	-*) echo "mkinitramfs: unknown option $1" >&2; exit 2 ;;
	*) progs+=("$1"); shift ;;
	esac
done
if [[ -z $out || -z $kver || -z $kmod_dir ]]; then
	echo "usage: $0 --out FILE --kver KVER --kmod-dir DIR [--kmod NAME]... [--suite FILE]... [--allow-missing] [PROG]..." >&2
	exit 2
fi

missing() {
	if [[ $allow_missing -eq 1 ]]; then
		echo "mkinitramfs: warning: $1 (continuing without it)" >&2
	else
		echo "mkinitramfs: $1" >&2
		exit 1
	fi
}

root=${out%.cpio.gz}.d
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,root,etc}
mkdir -p "$root"/lib/lguest "$root"/suites

# busybox must be static: the initramfs has no libc.
busybox=$(command -v busybox || true)
if [[ -z $busybox ]] || ldd "$busybox" >/dev/null 2>&1; then
	echo "mkinitramfs: need a static busybox (apt-get install busybox-static)" >&2
	exit 1
fi
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list-full); do
	[[ -e $root/$applet ]] || ln -s /bin/busybox "$root/$applet"
done

install -m 0755 "$here/init" "$root/init"
echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
echo "root:x:0:" >"$root/etc/group"

# Our modules, under their plain names: /lib/lguest/vringfd.ko, ...
while IFS= read -r -d '' ko; do
	cp "$ko" "$root/lib/lguest/"
done < <(find "$kmod_dir" -name '*.ko' -print0 2>/dev/null)
for module in vringfd vring_echo; do
	[[ -f $root/lib/lguest/$module.ko ]] ||
		missing "no $module.ko in $kmod_dir (did 'make modules' fail?)"
done

# Debian's own modules, with what they depend on, uncompressed (busybox
# cannot read .ko.xz), then a modules.dep so `modprobe tun` works.
if [[ ${#debian_kmods[@]} -gt 0 ]]; then
	moddir=/lib/modules/$kver
	for name in "${debian_kmods[@]}"; do
		deps=$(modprobe -S "$kver" --show-depends "$name") ||
			{ missing "Debian module $name not found for $kver"; continue; }
		while read -r verb path _; do
			[[ $verb == insmod ]] || continue
			rel=${path#"$moddir"/}
			dest=$root$moddir/${rel%.xz}
			dest=${dest%.zst}
			mkdir -p "$(dirname "$dest")"
			case "$path" in
			*.xz) xz -dc "$path" >"$dest" ;;
			*.zst) zstd -qdc "$path" >"$dest" ;;
			*) cp "$path" "$dest" ;;
			esac
		done <<<"$deps"
	done
	for f in modules.builtin modules.builtin.modinfo modules.order; do
		[[ -f $moddir/$f ]] && cp "$moddir/$f" "$root$moddir/"
	done
	depmod -b "$root" "$kver"
fi

for prog in "${progs[@]}"; do
	if [[ -f $prog ]]; then
		install -m 0755 "$prog" "$root/bin/"
	else
		missing "test program $prog was not built"
	fi
done

# Suites live next to the programs they run, all over tests/; in the VM
# they are /suites/<name>.sh, so two with one name would be one too many.
for suite in "${suites[@]}"; do
	name=$(basename "$suite")
	if [[ -e $root/suites/$name ]]; then
		echo "mkinitramfs: two VM suite scripts named $name (one is $suite)" >&2
		exit 1
	fi
	install -m 0644 "$suite" "$root/suites/$name"
done

(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --quiet -R 0:0) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
echo "mkinitramfs: $out ($(du -h "$out" | cut -f1), kernel $kver)"
