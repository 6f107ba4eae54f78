#!/bin/bash
# QEMU, run inside the guest as the VMM, migrates an edu device from A to B,
# both bound to vfio-pci-bpf with only edu_migrate loaded.  No guest OS: the
# firmware only halts and the test plays the guest over qtest
# (tests/vm/qtest.py), so the registers it reads are what a guest would.
. "$(dirname "$0")/lib.sh"

QTEST="python3 $REPO/tests/vm/qtest.py"
MIGRATE="python3 $REPO/tests/vm/migrate.py"
QMP="python3 $REPO/tests/vm/qmp.py"
BAR=0xfe000000
# Guest RAM the DMA test writes through edu; below edu's 28-bit DMA mask.
RAM_SRC=0x100000
RAM_DST=0x200000
# Guest RAM (of 64 MiB) filled as a running guest's would be, above those.
RAM_FILL=0x400000
RAM_FILL_SIZE=0x3800000

python3 "$REPO/tests/vm/halt-bios.py" "$SCRATCH/halt.bin"
qemus=()

# start NAME BDF DEVICE-OPTIONS [QEMU ARGS...]: a guest-less QEMU with the
# device at 04.0, its qtest and QMP sockets named after NAME.  Source and
# destination must agree on machine, memory, firmware and addr=.
start() {
	local name=$1 bdf=$2 devopts=$3
	shift 3
	qemu-system-x86_64 -machine q35 -accel tcg -m 64 -nodefaults -display none \
		-bios "$SCRATCH/halt.bin" -S -device "vfio-pci,host=$bdf,addr=04.0,id=edu$devopts" \
		-qtest "unix:$SCRATCH/$name-qtest.sock,server=on,wait=off" -qtest-log none \
		-qmp "unix:$SCRATCH/$name-qmp.sock,server=on,wait=off" "$@" \
		>"$SCRATCH/$name.log" 2>&1 &
	qemus+=($!)
	eval "pid_$name=$!"
}
qt() { $QTEST "$SCRATCH/$1-qtest.sock" "${@:2}"; }

# stop NAME: quit it (killed if QMP has no answer) and show what it said.
stop() {
	local pid
	pid=$(eval echo "\$pid_$1")
	$QMP "$SCRATCH/$1-qmp.sock" quit >/dev/null 2>&1 || kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	sed "s/^/    $1 qemu: /" "$SCRATCH/$1.log"
}

# regs NAME: edu's programmable registers as the guest reads them.
regs() {
	qt "$1" find 1234:11e8 r32 0x04 r32 0x08 r32 0x20 r32 0x24 r64 0x80 r64 0x88 r64 0x90 |
		paste -sd' '
}
WANT="0xedcba987 0x00000078 0x00000080 0x00000004 0x0000000000001000 0x0000000000040000 0x0000000000000040"

check "module loads" load_module
check "bind edu A ($EDU_A)" bind "$EDU_A" vfio-pci-bpf
check "bind edu B ($EDU_B)" bind "$EDU_B" vfio-pci-bpf
check "register edu_migrate (every edu)" "$CTL" attach "$POLICIES/edu_migrate.bpf.o" \
	--pin /sys/fs/bpf/mig

# program NAME: what the guest of the source writes.  edu keeps its
# registers from one VMM to the next: clear the interrupt bits first.
program() {
	qt "$1" setup 1234:11e8 $BAR w32 0x20 0 w32 0x64 0xffffffff w32 0x04 0x12345678 \
		w32 0x08 5 >/dev/null &&
		eventually 10 test "$(qt "$1" find 1234:11e8 r32 0x20)" = 0x00000000 &&
		qt "$1" find 1234:11e8 w32 0x20 0x80 w32 0x60 0x4 w64 0x80 0x1000 w64 0x88 0x40000 \
			w64 0x90 0x40
}

# --- QEMU's default: no device dirty tracking, no migration ------------------------
start auto "$EDU_A" ""
check "source QEMU realizes A and the guest programs it" program auto
$MIGRATE save "$SCRATCH/auto-qmp.sock" "$SCRATCH/auto.mig" >"$SCRATCH/auto.out" 2>&1
check "with enable-migration=auto QEMU blocks the migration: this kernel has no DMA logging report" \
	grep -q "doesn't support device and IOMMU dirty tracking" "$SCRATCH/auto.out"
check_eq "...and the source's device is untouched" "$WANT" "$(regs auto)"
stop auto

# --- stop-and-copy with enable-migration=on --------------------------------------
start src "$EDU_A" ",enable-migration=on"
check "source QEMU (enable-migration=on) realizes A and the guest programs it" program src
check_eq "the guest reads its values back" "$WANT" "$(regs src)"

# Guest RAM that is not zero, as a guest's is: the migrations send it.  (Over
# zero pages alone a first pass can end within QEMU's first 100 ms, and QEMU
# then completed even the save below set up not to converge: seen in one run
# of three.)
qt src fill $RAM_FILL $RAM_FILL_SIZE 0x5a

# What does not converge fails at once, saying why, and leaves the source as it was.
timeout 300 $MIGRATE save "$SCRATCH/src-qmp.sock" "$SCRATCH/nc.mig" --switchover-bandwidth 1048576 \
	--downtime-ms 1 --max-passes 2 >"$SCRATCH/nc.out" 2>&1
check_eq "a migration set up not to converge is cancelled (status 1, not a timeout)" 1 "$?"
check "...after a few passes, saying why and what it takes" grep -qE \
	"cancelled: it does not converge: [0-9]+ passes since .* takes a downtime-limit of at least [0-9]+ ms" \
	"$SCRATCH/nc.out"
grep -oE "it does not converge: [0-9]+ passes|[0-9.]+ MiB written" "$SCRATCH/nc.out" | paste -sd' ' |
	sed 's/^/    /'
rm -f "$SCRATCH/nc.mig"
mkdir "$SCRATCH/small"
mount -t tmpfs -o size=96M tmpfs "$SCRATCH/small"
$MIGRATE save "$SCRATCH/src-qmp.sock" "$SCRATCH/small/vm.mig" >"$SCRATCH/small.out" 2>&1
check "a migration into a filesystem without room for twice the RAM is not started" grep -q \
	"not started: $SCRATCH/small/vm.mig's filesystem has 96 MiB free, less than twice the guest's 64 MiB of RAM" \
	"$SCRATCH/small.out"
umount "$SCRATCH/small"
check_eq "...and the source's device is as it was" "$WANT" "$(regs src)"

$MIGRATE save "$SCRATCH/src-qmp.sock" "$SCRATCH/vm.mig" >"$SCRATCH/save.out" 2>&1
check "QEMU migrates the stopped VM to a file, converging by design" grep -qx completed \
	"$SCRATCH/save.out"
sed -n 's/^figures: /    stopped VM: /p' "$SCRATCH/save.out"
check "the file carries edu_migrate's stream" grep -qa "VPBM....edu_migrate" "$SCRATCH/vm.mig"
check "the source continues" $QMP "$SCRATCH/src-qmp.sock" cont
check_eq "...with its device as it was" "$WANT" "$(regs src)"

# A stream corrupted in the file: the destination's device refuses it.
cp "$SCRATCH/vm.mig" "$SCRATCH/bad.mig"
python3 - "$SCRATCH/bad.mig" <<'EOF'
import mmap, sys
with open(sys.argv[1], "r+b") as f, mmap.mmap(f.fileno(), 0) as data:
    at = data.find(b"VPBM") + 56 + 4  # a payload byte behind the header
    data[at] ^= 0xFF
EOF
echo "vfio-pci-bpf test: loading bad.mig" >/dev/kmsg
start bad "$EDU_B" ",enable-migration=on" -incoming defer
refused=$($MIGRATE load "$SCRATCH/bad-qmp.sock" "$SCRATCH/bad.mig" 2>&1)
check "QEMU fails to load a stream with a flipped byte" test $? = 1
echo "$refused" | tail -n1 | sed 's/^/    /'
check "...because B refused it (checksum mismatch)" grep -q "$EDU_B: migration stream refused: checksum mismatch" \
	<(dmesg | sed -n '/loading bad.mig$/,$p')
stop bad
check_eq "the source still works after the failed migration" "$WANT" "$(regs src)"
check_eq "B is back to RUNNING once that QEMU is gone" "mig-state = RUNNING" \
	"$("$CLIENT" "$EDU_B" mig-state)"

start dst "$EDU_B" ",enable-migration=on" -incoming defer
check "a second QEMU loads the file into B and continues" $MIGRATE load "$SCRATCH/dst-qmp.sock" \
	"$SCRATCH/vm.mig"
check_eq "the destination's guest reads A's registers from B" "$WANT" "$(regs dst)"
stop dst
stop src

# --- live: the VM runs, edu writes guest RAM during pre-copy ------------------------
# A slow migration stream keeps pre-copy going while the guest (qtest)
# starts a DMA from edu's buffer into RAM; the destination must have it.
saves=$(counter "$EDU_A" hook.mig_save.calls)
start live "$EDU_A" ",enable-migration=on"
program live >/dev/null
qt live fill $RAM_FILL $RAM_FILL_SIZE 0x5a
qt live find 1234:11e8 writeq $RAM_SRC 0x0123456789abcdef writeq $((RAM_SRC + 8)) 0x1122334455667788 \
	w64 0x80 $RAM_SRC w64 0x88 0x40000 w64 0x90 16 w64 0x98 1 >/dev/null
eventually 10 test "$(qt live find 1234:11e8 r64 0x98)" = 0x0000000000000000
$QMP "$SCRATCH/live-qmp.sock" cont >/dev/null
$MIGRATE save "$SCRATCH/live-qmp.sock" "$SCRATCH/live.mig" --max-bandwidth 65536 --during \
	"$QTEST $SCRATCH/live-qtest.sock find 1234:11e8 w64 0x80 0x40000 w64 0x88 $RAM_DST w64 0x90 16 w64 0x98 3" \
	>"$SCRATCH/live.out" 2>&1
grep -v '^figures: ' "$SCRATCH/live.out" | sed 's/^/    /'
sed -n 's/^figures: /    running VM: /p' "$SCRATCH/live.out"
check "the running VM migrates" grep -q "^completed" "$SCRATCH/live.out"
check "the guest's DMA ran during pre-copy" grep -q "during: done in active" "$SCRATCH/live.out"
check_eq "QEMU took edu_migrate's pre-copy record while the VM ran, then the final one" \
	"2 records, 2 saves" \
	"$(grep -oa 'VPBM....edu_migrate' "$SCRATCH/live.mig" | wc -l) records, $(($(counter "$EDU_A" hook.mig_save.calls) - saves)) saves"
stop live
loads=$(counter "$EDU_B" hook.mig_load.calls)
start ldst "$EDU_B" ",enable-migration=on" -incoming defer
check "the destination loads it" $MIGRATE load "$SCRATCH/ldst-qmp.sock" "$SCRATCH/live.mig"
check_eq "...both records" 2 "$(($(counter "$EDU_B" hook.mig_load.calls) - loads))"
check_eq "the bytes edu wrote to RAM during pre-copy are in the destination's RAM" \
	"0x0123456789abcdef 0x1122334455667788" \
	"$(qt ldst readq $RAM_DST readq $((RAM_DST + 8)) | paste -sd' ')"
stop ldst

for pid in "${qemus[@]}"; do
	kill -9 "$pid" 2>/dev/null
done
detach_pin /sys/fs/bpf/mig
unbind "$EDU_A"
unbind "$EDU_B"
finish
