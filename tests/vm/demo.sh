#!/bin/bash
# make demo: what vfio-pci-bpf does, shown on the test VM's devices.
. "$(dirname "$0")/lib.sh"

say() { printf '\n== %s\n' "$*"; }
row() { printf '  %-14s %-10s %-14s %-14s %s\n' "$@"; }

say "Loading vfio_pci_bpf and binding devices with driver_override"
load_module || exit 1
bind "$EDU0" vfio-pci-bpf && bind "$EDU1" vfio-pci-bpf || exit 1
create_vfs 2
for vf in $(vf_list); do bind "$vf" vfio-pci-bpf || exit 1; done
row DEVICE IDS DRIVER ROLE ""
for d in "$EDU0" "$EDU1" "$IGB_PF" $(vf_list); do
	role=function
	[ -e "/sys/bus/pci/devices/$d/physfn" ] &&
		role="VF of $(basename "$(readlink "/sys/bus/pci/devices/$d/physfn")" | cut -c6-)"
	[ -e "/sys/bus/pci/devices/$d/sriov_numvfs" ] && role="SR-IOV PF"
	row "$d" "$(sed 's/0x//' "/sys/bus/pci/devices/$d/vendor"):$(sed 's/0x//' "/sys/bus/pci/devices/$d/device")" \
		"$(driver_of "$d")" "$role"
done

say "The VFIO client drives each device like a VMM (no policy attached)"
for d in "$EDU0" "$EDU1"; do
	printf '  %s edu checks: %s\n' "$d" "$("$CLIENT" --edu "$d" | awk '/^ok/{o++} /^FAIL/{f++} END{printf "%d ok, %d failed", o, f}')"
done
for vf in $(vf_list); do
	printf '  %s generic checks: %s\n' "$vf" "$("$CLIENT" --generic "$vf" | awk '/^ok/{o++} /^FAIL/{f++} END{printf "%d ok, %d failed", o, f}')"
done

say "Attaching policies: trace on every igb VF, bar_trap on $EDU1"
"$CTL" attach "$POLICIES/trace.bpf.o" --vendor 0x8086 --device 0x10ca --name trace_vf \
	--pin /sys/fs/bpf/demo-trace && echo "  trace_vf    -> $(grep -l trace_vf /sys/bus/pci/devices/*/vfio_bpf/policies | cut -d/ -f6 | tr '\n' ' ')"
"$CTL" attach "$POLICIES/bar_trap.bpf.o" --target "$EDU1" --set trap_len=0x100 \
	--set emulate_offset=4 --pin /sys/fs/bpf/demo-trap && echo "  bar_trap    -> $EDU1 (BAR0 0x0-0xff trapped, liveness register emulated)"

say "The VMM's view of $EDU1 with bar_trap attached"
echo "  BAR0 mmap-able areas (sparse mmap): $(op "$EDU1" sparse 0)"
echo "  mmap of the trapped page: $(op "$EDU1" mmap 0 0 4096)"
echo "  write 0x1234 to liveness (0x04): $(op "$EDU1" bar-write 0 4 4 0x1234), read back: $(op "$EDU1" bar-read 0 4 4) (hardware would say ~value)"
echo "  ID register (trapped, passed to hardware): $(op "$EDU1" bar-read 0 0 4)"

say "Traffic on the VFs under trace"
for vf in $(vf_list); do
	"$CLIENT" --generic "$vf" repeat 100 cfg-read 0 4 >/dev/null
done
printf '  %-14s %-14s %-3s %-9s %-7s %-10s %-11s %-9s %s\n' VF PF IDX POLICIES IOCTLS CFG_READS CFG_WRITES BPF_NS ERRORS
for vf in $(vf_list); do
	printf '  %-14s %-14s %-3s %-9s %-7s %-10s %-11s %-9s %s\n' "$vf" "$(counter "$vf" pf)" \
		"$(counter "$vf" vf_index)" "$(counter "$vf" policies)" "$(counter "$vf" ioctls)" \
		"$(counter "$vf" hook.config_read.calls)" "$(counter "$vf" hook.config_write.calls)" \
		"$(counter "$vf" hook.config_read.ns)" "$(counter "$vf" hook.config_read.error)"
done

say "QEMU realizes a VF bound to vfio-pci-bpf (-device vfio-pci,host=...)"
vf=$(vf_list | head -n1)
qemu-system-x86_64 -machine q35,accel=tcg -m 256 -nodefaults -display none -S \
	-qmp "unix:$SCRATCH/qmp.sock,server=on,wait=off" -device "vfio-pci,host=$vf,id=vf0" \
	>"$SCRATCH/qemu.log" 2>&1 &
qemu=$!
{ python3 "$REPO/tests/vm/qmp.py" "$SCRATCH/qmp.sock" query-pci quit ||
	{ echo "  QEMU did not answer over QMP; stopping it" >&2; kill -9 "$qemu"; echo '[]'; }; } | python3 -c '
import json, sys
for bus in json.load(sys.stdin):
    for d in bus["devices"]:
        if d.get("qdev_id") == "vf0":
            print("  guest sees %04x:%04x at slot %d with %d BARs" % (d["id"]["vendor"], d["id"]["device"], d["slot"], len(d.get("regions", []))))'
wait "$qemu"

say "Live migration by a BPF policy: edu_migrate carries edu $EDU_A's registers to $EDU_B"
bind "$EDU_A" vfio-pci-bpf && bind "$EDU_B" vfio-pci-bpf || exit 1
"$CTL" attach "$POLICIES/edu_migrate.bpf.o" --pin /sys/fs/bpf/demo-mig || exit 1
echo "  migration flags (VFIO_DEVICE_FEATURE_MIGRATION): $(op "$EDU_A" mig-flags) = STOP_COPY | P2P | PRE_COPY"
"$CLIENT" "$EDU_A" bar-write 0 0x04 4 0x12345678 bar-write 0 0x08 4 5 bar-write 0 0x80 8 0x1000 \
	mig-set STOP_COPY mig-read "$SCRATCH/edu.mig" mig-set RUNNING >/dev/null
echo "  source: wrote liveness 0x12345678, factorial 5, DMA source 0x1000; saved $(stat -c %s "$SCRATCH/edu.mig") bytes:"
python3 "$REPO/tests/vm/migstream.py" "$SCRATCH/edu.mig" show | fmt -s -w 76 | sed 's/^/    /'
echo "  destination: $("$CLIENT" "$EDU_B" mig-set RESUMING mig-write "$SCRATCH/edu.mig" mig-set RUNNING \
	bar-read 0 0x04 4 bar-read 0 0x08 4 bar-read 0 0x80 8 | tail -n3 | sed 's/bar-read 0 //' | paste -sd, | sed 's/,/, /g')"
python3 "$REPO/tests/vm/migstream.py" "$SCRATCH/edu.mig" flip 0 "$SCRATCH/bad.mig"
echo "  a stream with one byte flipped: $("$CLIENT" "$EDU_B" mig-set RESUMING mig-write "$SCRATCH/bad.mig" | tail -n1)"
echo "  kernel: $(dmesg | grep -o 'migration stream refused: .*' | tail -n1)"

rm -f /sys/fs/bpf/demo-trace /sys/fs/bpf/demo-trap /sys/fs/bpf/demo-mig

say "vfio-bpfd: a config directory's policy, attached when its device binds"
# The metrics listen on 127.0.0.1; the test VM's init leaves lo down.
ip link set lo up
conf=$SCRATCH/policies.d sock=$SCRATCH/control.sock
mkdir -p "$conf"
cat >"$conf/guard.conf" <<EOF
[policy]
object = $POLICIES/cfg_guard.bpf.o
target = $EDU0
[parameters]
vendor_id = 0x1111
EOF
unbind "$EDU0"
"$BUILD/loader/vfio-bpfd" --config-dir "$conf" --state-dir "$SCRATCH/state" --control "$sock" \
	>"$SCRATCH/bpfd.log" 2>&1 &
daemon=$!
# Its first reconcile registers guard, pending until the bind.
eventually 30 grep -q '^guard ' /sys/bus/pci/drivers/vfio-pci-bpf/policies ||
	{ echo "  vfio-bpfd did not register guard:"; cat "$SCRATCH/bpfd.log"; }
echo "  guard.conf: cfg_guard for $EDU0, not bound yet"
echo "  the driver's policies: $(grep '^guard ' /sys/bus/pci/drivers/vfio-pci-bpf/policies)"
bind "$EDU0" vfio-pci-bpf
echo "  bound: chain '$(policies_of "$EDU0")', vendor ID the VMM reads: $(op "$EDU0" cfg-read 0 2)"
echo "  vfio-bpfctl policies (OWNER as the daemon says):"
"$CTL" --control "$sock" policies | awk '{ print $2, $3, $6 }' | column -t | sed 's/^/    /'
echo "  a runtime attach through the control socket (vfio-bpfctl attach, the daemon running):"
"$CTL" --control "$sock" attach "$POLICIES/trace.bpf.o" --target "$EDU1" --name trace_edu1 |
	sed 's/^/    /'
echo "    $EDU1 chain: '$(policies_of "$EDU1")'; owners: $(echo '{"command": "policies"}' |
	socat - "UNIX-CONNECT:$sock" | python3 -c 'import json, sys
print(", ".join("%s=%s" % (p["name"], p["owner"]) for p in json.load(sys.stdin)["policies"]))')"
"$CTL" --control "$sock" detach trace_edu1 | sed 's/^/    /'
echo "    $EDU1 chain: '$(policies_of "$EDU1")'"
"$CLIENT" "$EDU0" repeat 20 cfg-read 0 2 >/dev/null
metrics=$(curl -s http://127.0.0.1:9477/metrics)
echo "  a metrics scrape (GET http://127.0.0.1:9477/metrics), one of its $(grep -c '^vfio' <<<"$metrics") series:"
grep "^vfio_pci_bpf_hook_verdicts_total{device=\"$EDU0\".*hook=\"config_read\",verdict=\"pass\"}" \
	<<<"$metrics" | sed 's/^/    /'
kill "$daemon"
wait "$daemon"
echo "  vfio-bpfd stopped; its policy stays: $EDU0 chain '$(policies_of "$EDU0")'"
rm -rf /sys/fs/bpf/vfio-pci-bpf
say "Done: policies detached, devices still bound to vfio-pci-bpf"
finish
