#!/bin/bash
# DKMS builds and installs the module from what make install-dkms puts in
# /usr/src: against the headers the module was built with (on the host for
# a bookworm kernel, in the trixie build root for a trixie one), and
# against the newest 7.x headers of the trixie build root.  Everything
# happens in scratch trees (dkms --sourcetree/--dkmstree/--installtree).
. "$(dirname "$0")/lib.sh"
if ! command -v dkms >/dev/null; then
	echo "skip dkms: the dkms package is not installed (make deps installs it)"
	exit 0
fi
troot=$BUILD/roots/trixie
# The kernel the module was last built for (make check's KVER).
kver=$(modinfo -F vermagic "$BUILD/kernel/vfio_pci_bpf.ko" 2>/dev/null | cut -d' ' -f1)
version=$(make -s -C "$repo" --no-print-directory print-version)
# Scratch trees the build root sees too (it has the build folder mounted).
mkdir -p "$BUILD/tests"
scratch=$(mktemp -d "$BUILD/tests/dkms.XXXXXX")
trap 'rm -rf "$root" "$scratch"' EXIT

# dkms_check KVER [ROOT]: the whole round against KVER's headers, on the
# host or, with ROOT, in that build root.
dkms_check() {
	local kver=$1 broot=${2:-} in=() tree=$scratch/$1 ko where= in_sh=
	if [ -n "$broot" ]; then
		in=("$repo/tools/buildroot.sh" "$broot" run)
		in_sh=$(printf '%q ' "${in[@]}")
		where=" in the $(basename "$broot") build root"
	fi
	local trees=(--sourcetree "$tree/usr/src" --dkmstree "$tree/var/lib/dkms"
		--installtree "$tree/lib/modules")
	local kdir=/lib/modules/$kver/build
	mkdir -p "$tree/var/lib/dkms" "$tree/lib/modules/$kver"
	check "make install-dkms puts the sources in /usr/src/vfio-pci-bpf-$version ($kver)" \
		make -s -C "$repo" DESTDIR="$tree" install-dkms
	check "dkms add ($kver)" "${in[@]}" dkms add -m vfio-pci-bpf -v "$version" "${trees[@]}"
	check "dkms build against $kver's headers$where" "${in[@]}" dkms build -m vfio-pci-bpf \
		-v "$version" -k "$kver" --kernelsourcedir "$kdir" "${trees[@]}"
	check "dkms install ($kver)" "${in[@]}" dkms install -m vfio-pci-bpf -v "$version" \
		-k "$kver" --kernelsourcedir "$kdir" --force "${trees[@]}"
	ko=$(find "$tree/lib/modules/$kver" -name 'vfio_pci_bpf.ko*' | head -n1)
	check "the module is installed under updates/dkms ($kver)" test -n "$ko"
	if [ -n "$ko" ]; then
		check "...built for $kver" sh -c "modinfo -F vermagic '$ko' | grep -q '^$kver '"
		case $ko in
		*.xz) xz -dc "$ko" >"$tree/module.ko" ;;
		*) cp "$ko" "$tree/module.ko" ;;
		esac
		check "...with BTF (the struct_ops type needs it)" sh -c \
			"readelf -S '$tree/module.ko' | grep -q ' .BTF '"
	fi
	check "dkms status lists it installed ($kver)" sh -c \
		"$in_sh dkms status -m vfio-pci-bpf ${trees[*]} |
			grep -q 'vfio-pci-bpf/$version, $kver, x86_64: installed'"
}

if [ -d "/lib/modules/$kver/build" ]; then
	dkms_check "$kver"
elif [ -d "$troot/lib/modules/$kver/build" ]; then
	dkms_check "$kver" "$troot"
else
	echo "skip dkms against $kver: no headers for it on the host or in $troot"
fi
newest7=$(ls -d "$troot"/lib/modules/7.*/build 2>/dev/null | sed 's#.*/modules/##; s#/build##' |
	sort -V | tail -n1)
if [ -z "$newest7" ]; then
	echo "skip dkms against 7.x: no trixie build root with 7.x headers (make deps KVER=<a 7.x+deb13-amd64> makes it)"
elif [ "$newest7" != "$kver" ]; then
	dkms_check "$newest7" "$troot"
fi
exit $failed
