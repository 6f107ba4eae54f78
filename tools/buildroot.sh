#!/usr/bin/env bash
# A Debian build root for kernels whose headers need a newer userspace
# than Debian 12's: trixie's kernels (6.12 and the 7.x of trixie-backports),
# whose kbuild programs need glibc >= 2.38.  Made once with debootstrap
# (minbase) from the archive the host's apt already uses, kept under
# $BUILD/roots/CODENAME, and updated in place.  Commands run in it through
# chroot in a mount namespace of their own, with the checkout and the
# build folder at the same paths as on the host: no mount outlives the
# command, so 'make clean' never deletes through one.
#
# usage: buildroot.sh ROOT install PKG...        make ROOT if needed, install PKGs
#        buildroot.sh ROOT download DIR PKG...   fetch PKGs' .debs into DIR
#        buildroot.sh ROOT run COMMAND...        run COMMAND in ROOT, in the
#                                                current folder
# ROOT's last component is the Debian codename (e.g. build/roots/trixie).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
. "$here/apt-sources.sh"

[ $# -ge 2 ] || { sed -n '/^# usage:/,/^# ROOT/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
root=$(realpath -m "$1")
action=$2
shift 2
codename=$(basename "$root")
# What building an out-of-tree module with BTF, and DKMS, need.
BASE_PKGS=(make gcc libc6-dev pahole kmod xz-utils zstd dkms)

log() { printf 'buildroot: %s\n' "$*" >&2; }

# in_root COMMAND...: COMMAND in the root, with /proc (objtool reads it),
# the checkout and the build folder (and the current folder) bind-mounted.
in_root() {
	local build binds=() d
	build=$(realpath -m "${BUILD:-$repo/build}")
	for d in "$repo" "$build" "$PWD"; do
		[ -d "$d" ] && binds+=("$d")
	done
	unshare --mount --propagation private -- bash -euc '
		root=$1 cwd=$2 n=$3
		shift 3
		mount -t proc proc "$root/proc"
		for d in "${@:1:$n}"; do
			mkdir -p "$root$d"
			mount --bind "$d" "$root$d"
		done
		shift "$n"
		exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
			LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive sh -c "cd \"\$0\" && exec \"\$@\"" "$cwd" "$@"
	' bash "$root" "$PWD" "${#binds[@]}" "${binds[@]}" "$@"
}

make_root() {
	[ -x "$root/usr/bin/apt-get" ] && [ -e "$root/.vpb-ready" ] && return 0
	command -v debootstrap >/dev/null || { log "debootstrap is missing (make deps installs it)"; exit 1; }
	local uri
	uri=$(archive_uri bookworm | head -n1)
	[ -n "$uri" ] || { log "no bookworm archive URI in the host's apt sources"; exit 1; }
	log "making a $codename build root in $root (debootstrap, about a minute)"
	if findmnt -rn -o TARGET | grep -q "^$root/"; then
		log "something is mounted under $root: not removing it"
		exit 1
	fi
	rm -rf "$root"
	mkdir -p "$(dirname "$root")"
	debootstrap --variant=minbase "$codename" "$root" "$uri" >"$root.log" 2>&1 ||
		{ tail -n 20 "$root.log" >&2; exit 1; }
	rm -f "$root/etc/apt/sources.list"
	debian_sources "$codename" updates backports >"$root/etc/apt/sources.list.d/debian.sources"
	in_root apt-get update -qq
	touch "$root/.vpb-ready"
}

# install PKG...: installs what is missing; refreshes the package lists
# first when one is not known, or they are older than a day.
install_pkgs() {
	local missing=() p out
	for p in "${BASE_PKGS[@]}" "$@"; do
		in_root dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} = 0 ] && return 0
	if [ -n "$(find "$root/var/lib/apt/lists" -maxdepth 1 -name '*Packages*' -mtime +0)" ]; then
		in_root apt-get update -qq
	fi
	log "installing in $codename: ${missing[*]}"
	out=$(mktemp)
	if ! in_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$out" 2>&1; then
		tail -n 30 "$out" >&2
		rm -f "$out"
		exit 1
	fi
	rm -f "$out"
}

case $action in
install)
	make_root
	install_pkgs "$@"
	;;
download)
	dir=$(realpath -m "$1")
	shift
	mkdir -p "$dir"
	# apt's sandbox user may not write the folder; root downloads it.
	(cd "$dir" && in_root apt-get download -q=2 -o APT::Sandbox::User=root "$@")
	;;
run)
	[ -e "$root/.vpb-ready" ] || { log "no build root at $root (make deps KVER=...)"; exit 1; }
	in_root "$@"
	;;
*)
	log "unknown action $action"
	exit 2
	;;
esac
