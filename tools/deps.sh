#!/usr/bin/env bash
# Install everything the project needs from Debian bookworm and
# bookworm-backports.  Idempotent: when all is present it only checks.
#
# KVER selects the test kernel (default: the newest 6.12.x+deb12-amd64
# whose image and headers are both available).  It also builds, once per
# machine, the patched bpftool (tools/bpftool/build.sh).
set -euo pipefail

BACKPORTS_LIST=/etc/apt/sources.list.d/vfio-pci-bpf-backports.sources
# Host tools and libraries; the versions that matter come from backports.
BASE_PKGS=(make gcc clang-19 libelf-dev zlib1g-dev pkg-config pahole
	busybox-static cpio xz-utils kmod pciutils libcmocka-dev libjson-c-dev
	libudev-dev libinih-dev libsystemd-dev libmicrohttpd-dev python3-prometheus-client
	curl dkms socat python3 util-linux systemd)
# bpftool is not among them: the project builds its own (tools/bpftool).
BACKPORT_PKGS=(qemu-system-x86 libbpf-dev)

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

# The archive URI already configured for bookworm, reused for backports so
# that no host name is written down here.
archive_uri() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -e "$f" ] || continue
		awk '/^URIs:/{u=$2} /^Suites:/{ if ($0 ~ /bookworm( |$)/) {print u; exit} }' "$f"
	done | head -n1
	if [ -f /etc/apt/sources.list ]; then
		awk '$1=="deb" && $3=="bookworm" {print $2; exit}' /etc/apt/sources.list
	fi
}

enable_backports() {
	if grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		return 0
	fi
	local uri
	uri=$(archive_uri | head -n1)
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

backports_current() {
	local q l
	q=$(installed_version qemu-system-x86)
	l=$(installed_version libbpf-dev)
	[ -n "$q" ] && version_at_least "$q" 1:10 &&
		[ -n "$l" ] && version_at_least "$l" 1:1.4
}

main() {
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

	if [ ! -e "/lib/modules/$kver/build" ] && ! apt-cache show "linux-headers-$kver" >/dev/null 2>&1; then
		apt_update_once
		if ! apt-cache show "linux-headers-$kver" >/dev/null 2>&1; then
			log "KVER=$kver: no linux-headers-$kver in the archive; available:"
			archive_kvers | sed 's/^/  /' >&2
			exit 1
		fi
	fi
	local want=("${BASE_PKGS[@]}" "linux-headers-$kver")
	local missing
	missing=$(missing_pkgs "${want[@]}")
	if [ ! -e "/boot/vmlinuz-$kver" ]; then
		missing="$missing $(image_pkg "$kver")"
	fi
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
	"$(dirname "$0")/bpftool/build.sh" >&2
	echo "$kver"
}

main "$@"
