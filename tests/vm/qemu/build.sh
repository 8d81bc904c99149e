#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The test host VM's QEMU: Debian's own qemu source package, the version of
# the installed qemu-system-x86, with the fixes in patches/ (applied in the
# order of patches/series), built as the x86_64 system emulator only.
#
#   build.sh           build it unless the cache has it; print its path
#   build.sh --path    print the path it has or will have; build nothing
#   build.sh --check   exit 0 if the cache has it, 1 if not
#
# Why: every result of this project is measured inside QEMU's TCG, and
# Debian 12's QEMU 7.2 has SVM emulation bugs that break nested guests
# now and then (each patch says how; Documentation/lguest.rst, "The test
# host's QEMU").  The firmware (SeaBIOS, option ROMs) stays Debian's, from
# the qemu-system-x86 package's dependencies.
#
# The build takes about 200 s on two cores, so it is done once per
# machine and kept outside the clone, in $LGUEST_QEMU_CACHE (default
# /var/cache/lguest/qemu as root, else ~/.cache/lguest/qemu), under a key
# made of the source version, the patches and the configure options.  A
# clean clone on a machine that built it before builds nothing.  One build
# at a time: several make runs may ask for it at once.
#
# The source comes through apt with a private configuration (a deb-src
# sources list and package lists under the cache), so the machine's own
# apt sources are never changed.  Packages needed: see
# scripts/install-deps.sh (dpkg-dev, meson, ninja-build, libglib2.0-dev,
# libpixman-1-dev, libfdt-dev, zlib1g-dev).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
patches=$here/patches
jobs=${JOBS:-$(nproc)}
# Debian's python, meson and pkg-config, never a user's (pyenv, venvs).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

die() {
	echo "qemu-build: $*" >&2
	exit 1
}

if [[ -n ${LGUEST_QEMU_CACHE:-} ]]; then
	cache=$LGUEST_QEMU_CACHE
elif [[ $(id -u) -eq 0 ]]; then
	cache=/var/cache/lguest/qemu
else
	cache=${XDG_CACHE_HOME:-$HOME/.cache}/lguest/qemu
fi

# shellcheck disable=SC2016 # ${source:Version} is dpkg-query's
version=$(dpkg-query -W -f='${source:Version}' qemu-system-x86 2>/dev/null) ||
	die "qemu-system-x86 is not installed (see 'make deps')"
[[ -n $version ]] || die "cannot tell the source version of qemu-system-x86"

# Only what the test VM uses: TCG, the x86_64 system emulator, no
# optional libraries (no display, audio, network backends or tools).
# Debian's firmware paths, so that -kernel boots through Debian's SeaBIOS
# and option ROMs as the stock binary does.  The prefix is one no path
# shares: QEMU takes a data path under its own prefix as relative to where
# its binary is, and ours lives in the cache.
configure_args=(--target-list=x86_64-softmmu --meson=meson
	--without-default-features --enable-tcg --enable-fdt=system
	--disable-docs --disable-werror --disable-install-blobs
	--prefix=/opt/lguest-qemu
	--firmwarepath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu)

# The key: what went into the binary.  Patches are hashed in series order,
# each with its name.
key_input() {
	echo "source qemu $version"
	local p
	while read -r p; do
		[[ -z $p || $p == \#* ]] && continue
		[[ -f $patches/$p ]] || die "patches/series names $p, which does not exist"
		echo "patch $p $(sha256sum <"$patches/$p" | cut -d' ' -f1)"
	done <"$patches/series"
	echo "configure ${configure_args[*]}"
}
key_text=$(key_input)
key=$(echo "$key_text" | sha256sum | cut -c1-16)
out=$cache/$key
bin=$out/qemu-system-x86_64

case ${1:-} in
--path)
	echo "$bin"
	exit 0
	;;
--check)
	[[ -x $bin ]]
	exit
	;;
'') ;;
*)
	echo "usage: $0 [--path|--check]" >&2
	exit 2
	;;
esac

if [[ -x $bin ]]; then
	echo "$bin"
	exit 0
fi

mkdir -p "$cache" || die "cannot create the cache $cache"
exec 9>"$cache/.lock"
if ! flock -n 9; then
	echo "qemu-build: waiting for another build of the test VM's QEMU" >&2
	flock 9
fi
# Another run may have built it while we waited.
if [[ -x $bin ]]; then
	echo "$bin"
	exit 0
fi

for tool in dpkg-source meson ninja pkg-config patch; do
	command -v "$tool" >/dev/null ||
		die "$tool is missing (see 'make deps': dpkg-dev meson ninja-build pkgconf patch)"
done

work=$cache/work-$key
log=$cache/build-$key.log
rm -rf "$work"
mkdir -p "$work"
: >"$log"
echo "qemu-build: building QEMU $version with $(grep -cv '^#' "$patches/series") patches for the test VM (about 200 s with 2 CPUs and nothing else running; log: $log)" >&2
start=$SECONDS

# 1. The source package, through a private apt configuration.
apt_dir=$cache/apt
mkdir -p "$apt_dir/lists/partial"
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
mirror=${LGUEST_QEMU_MIRROR:-http://deb.debian.org/debian}
security=${LGUEST_QEMU_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
signed=
[[ -r $keyring ]] && signed=" [signed-by=$keyring]"
cat >"$apt_dir/sources.list" <<-EOF
	deb-src$signed $mirror $codename main
	deb-src$signed $mirror $codename-updates main
	deb-src$signed $security $codename-security main
EOF
apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list"
	-o "Dir::Etc::SourceParts=/dev/null"
	-o "Dir::State::Lists=$apt_dir/lists"
	-o "APT::Sandbox::User=$(id -un)")
apt-get "${apt_opts[@]}" update >>"$log" 2>&1 ||
	die "apt-get update of the private deb-src lists failed (see $log)"
(cd "$work" && apt-get "${apt_opts[@]}" source --download-only "qemu=$version") >>"$log" 2>&1 ||
	die "cannot download the source of qemu $version (see $log)"
dsc=$(ls "$work"/qemu_*.dsc)
# dpkg-source applies Debian's own patches (its stable point releases).
dpkg-source -x "$dsc" "$work/src" >>"$log" 2>&1 ||
	die "dpkg-source -x $dsc failed (see $log)"
rm -f "$work"/qemu_*

# 2. Our patches.
while read -r p; do
	[[ -z $p || $p == \#* ]] && continue
	echo "=== patch $p" >>"$log"
	patch -d "$work/src" -p1 --batch --forward <"$patches/$p" >>"$log" 2>&1 ||
		die "patch $p does not apply to qemu $version (see $log)"
done <"$patches/series"

# 3. Configure and build.  The version string names the key, so that a
# run can tell this QEMU from the stock one (tests/vm/qemu/choose.sh).
mkdir -p "$work/build"
(
	cd "$work/build"
	../src/configure "${configure_args[@]}" \
		--with-pkgversion="Debian $version, lguest test host $key"
) >>"$log" 2>&1 || die "configure failed (see $log)"
ninja -C "$work/build" -j "$jobs" qemu-system-x86_64 >>"$log" 2>&1 ||
	die "the build failed (see $log)"
"$work/build/qemu-system-x86_64" --version >>"$log" 2>&1 ||
	die "the new QEMU does not run (see $log)"

mkdir -p "$out.new"
cp "$work/build/qemu-system-x86_64" "$out.new/"
echo "$key_text" >"$out.new/key"
cp "$log" "$out.new/build.log"
rm -rf "$out"
mv "$out.new" "$out"
rm -rf "$work" "$log"
echo "qemu-build: done in $((SECONDS - start)) s: $bin" >&2
echo "$bin"
