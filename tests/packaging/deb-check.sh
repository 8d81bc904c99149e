#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deb-check.sh VERSION KVER KVER612: the Debian packages as a user gets
# them.  `make deb` has built them; this installs both with dpkg -i (DKMS
# then builds the modules for every installed kernel), checks what they
# put where, boots the test VM with the modules DKMS built (not ours) and
# runs the smoke and launcher suites on them, then purges both packages
# and checks that everything they installed is gone.
#
# It changes this machine while it runs (root only): it refuses to touch
# an lguest package that was installed before it started, and purges its
# own on any exit.  TAP on stdout.
set -uo pipefail

version=$1 kver=$2 kver612=$3
BUILD=${BUILD:-build}
debs=("$BUILD/deb/lguest_${version}_amd64.deb" "$BUILD/deb/lguest-dkms_${version}_all.deb")
dir=$BUILD/deb/check
n=0
. tests/lib/tap.sh

finish() { echo "1..$n"; exit 0; }
installed() { dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null | grep -q '^ii'; }

if [[ $(id -u) -ne 0 ]]; then
	skip "packages install, work and go" "not root (dpkg -i needs it)"
	finish
fi
for p in lguest lguest-dkms; do
	if dpkg-query -W "$p" >/dev/null 2>&1; then
		skip "packages install, work and go" "$p is already on this machine; not touching it"
		finish
	fi
done
purge() { dpkg --purge lguest lguest-dkms >>"$dir/purge.log" 2>&1; }
trap purge EXIT
rm -rf "$dir"
mkdir -p "$dir"

check "make deb built lguest and lguest-dkms $version" test -f "${debs[0]}" -a -f "${debs[1]}" || finish
# quiet CMD...: CMD with its output in $dir/quiet.log (the TAP line stays).
quiet() { "$@" >"$dir/quiet.log" 2>&1; }

check "dpkg -i installs both (DKMS builds the modules)" \
	quiet dpkg -i "${debs[@]}" || { show_tail "$dir/quiet.log"; finish; }
dpkg -L lguest lguest-dkms | sort -u >"$dir/files"

for k in "$kver" "$kver612"; do
	check "dkms status: lguest/$version installed for $k" \
		sh -c "dkms status lguest/$version -k $k | grep -q ': installed'"
	for m in lg vringfd tun_vring; do
		ko=$(ls /lib/modules/"$k"/updates/dkms/$m.ko* 2>/dev/null | head -1)
		check "$k: DKMS's $m.ko is in updates/dkms, and depmod knows it" \
			sh -c "test -n '$ko' && modinfo -k $k -n $m | grep -q updates/dkms"
	done
	check "$k: lg.ko has the devname alias that makes /dev/lguest at boot" \
		sh -c "grep -q '^lg lguest c10:243' /lib/modules/$k/modules.devname"
done
check "lguest(1): man finds the page, and its options are --help's" \
	sh -c "man -w lguest | grep -q /usr/share/man/man1/lguest.1 &&
	       man lguest 2>/dev/null | grep -q -- '--net-backend=vring|copy|vhost'"
check "the udev rule gives /dev/lguest to the group lguest" \
	sh -c "grep -q 'GROUP=\"lguest\", MODE=\"0660\"' /lib/udev/rules.d/60-lguest.rules &&
	       getent group lguest >/dev/null"
check "/usr/bin/lguest is the launcher" sh -c "/usr/bin/lguest --help | grep -q '^Usage: lguest'"

# The test VM with DKMS's modules: lg.ko, vringfd.ko and tun_vring.ko as
# DKMS built them for the VM's kernel, and our test module beside them.
kmods=$BUILD/deb/kmod-$kver
rm -rf "$kmods"
mkdir -p "$kmods"
for m in lg vringfd tun_vring; do
	ko=$(ls /lib/modules/"$kver"/updates/dkms/$m.ko* 2>/dev/null | head -1)
	case "$ko" in
	*.xz) xz -dc "$ko" >"$kmods/$m.ko" ;;
	*.zst) zstd -qdc "$ko" >"$kmods/$m.ko" ;;
	?*) cp "$ko" "$kmods/$m.ko" ;;
	esac
done
cp "$BUILD/kmod-$kver/tests/vringfd/kmod/vring_echo.ko" "$kmods/"
if check "the test VM's initramfs packs DKMS's modules" \
	quiet make -s --no-print-directory deb-vm-initramfs; then
	initramfs=$BUILD/deb/initramfs-$kver.cpio.gz
	for suite in smoke launcher; do
		BUILD=$BUILD/deb INITRAMFS=$initramfs \
			tests/vm/run-suite.sh $suite "$kver" >"$dir/$suite.log" 2>&1
		passed=$(grep -cE '^ok( |$)' "$BUILD/deb/vm/$suite.result" 2>/dev/null)
		failed=$(grep -cE '^not ok( |$)' "$BUILD/deb/vm/$suite.result" 2>/dev/null)
		check "the $suite suite passes on DKMS's modules ($passed ok, $failed not ok)" \
			test "${passed:-0}" -gt 0 -a "${failed:-1}" -eq 0 ||
			grep -E '^not ok' "$BUILD/deb/vm/$suite.result" | sed 's/^/# /' | head
	done
else
	show_tail "$dir/quiet.log"
fi

trap - EXIT
check "dpkg --purge removes both" sh -c "dpkg --purge lguest lguest-dkms >'$dir/purge.log' 2>&1"
left=$(while read -r f; do [[ -f $f ]] && echo "$f"; done <"$dir/files")
check "no file the packages installed is left" test -z "$left" || echo "$left" | sed 's/^/#   /' | head
check "DKMS's modules are gone from both kernels" \
	sh -c "! ls /lib/modules/$kver/updates/dkms/lg.ko* /lib/modules/$kver612/updates/dkms/lg.ko* 2>/dev/null | grep -q ."
check "dkms no longer knows lguest" sh -c "! dkms status lguest | grep -q ."
check "the group lguest went with the purge" sh -c "! getent group lguest"
finish
