#!/usr/bin/env bash
# bpftool with the project's fix for struct_ops types that modules define
# (0001-*.patch here, ready to send upstream), built from Debian's own
# linux-source-6.12 package, which bundles bpftool and libbpf.  The build
# happens once per machine: the result is kept in $BPFTOOL_CACHE (default
# /var/cache/vfio-pci-bpf) under the source version and the patch's
# checksum, and later calls only copy it.
#
# usage: build.sh [--cached] [OUTPUT]
#   OUTPUT    where to put it (without: only make sure it is built)
#   --cached  only copy an earlier build; fail (saying 'make deps') if none
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${BPFTOOL_CACHE:-/var/cache/vfio-pci-bpf}
cached_only=0
if [ "${1:-}" = --cached ]; then
	cached_only=1
	shift
fi
[ $# -le 1 ] || { echo "usage: build.sh [--cached] [OUTPUT]" >&2; exit 2; }
out=${1:-}

log() { printf 'bpftool: %s\n' "$*" >&2; }
patches=("$here"/0*.patch)
sum=$(cat "${patches[@]}" | sha256sum | cut -c1-12)

# The newest one built with these patches, for --cached; nothing when none
# (without failing: under set -e and pipefail that would end the script
# before it says what to do).
newest_build() { ls -d "$cache"/bpftool-*-"$sum"/bpftool 2>/dev/null | sort -V | tail -n1 || true; }

if [ "$cached_only" = 1 ]; then
	built=$(newest_build)
	[ -n "$built" ] || { log "no patched bpftool built on this machine yet: run 'make deps'"; exit 1; }
	[ -z "$out" ] || install -D -m 0755 "$built" "$out"
	exit 0
fi

version=$(apt-cache policy linux-source-6.12 | awk '/Candidate:/ {print $2}')
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
	log "the archive has no linux-source-6.12"
	exit 1
fi
dir=$cache/bpftool-$version-$sum
if [ ! -x "$dir/bpftool" ]; then
	log "building bpftool from linux-source-6.12 $version with $(basename -a "${patches[@]}" | paste -sd' ')"
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	mkdir -p "$work/out"
	# apt's sandbox user may not write the work folder; root downloads it.
	chmod 0755 "$work"
	(cd "$work" && apt-get download -q=2 -o APT::Sandbox::User=root "linux-source-6.12=$version")
	# Only what bpftool's build reads: tools/, its uapi headers, the BPF
	# helper doc script and the kernel's BPF disassembler.
	dpkg-deb --fsys-tarfile "$work"/linux-source-6.12_*.deb |
		tar -xO ./usr/src/linux-source-6.12.tar.xz |
		tar -xJ -C "$work" --wildcards linux-source-6.12/tools linux-source-6.12/scripts/bpf_doc.py \
			linux-source-6.12/include/uapi linux-source-6.12/arch/x86/include/uapi \
			'linux-source-6.12/kernel/bpf/disasm.*'
	rm -f "$work"/linux-source-6.12_*.deb
	for p in "${patches[@]}"; do
		patch -d "$work/linux-source-6.12" -p1 -s <"$p"
	done
	# No LLVM/libbfd disassembler, libcap or BPF skeletons: fewer build
	# dependencies, and struct_ops does not need them.
	make -s -C "$work/linux-source-6.12/tools/bpf/bpftool" -j"$(nproc)" OUTPUT="$work/out/" \
		feature-llvm=0 feature-libbfd=0 feature-libcap=0 feature-clang-bpf-co-re=0 \
		>"$work/build.log" 2>&1 || { tail -n 30 "$work/build.log" >&2; exit 1; }
	install -D -m 0755 "$work/out/bpftool" "$dir/bpftool"
fi
[ -z "$out" ] || install -D -m 0755 "$dir/bpftool" "$out"
