#!/bin/bash
# PID 1 inside the test VM, started from the host root shared read-only
# (or, with VM_INIT=systemd, the service systemd runs as PID 1).  Makes the
# writable places a test needs, runs the command the host left in the
# results share, saves its status and dmesg there, and powers off.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root

# mnt TYPE DIR: mounted unless something (systemd) already is there.
mnt() { mountpoint -q "$2" || mount -t "$1" "$1" "$2" 2>/dev/null; }
mnt proc /proc
mnt sysfs /sys
# systemd keeps its own state in /run: that one stays.
for d in /tmp /run /var/tmp /root /var/lib /var/log /etc/qemu; do
	[ -d "$d" ] && ! mountpoint -q "$d" && mount -t tmpfs tmpfs "$d"
done
mnt bpf /sys/fs/bpf
mnt debugfs /sys/kernel/debug
mnt tracefs /sys/kernel/tracing
mkdir -p /dev/pts /dev/shm /run/vmtest
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
mnt devpts /dev/pts
mountpoint -q /dev/shm || mount -t tmpfs tmpfs /dev/shm
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 results /run/vmtest

# The shares (the checkout and its build) do not change while the VM runs:
# cached, a test that runs a tool in a loop does not send a 9p request per
# page each time (under TCG a 9p request now and then is never answered,
# and the fewer there are, the rarer that is).
while read -r tag path; do
	mkdir -p "$path" 2>/dev/null
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,ro,cache=loose "$tag" "$path"
done </run/vmtest/mounts

export VMTEST_RESULTS=/run/vmtest
BUILD=$(cat /run/vmtest/build)
export BUILD
cd "$(cat /run/vmtest/cwd)" || cd /
echo "vmtest: guest up after $(cut -d' ' -f1 /proc/uptime) s"
if [ "$(cat /run/vmtest/cmd)" = "--shell" ]; then
	setsid -c bash -l </dev/ttyS0 >/dev/ttyS0 2>&1
	rc=$?
else
	bash -c "$(cat /run/vmtest/cmd)" </dev/null 2>&1 | tee /run/vmtest/output
	rc=${PIPESTATUS[0]}
fi
dmesg >/run/vmtest/dmesg
echo "$rc" >/run/vmtest/rc
sync
echo o >/proc/sysrq-trigger
# Never return: PID 1 exiting would panic before the power-off lands.
while :; do :; done
