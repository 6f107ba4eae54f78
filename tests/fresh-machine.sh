#!/usr/bin/env bash
# What a new user gets on a fresh Debian 12 machine: a minbase bookworm
# root (debootstrap) with the host's Debian apt sources and nothing else,
# where 'make deps' installs what the project needs, 'make' builds the
# module, policies and tools, and the unit tests pass.  It catches the
# install step make deps lacks and the build step that leans on something
# this host happens to have (issue 16: the host's 6.1 uapi headers).  No
# VM runs inside: make check runs the guest tests.
#
# The root is made anew each run (under $BUILD/fresh); only debootstrap's
# downloads are kept, in /var/cache/vfio-pci-bpf.  Prints "ok"/"FAIL"
# lines, then "N passed, N failed"; a failed step stops the run.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tools/apt-sources.sh"
BUILD=$(realpath -m "${BUILD:-$repo/build}")
work=$BUILD/fresh
root=$work/root
debs=/var/cache/vfio-pci-bpf/debootstrap-bookworm
passed=0
failed=0

# in_root COMMAND...: COMMAND in the root as on a machine of its own, with
# /proc and a pty namespace; the mounts end with the command.
in_root() {
	unshare --mount --propagation private -- bash -euc '
		mount -t proc proc "$0/proc"
		mount -t devpts -o newinstance,ptmxmode=0666 devpts "$0/dev/pts"
		exec chroot "$0" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
			LANG=C.UTF-8 TERM=dumb "$@"' "$root" "$@"
}

# step NAME COMMAND...: one step, its log in $work; stops at a failure.
step() {
	local name=$1 log start=$SECONDS
	shift
	log=$work/$(echo "$name" | tr -c 'a-z0-9\n' '-').log
	if "$@" >"$log" 2>&1; then
		echo "ok $name ($((SECONDS - start)) s)"
		passed=$((passed + 1))
		return 0
	fi
	echo "FAIL $name ($((SECONDS - start)) s; log: $log)"
	tail -n 30 "$log" | sed 's/^/    /'
	failed=$((failed + 1))
	finish
}

finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
	exit
}

make_root() {
	local uri
	uri=$(archive_uri bookworm | head -n1)
	[ -n "$uri" ] || { echo "no bookworm archive URI in the host's apt sources"; return 1; }
	if findmnt -rn -o TARGET | grep -q "^$root/"; then
		echo "something is mounted under $root: not removing it"
		return 1
	fi
	rm -rf "$root"
	mkdir -p "$root" "$debs"
	debootstrap --variant=minbase --cache-dir="$debs" bookworm "$root" "$uri" || return 1
	# A Debian 12 install's sources: bookworm, its updates and security.
	rm -f "$root/etc/apt/sources.list"
	debian_sources bookworm updates >"$root/etc/apt/sources.list.d/debian.sources"
}

# The checkout's files as a clone has them (tracked, and new ones not ignored).
copy_checkout() {
	mkdir -p "$root/src"
	git -C "$repo" ls-files -z --cached --others --exclude-standard |
		(cd "$repo" && tar --null --ignore-failed-read -T - -cf -) | tar -C "$root/src" -xf -
}

command -v debootstrap >/dev/null || { echo "FAIL debootstrap is installed (make deps installs it)"; exit 1; }
mkdir -p "$work"
step "debootstrap a minbase Debian 12 root" make_root
step "copy the checkout into it" copy_checkout
# The README's one prerequisite, then make deps does the rest.
step "apt-get install make" in_root apt-get install -y -qq --no-install-recommends make
step "make deps installs what the project needs" in_root make -C /src deps
# The root runs the host's kernel, whose headers it has not: make check's
# build step names the test kernel's, as it does on any machine.
step "make test-build builds module, policies, tools and unit tests" in_root make -C /src test-build
step "the unit tests pass" in_root /src/tests/run-all.sh --unit
finish
