#!/usr/bin/env bash
# Refresh include/uapi/linux/ -- the kernel uapi headers the userspace
# tools and the BPF policies build with -- from a kernel's exported
# headers, as QEMU's scripts/update-linux-headers.sh refreshes its
# linux-headers/.  Debian 12's own linux-libc-dev is 6.1, older than the
# uapi the project uses (VFIO_DEVICE_STATE_PRE_COPY is 6.2's), so the build
# never reads the host's /usr/include/linux for these.
#
# usage: update-uapi.sh SOURCE
#   SOURCE  a linux-libc-dev .deb (e.g. trixie-backports' newest, fetched
#           with 'apt-get download linux-libc-dev/trixie-backports' in the
#           build root: tools/buildroot.sh --shell), or the include/ folder
#           'make headers_install INSTALL_HDR_PATH=DIR' makes in a kernel tree
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest=$here/../include/uapi
# What the project includes, and what those include in turn beyond the
# basic types (linux/types.h, linux/ioctl.h, asm/*), which stay the host's.
HEADERS=(vfio.h pci_regs.h bpf.h bpf_common.h magic.h stddef.h)

[ $# = 1 ] || { echo "usage: update-uapi.sh LINUX-LIBC-DEV.deb | HEADERS-INCLUDE-DIR" >&2; exit 2; }
src=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -f "$src" ]; then
	dpkg-deb -x "$src" "$work"
	from=$work/usr/include
	version="linux-libc-dev $(dpkg-deb -f "$src" Version)"
else
	from=$src
	version="headers_install of $(realpath "$src")"
fi
mkdir -p "$dest/linux"
for h in "${HEADERS[@]}"; do
	[ -f "$from/linux/$h" ] || { echo "update-uapi: no linux/$h in $src" >&2; exit 1; }
	install -m 0644 "$from/linux/$h" "$dest/linux/$h"
done
printf '%s\n' "Copied by tools/update-uapi.sh from $version." \
	"Do not edit: refresh with the script instead." >"$dest/SOURCE"
echo "include/uapi/linux: ${HEADERS[*]} from $version"
