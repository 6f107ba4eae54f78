#!/bin/bash
# DKMS builds and installs the module from what make install-dkms puts in
# /usr/src, against an installed Debian 6.12 headers package; everything
# happens in scratch trees (dkms --sourcetree/--dkmstree/--installtree).
. "$(dirname "$0")/lib.sh"
KDIR=$(cat "$BUILD/kernel/.kdir" 2>/dev/null)
kver=$(basename "$(dirname "$KDIR")")
if ! command -v dkms >/dev/null; then
	echo "skip dkms: the dkms package is not installed (make deps installs it)"
	exit 0
fi
version=$(make -s -C "$repo" --no-print-directory print-version)
trees=(--sourcetree "$root/usr/src" --dkmstree "$root/var/lib/dkms" --installtree "$root/lib/modules")
mkdir -p "$root/var/lib/dkms" "$root/lib/modules/$kver"

check "make install-dkms puts the sources in /usr/src/vfio-pci-bpf-$version" \
	make -s -C "$repo" DESTDIR="$root" install-dkms
check "dkms add" dkms add -m vfio-pci-bpf -v "$version" "${trees[@]}"
check "dkms build against $kver's headers" dkms build -m vfio-pci-bpf -v "$version" -k "$kver" \
	--kernelsourcedir "$KDIR" "${trees[@]}"
check "dkms install" dkms install -m vfio-pci-bpf -v "$version" -k "$kver" \
	--kernelsourcedir "$KDIR" --force "${trees[@]}"
ko=$(find "$root/lib/modules/$kver" -name 'vfio_pci_bpf.ko*' | head -n1)
check "the module is installed under updates/dkms" test -n "$ko"
if [ -n "$ko" ]; then
	check "...built for $kver" sh -c "modinfo -F vermagic '$ko' | grep -q '^$kver '"
	case $ko in
	*.xz) xz -dc "$ko" >"$root/module.ko" ;;
	*) cp "$ko" "$root/module.ko" ;;
	esac
	check "...with BTF (the struct_ops type needs it)" sh -c \
		"readelf -S '$root/module.ko' | grep -q ' .BTF '"
fi
check "dkms status lists it installed" sh -c \
	"dkms status -m vfio-pci-bpf ${trees[*]} | grep -q 'vfio-pci-bpf/$version, $kver, x86_64: installed'"
exit $failed
