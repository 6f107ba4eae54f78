#!/bin/bash
# make install into a scratch root: the daemon, its systemd unit (which
# systemd-analyze accepts), the example config (which vfio-bpfd accepts),
# the CLI, the policies and the docs land where docs/daemon.md says.
. "$(dirname "$0")/lib.sh"

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
for page in vfio-bpfctl vfio-bpfd; do
	check "man page $page(8) renders" sh -c \
		"MANWIDTH=80 man -l '$root/usr/local/share/man/man8/$page.8' 2>&1 | grep -q '^EXIT STATUS'"
done

# A host that never ran make deps: no patched bpftool, no test kernel.
check "without a patched bpftool, build.sh says to run make deps" sh -c \
	"BPFTOOL_CACHE='$root/none' '$repo/tools/bpftool/build.sh' --cached '$root/bpftool' 2>&1 |
	grep -q \"no patched bpftool built on this machine yet: run 'make deps'\""
check "...and make install-userspace installs all the rest" env BPFTOOL_CACHE="$root/none" \
	make -s -C "$repo" BUILD="$BUILD" BPFTOOL="$root/bpftool" DESTDIR="$root/nobpftool" \
	PREFIX=/usr/local install-userspace
check "...the daemon and the CLI, without bpftool" sh -c "test -x '$root/nobpftool/usr/local/bin/vfio-bpfd' &&
	test -x '$root/nobpftool/usr/local/bin/vfio-bpfctl' &&
	test ! -e '$root/nobpftool/usr/local/lib/vfio-pci-bpf/bin/bpftool'"
check "without the running kernel's headers or KDIR, the module is refused, saying why" sh -c \
	"! env -u KVER -u MAKEFLAGS -u MAKELEVEL make -s -C '$repo' BUILD='$root/build' RUNNING_KDIR='$root/none' module 2>'$root/module.err' &&
	grep -q 'no headers of the running kernel ($root/none) and no KDIR' '$root/module.err'"
build_deps=$("$repo/tools/deps.sh" --build --print | paste -sd' ')
check "make build-deps wants what make and make install need, no QEMU, test kernel or test tools" sh -c \
	"echo ' $build_deps ' | grep -q ' libbpf-dev ' && ! echo ' $build_deps ' |
	grep -qE ' (qemu-system-x86|busybox-static|libcmocka-dev|linux-image-[^ ]*) '"

# complete WORDS...: what bash completion offers for the last word.
complete_words() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _vfio_bpfctl
		echo "${COMPREPLY[*]}"' _ \
		"$root/usr/local/share/bash-completion/completions/vfio-bpfctl" "$@"
}
check "bash completion offers the verbs" test "$(complete_words vfio-bpfctl de)" = "detach devices"
check "...and the policy options" test "$(complete_words vfio-bpfctl attach x.bpf.o --v)" = \
	"--vendor --vfs-of"
check "...after --no-daemon and --control SOCKET too" test \
	"$(complete_words vfio-bpfctl --no-daemon --control /x.sock attach x.bpf.o --v)" = \
	"--vendor --vfs-of"

# The Kubernetes example: a DaemonSet that is not privileged, whose config
# directory is the ConfigMap, and whose config vfio-bpfd accepts.
mkdir -p "$root/k8s"
check "the Kubernetes example's config is what vfio-bpfd accepts" /usr/bin/python3 - \
	"$repo/docs/k8s/vfio-bpfd.yaml" "$root/k8s" "$root/usr/local/lib/vfio-pci-bpf" <<'EOF'
import sys, yaml
manifest, out, objects = sys.argv[1:]
docs = {d["kind"]: d for d in yaml.safe_load_all(open(manifest))}
pod = docs["DaemonSet"]["spec"]["template"]["spec"]
c = pod["containers"][0]
assert not c["securityContext"].get("privileged"), "privileged"
assert c["securityContext"]["capabilities"]["drop"] == ["ALL"]
config_dir = c["command"][c["command"].index("--config-dir") + 1]
mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
volume = {v["name"]: v for v in pod["volumes"]}[mounts[config_dir]]
assert volume["configMap"]["name"] == docs["ConfigMap"]["metadata"]["name"]
for name, text in docs["ConfigMap"]["data"].items():
    open(f"{out}/{name}", "w").write(text.replace("/usr/local/lib/vfio-pci-bpf", objects))
EOF
check "...vfio-bpfd --check-config" "$root/usr/local/bin/vfio-bpfd" --check-config \
	--config-dir "$root/k8s"
exit $failed
