#!/usr/bin/env bash
# Build the tiny busybox initramfs that loads the 9p modules of the test
# kernel and switches root to the host's root shared over virtio-9p.
# usage: mkinitramfs.sh KVER OUTPUT [MODULES-DIR]
set -euo pipefail
kver=$1
out=$2
moddir=${3:-/lib/modules/$kver}
here=$(cd "$(dirname "$0")" && pwd)

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,dev,proc,sys,newroot,lib/modules}
cp /bin/busybox "$stage/bin/busybox"
for applet in sh mount umount insmod switch_root mkdir cat echo printf sleep; do
	ln -s busybox "$stage/bin/$applet"
done

# 9p and its dependencies, in load order; decompressed because busybox's
# insmod does not read xz.
for m in kernel/fs/netfs/netfs kernel/net/9p/9pnet kernel/net/9p/9pnet_virtio kernel/fs/9p/9p; do
	src=$(ls "$moddir/$m".ko* | head -n1)
	case "$src" in
	*.xz) xz -dc "$src" >"$stage/lib/modules/$(basename "$m").ko" ;;
	*.zst) zstd -dc "$src" >"$stage/lib/modules/$(basename "$m").ko" ;;
	*) cp "$src" "$stage/lib/modules/$(basename "$m").ko" ;;
	esac
	echo "$(basename "$m")" >>"$stage/lib/modules/order"
done
cp "$here/initramfs-init" "$stage/init"
chmod +x "$stage/init"
(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) >"$out.tmp"
mv "$out.tmp" "$out"
