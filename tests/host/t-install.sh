#!/bin/bash
# make install into a scratch root: the daemon, its systemd unit (which
# systemd-analyze accepts), the example config (which vfio-bpfd accepts),
# the CLI, the policies and the docs land where docs/daemon.md says.
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$repo/build}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
failed=0
check() {
	local name=$1
	shift
	if out=$("$@" 2>&1); then
		echo "ok $name"
	else
		echo "FAIL $name"
		printf '%s\n' "$out" | tail -n 10 | sed 's/^/    /'
		failed=1
	fi
}

# The module is the kernel build's business; install the rest.
check "make install (userspace) into a scratch root" make -s -C "$repo" BUILD="$BUILD" \
	DESTDIR="$root" PREFIX=/usr/local install-userspace
for f in /usr/local/bin/vfio-bpfd /usr/local/bin/vfio-bpfctl /etc/systemd/system/vfio-bpfd.service \
	/usr/local/share/doc/vfio-pci-bpf/daemon.md /usr/local/lib/vfio-pci-bpf/trace.bpf.o \
	/usr/local/share/doc/vfio-pci-bpf/examples/trace-vfs.conf; do
	check "installs $f" test -e "$root$f"
done
check "the unit starts the installed daemon, Type=notify" \
	grep -qzE 'Type=notify.*ExecStart=/usr/local/bin/vfio-bpfd' "$root/etc/systemd/system/vfio-bpfd.service"
if command -v systemd-analyze >/dev/null; then
	# verify looks for ExecStart's binary on this machine: point it into the scratch root.
	sed "s|=/usr/local/bin/vfio-bpfd|=$root/usr/local/bin/vfio-bpfd|" \
		"$root/etc/systemd/system/vfio-bpfd.service" >"$root/vfio-bpfd.service"
	check "systemd-analyze verify accepts the unit" sh -c \
		"systemd-analyze verify '$root/vfio-bpfd.service' 2>&1 | { ! grep .; }"
else
	echo "skip systemd-analyze verify: systemd-analyze is not installed"
fi
mkdir -p "$root/conf"
sed "s|/usr/local/lib/vfio-pci-bpf|$root/usr/local/lib/vfio-pci-bpf|" \
	"$root/usr/local/share/doc/vfio-pci-bpf/examples/trace-vfs.conf" >"$root/conf/trace-vfs.conf"
check "vfio-bpfd --check-config accepts the example" \
	"$root/usr/local/bin/vfio-bpfd" --check-config --config-dir "$root/conf"
exit $failed
