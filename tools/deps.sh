#!/usr/bin/env bash
# Install everything the project needs from Debian bookworm and
# bookworm-backports.  Idempotent: when all is present it only checks.
#
# KVER selects the test kernel (default: the newest 6.12.x+deb12-amd64
# whose image and headers are both available).  A bookworm kernel
# (+deb12) is installed on the host; a trixie one (+deb13: trixie's 6.12,
# trixie-backports' 7.x) has its headers installed in the trixie build
# root (tools/buildroot.sh, under $BUILD/roots) and its image and modules
# unpacked under $BUILD/kernels/KVER for the test VM.  It also builds,
# once per machine, the patched bpftool (tools/bpftool/build.sh).
#
# usage: deps.sh            everything, the tests' needs included (make deps)
#        deps.sh --build    only what make and make install need, with the
#                           running kernel's headers (make build-deps): no
#                           QEMU, test kernel or patched bpftool
#        deps.sh --build --print   the packages --build wants, one a line
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BUILD=$(realpath -m "${BUILD:-$here/../build}")

BACKPORTS_LIST=/etc/apt/sources.list.d/vfio-pci-bpf-backports.sources
# What make and make install need; the versions that matter come from backports.
BUILD_PKGS=(make gcc clang-19 libelf-dev zlib1g-dev pkg-config pahole kmod libjson-c-dev
	libudev-dev libinih-dev libsystemd-dev libmicrohttpd-dev)
BUILD_BACKPORTS=(libbpf-dev)
# What the tests need besides (the test kernel is found below).  bpftool is
# not among them: the project builds its own (tools/bpftool).
TEST_PKGS=(busybox-static cpio xz-utils pciutils libcmocka-dev python3-prometheus-client
	curl dkms socat python3 util-linux systemd debootstrap)
TEST_BACKPORTS=(qemu-system-x86)
BASE_PKGS=("${BUILD_PKGS[@]}" "${TEST_PKGS[@]}")
BACKPORT_PKGS=("${TEST_BACKPORTS[@]}" "${BUILD_BACKPORTS[@]}")

log() { printf 'deps: %s\n' "$*" >&2; }

run_apt() { DEBIAN_FRONTEND=noninteractive apt-get "$@"; }

# apt_install ARGS...: dpkg's hundreds of progress lines would bury the
# test log, so they are kept only when the install fails.
apt_install() {
	local out rc=0
	out=$(mktemp)
	# Downloaded packages are not kept: CI machines can be short of disk.
	run_apt install -y -qq --no-install-recommends \
		-o APT::Keep-Downloaded-Packages=false "$@" >"$out" 2>&1 || rc=$?
	[ "$rc" = 0 ] || tail -n 40 "$out" >&2
	rm -f "$out"
	return "$rc"
}

. "$here/apt-sources.sh"

enable_backports() {
	if grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		return 0
	fi
	local uri
	uri=$(archive_uri bookworm | head -n1)
	if [ -z "$uri" ]; then
		log "cannot find the bookworm archive URI in the apt sources"
		exit 1
	fi
	log "enabling bookworm-backports from the configured archive"
	cat >"$BACKPORTS_LIST" <<SRC
Types: deb
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	APT_UPDATED=0
}

APT_UPDATED=0
lists_fresh() {
	[ -n "$(find /var/lib/apt/lists -maxdepth 1 -name '*bookworm-backports*Packages*' -mtime -1 2>/dev/null)" ]
}
apt_update_once() {
	if [ "$APT_UPDATED" = 0 ]; then
		run_apt update -qq >&2
		APT_UPDATED=1
	fi
}

# Newest 6.12.x+deb12-amd64 for which both image and headers exist.
# Every 6.12.x+deb12-amd64 the archive has headers for, newest last.
archive_kvers() {
	apt-cache search --names-only '^linux-headers-6\.12\.[0-9]+\+deb12-amd64$' |
		awk '{sub(/^linux-headers-/, "", $1); print $1}' | sort -V
}

newest_kver() {
	archive_kvers | tac |
		while read -r v; do
			if apt-cache show "linux-image-$v-unsigned" >/dev/null 2>&1 ||
				apt-cache show "linux-image-$v" >/dev/null 2>&1; then
				echo "$v"
				break
			fi
		done
}

# Package names of the kernel image: the signed meta name when it exists,
# else the unsigned one.
image_pkg() {
	local v=$1
	if apt-cache show "linux-image-$v" >/dev/null 2>&1; then
		echo "linux-image-$v"
	else
		echo "linux-image-$v-unsigned"
	fi
}

missing_pkgs() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			echo "$p"
	done
}

version_at_least() { dpkg --compare-versions "$1" ge "$2"; }

installed_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true; }

libbpf_current() {
	local l
	l=$(installed_version libbpf-dev)
	[ -n "$l" ] && version_at_least "$l" 1:1.4
}

backports_current() {
	local q
	q=$(installed_version qemu-system-x86)
	[ -n "$q" ] && version_at_least "$q" 1:10 && libbpf_current
}

# The packages make and make install need from bookworm, the running
# kernel's headers among them when the archive has them.
build_pkgs() {
	local headers
	headers=linux-headers-$(uname -r)
	printf '%s\n' "${BUILD_PKGS[@]}"
	if [ -e "/lib/modules/$(uname -r)/build" ] || apt-cache show "$headers" >/dev/null 2>&1; then
		echo "$headers"
	fi
}

# deps.sh --build [--print]: a production host's needs, and nothing for the tests.
build_main() {
	local missing
	if [ "${1:-}" = --print ]; then
		build_pkgs
		printf '%s\n' "${BUILD_BACKPORTS[@]}"
		return
	fi
	enable_backports
	lists_fresh || apt_update_once
	if [ ! -e "/lib/modules/$(uname -r)/build" ] &&
		! apt-cache show "linux-headers-$(uname -r)" >/dev/null 2>&1; then
		log "no linux-headers-$(uname -r) in the archive: build the module with KDIR=<its build tree>"
	fi
	# shellcheck disable=SC2046
	missing=$(missing_pkgs $(build_pkgs))
	if [ -n "${missing// /}" ] || ! libbpf_current; then
		apt_update_once
		log "installing:$(echo $missing | tr '\n' ' ') ${BUILD_BACKPORTS[*]}"
		# shellcheck disable=SC2086
		[ -z "${missing// /}" ] || apt_install $missing
		apt_install -t bookworm-backports "${BUILD_BACKPORTS[@]}"
	fi
	libbpf_current || { log "libbpf-dev >= 1.4 is required"; exit 1; }
	log "make and make install have what they need"
}

# trixie_kernel KVER: headers in the trixie build root, image and modules
# under $BUILD/kernels/KVER.
trixie_kernel() {
	local kver=$1 root=$BUILD/roots/trixie
	"$here/buildroot.sh" "$root" install
	if ! "$here/buildroot.sh" "$root" run apt-cache show "linux-headers-$kver" >/dev/null 2>&1; then
		log "KVER=$kver: no linux-headers-$kver in trixie or trixie-backports; available:"
		"$here/buildroot.sh" "$root" run apt-cache search --names-only \
			'^linux-headers-[0-9.]+\+deb13-amd64$' | awk '{print "  " substr($1, 15)}' | sort -V >&2
		exit 1
	fi
	"$here/buildroot.sh" "$root" install "linux-headers-$kver"
	[ -e "$BUILD/kernels/$kver/vmlinuz" ] || unpack_kernel "$kver" "$root"
}

# unpack_kernel KVER ROOT: the image and modules of KVER, laid out as a
# host has them (vmlinuz, lib/modules/KVER with its modules.dep).
unpack_kernel() {
	local kver=$1 root=$2 dir=$BUILD/kernels/$1 work mods deb
	log "unpacking the $kver image and modules into $dir"
	mkdir -p "$BUILD/kernels"
	work=$(mktemp -d "$BUILD/kernels/.unpack.XXXXXX")
	"$here/buildroot.sh" "$root" download "$work/debs" "linux-image-$kver"
	# 7.x splits the image package: the kernel, its modules and their
	# lists come in linux-binary-, linux-modules- and linux-base-KVER.
	if dpkg-deb -f "$work"/debs/linux-image-*.deb Depends | grep -q "linux-binary-$kver"; then
		"$here/buildroot.sh" "$root" download "$work/debs" "linux-binary-$kver" \
			"linux-modules-$kver" "linux-base-$kver"
	fi
	for deb in "$work"/debs/*.deb; do
		dpkg-deb -x "$deb" "$work/pkg"
	done
	mkdir -p "$work/out/lib/modules/$kver"
	for mods in "$work"/pkg/usr/lib/modules/"$kver" "$work"/pkg/lib/modules/"$kver"; do
		[ -d "$mods" ] && cp -a "$mods"/. "$work/out/lib/modules/$kver/"
	done
	if [ -e "$work/out/lib/modules/$kver/vmlinuz" ]; then
		mv "$work/out/lib/modules/$kver/vmlinuz" "$work/out/vmlinuz"
	else
		mv "$work/pkg/boot/vmlinuz-$kver" "$work/out/vmlinuz"
	fi
	depmod -b "$work/out" "$kver"
	rm -rf "$dir"
	mv "$work/out" "$dir"
	rm -rf "$work"
}

# bookworm_kernel KVER: headers and image installed on the host.
bookworm_kernel() {
	local kver=$1
	if [ ! -e "/lib/modules/$kver/build" ] && ! apt-cache show "linux-headers-$kver" >/dev/null 2>&1; then
		apt_update_once
		if ! apt-cache show "linux-headers-$kver" >/dev/null 2>&1; then
			log "KVER=$kver: no linux-headers-$kver in the archive; available:"
			archive_kvers | sed 's/^/  /' >&2
			exit 1
		fi
	fi
	KERNEL_PKGS=$(missing_pkgs "linux-headers-$kver")
	if [ ! -e "/boot/vmlinuz-$kver" ]; then
		KERNEL_PKGS="$KERNEL_PKGS $(image_pkg "$kver")"
	fi
}

main() {
	if [ "${1:-}" = --build ]; then
		shift
		build_main "$@"
		return
	fi
	enable_backports
	local kver=${KVER:-}
	if [ -z "$kver" ]; then
		kver=$(ls -d /lib/modules/6.12.*+deb12-amd64/build 2>/dev/null |
			sed 's#/lib/modules/##; s#/build##' | sort -V | tail -n1 || true)
		# The archive's newest, from lists refreshed at most a day ago.
		lists_fresh || apt_update_once
		local newest
		newest=$(newest_kver)
		[ -n "$newest" ] && kver=$newest
	fi
	if [ -z "$kver" ]; then
		log "no linux-headers-6.12.x+deb12-amd64 found in the archive"
		exit 1
	fi

	KERNEL_PKGS=
	case $kver in
	*+deb13-*) ;;
	*) bookworm_kernel "$kver" ;;
	esac
	local missing
	missing="$(missing_pkgs "${BASE_PKGS[@]}") $KERNEL_PKGS"
	if [ -n "${missing// /}" ] || ! backports_current; then
		apt_update_once
		log "installing:$(echo $missing | tr '\n' ' ')"
		# shellcheck disable=SC2086
		[ -z "${missing// /}" ] || apt_install $missing
		apt_install -t bookworm-backports "${BACKPORT_PKGS[@]}"
	fi
	if ! backports_current; then
		log "qemu-system-x86 >= 10 and libbpf-dev >= 1.4 are required"
		exit 1
	fi
	case $kver in
	*+deb13-*) trixie_kernel "$kver" ;;
	esac
	"$here/bpftool/build.sh" >&2
	echo "$kver"
}

main "$@"
