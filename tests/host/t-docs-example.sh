#!/bin/bash
# The example policy in docs/hooks.md compiles against include/ alone and
# registers the vfio_pci_bpf_ops members it claims to.
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$repo/build}
CLANG=${CLANG:-$(command -v clang-19 || command -v clang)}
out=$BUILD/tests/docs
mkdir -p "$out"
awk '/^## Example policy/ { in_section = 1 }
     in_section && /^```c$/ { grab = 1; next }
     grab && /^```$/ { exit }
     grab { print }' "$repo/docs/hooks.md" >"$out/example.bpf.c"
if [ "$(grep -c . "$out/example.bpf.c")" -lt 10 ]; then
	echo "FAIL docs example found in docs/hooks.md"
	exit 1
fi
if "$CLANG" -g -O2 -target bpf -D__TARGET_ARCH_x86 -I"$repo/include" \
	-I"/usr/include/$(gcc -dumpmachine)" -Wall -Werror -c "$out/example.bpf.c" \
	-o "$out/example.bpf.o" 2>"$out/errors"; then
	echo "ok docs example compiles ($(grep -c . "$out/example.bpf.c") lines)"
else
	echo "FAIL docs example compiles"
	sed 's/^/    /' "$out/errors"
	exit 1
fi
if "$BUILD/tools/bpftool" btf dump file "$out/example.bpf.o" 2>/dev/null | grep -q "'vfio_pci_bpf_ops'"; then
	echo "ok docs example carries a vfio_pci_bpf_ops struct_ops"
else
	echo "FAIL docs example carries a vfio_pci_bpf_ops struct_ops"
	exit 1
fi
