#!/bin/bash
# The VFIO migration uAPI v2 through vfio-pci-bpf, from the C client: what
# a device advertises with and without a migration owner, the arcs, the data
# fds, edu's registers carried from one device to another by edu_migrate,
# and every stream the destination must refuse.
. "$(dirname "$0")/lib.sh"

HDR=56 # sizeof(struct vfio_pci_bpf_mig_header)
MIGSTREAM="python3 $REPO/tests/vm/migstream.py"

# refuses NAME COMMAND...: ok when COMMAND fails; shows its last line.
refuses() {
	local name=$1
	shift
	if "$@" >"$SCRATCH/refused" 2>&1; then
		fail "$name" "it succeeded"
	else
		ok "$name: $(tail -n1 "$SCRATCH/refused" | cut -c1-120)"
	fi
}

check "module loads" load_module
check "bind edu A ($EDU_A)" bind "$EDU_A" vfio-pci-bpf
check "bind edu B ($EDU_B)" bind "$EDU_B" vfio-pci-bpf

# --- without a migration owner the device is vfio-pci ----------------------------
check_eq "no owner: VFIO_DEVICE_FEATURE_MIGRATION is not there" "error ENOTTY" \
	"$(op "$EDU_A" mig-flags)"
check_eq "no owner: nor is the device state" "error ENOTTY" "$(op "$EDU_A" mig-set STOP)"
check_eq "no owner: nor MIG_DATA_SIZE" "error ENOTTY" "$(op "$EDU_A" mig-size)"

# --- who may own a device's migration ----------------------------------------------
# One registration, matching edu by ID, owns both devices: the stream names
# the policy, so source and destination run the same one.  B is open when
# it registers, and a migration owner only attaches to closed devices.
"$CLIENT" --hold 60 "$EDU_B" >"$SCRATCH/holdB" &
holder=$!
wait_for_line "$SCRATCH/holdB" holding
echo "vfio-pci-bpf test: B open" >/dev/kmsg
check "register edu_migrate for every edu while B is open" "$CTL" attach \
	"$POLICIES/edu_migrate.bpf.o" --pin /sys/fs/bpf/mig
check_eq "it owns A" edu_migrate "$(policies_of "$EDU_A")"
check_eq "...but not the open B" "" "$(policies_of "$EDU_B")"
check "the kernel log says why" grep -q "$EDU_B: policy 'edu_migrate': migration owners attach and detach only while the device is closed" \
	<(dmesg | sed -n '/B open$/,$p')
kill "$holder"
wait "$holder" 2>/dev/null
detach_pin /sys/fs/bpf/mig
check "register it again with B closed" "$CTL" attach "$POLICIES/edu_migrate.bpf.o" \
	--pin /sys/fs/bpf/mig
check_eq "it owns A and B" "edu_migrate edu_migrate" \
	"$(policies_of "$EDU_A") $(policies_of "$EDU_B")"
check_eq "A advertises STOP_COPY, P2P and PRE_COPY, as edu_migrate declares" 0x7 \
	"$(op "$EDU_A" mig-flags)"
refuses "a second migration owner on A is refused" "$CTL" attach \
	"$POLICIES/edu_migrate.bpf.o" --target "$EDU_A" --name edu_other --pin /sys/fs/bpf/other
check "...and the kernel log says who owns it" \
	grep -q "'edu_other': 'edu_migrate' already owns" <(dmesg)
check "...which vfio-bpfctl's error repeats" \
	grep -q "(kernel: .*policy 'edu_other': 'edu_migrate' already owns the device's migration)" \
	"$SCRATCH/refused"
refuses "an owner without mig_load does not register" "$CTL" attach \
	"$TEST_POLICIES/mig_no_load.bpf.o" --target "$EDU_A" --pin /sys/fs/bpf/half
check "...and the kernel log says what it lacks" \
	grep -q "policy 'mig_no_load': a migration owner needs mig_save, mig_load" <(dmesg)

# --- the state machine, one client session ---------------------------------------
arcs=$("$CLIENT" "$EDU_A" mig-state mig-size mig-set STOP mig-set RUNNING \
	mig-set STOP_COPY mig-read "$SCRATCH/s0" mig-set RESUMING mig-set STOP mig-state \
	mig-set ERROR mig-set 99 mig-set RUNNING mig-state)
echo "$arcs" | sed 's/^/    /'
line() { sed -n "$1p" <<<"$arcs"; }
check_eq "a device starts RUNNING" "mig-state = RUNNING" "$(line 1)"
check_eq "MIG_DATA_SIZE: header and the policy's mig_size" "mig-size = $((HDR + 48))" "$(line 2)"
check_eq "RUNNING -> STOP" "mig-set STOP = STOP" "$(line 3)"
check_eq "STOP -> RUNNING" "mig-set RUNNING = RUNNING" "$(line 4)"
check_eq "RUNNING -> STOP_COPY (through STOP) gives a data fd" "mig-set STOP_COPY = STOP_COPY +fd" \
	"$(line 5)"
check_eq "the data fd reads to EOF: the whole stream" "mig-read $SCRATCH/s0 = $((HDR + 48)) bytes" \
	"$(line 6)"
check_eq "STOP_COPY -> RESUMING (through STOP) gives a data fd" "mig-set RESUMING = RESUMING +fd" \
	"$(line 7)"
check_eq "RESUMING -> STOP with nothing written is refused" "mig-set STOP = error EINVAL" \
	"$(line 8)"
check_eq "...and leaves the device in ERROR" "mig-state = ERROR" "$(line 9)"
check_eq "ERROR cannot be asked for: EINVAL" "mig-set ERROR = error EINVAL" "$(line 10)"
check_eq "no state 99: EINVAL" "mig-set 99 = error EINVAL" "$(line 11)"
check_eq "ERROR -> RUNNING without a reset: EINVAL" "mig-set RUNNING = error EINVAL" "$(line 12)"
check_eq "...still ERROR" "mig-state = ERROR" "$(line 13)"
check_eq "closing the device brings it back to RUNNING" RUNNING \
	"$(op "$EDU_A" mig-state)"
check_eq "a reset brings ERROR back to RUNNING" "RUNNING" \
	"$("$CLIENT" "$EDU_A" mig-set RESUMING mig-set STOP reset mig-state | sed -n 's/^mig-state = //p')"

# --- edu's registers from A to B ---------------------------------------------------
# Programmed and saved in one session; A keeps working afterwards.
# The factorial ends before its interrupt is enabled, or it would raise one.
"$CLIENT" "$EDU_A" bar-write 0 0x04 4 0x12345678 bar-write 0 0x08 4 5 bar-wait 0 0x20 4 1 0 \
	bar-write 0 0x20 4 0x80 bar-write 0 0x60 4 0x4 bar-write 0 0x80 8 0x1000 \
	bar-write 0 0x88 8 0x40000 bar-write 0 0x90 8 0x40 \
	mig-set STOP_COPY mig-read "$SCRATCH/edu.mig" mig-set RUNNING \
	bar-read 0 0x04 4 bar-read 0 0x08 4 >"$SCRATCH/save.out"
sed 's/^/    /' "$SCRATCH/save.out"
check "A saved its state" grep -q "^mig-read $SCRATCH/edu.mig = $((HDR + 48)) bytes" \
	"$SCRATCH/save.out"
check "A works as before after the migration (liveness, factorial)" \
	grep -qzE "bar-read 0 0x04 4 = 0xedcba987.bar-read 0 0x08 4 = 0x78" "$SCRATCH/save.out"
check "the stream names the policy and the device, and its crc32c checks" \
	grep -q "policy=edu_migrate vendor=0x1234 device=0x11e8 payload_len=0x30 .* crc_ok=1" \
	<($MIGSTREAM "$SCRATCH/edu.mig" show)

# load FILE [STATE]: B resumes from FILE, then goes to STATE (RUNNING);
# prints each step's answer.
load() {
	"$CLIENT" "$EDU_B" mig-set RESUMING mig-write "$1" mig-set "${2:-RUNNING}" mig-state "${@:3}" |
		sed 's/.* = //'
}
loaded=$(load "$SCRATCH/edu.mig" RUNNING bar-read 0 0x04 4 bar-read 0 0x08 4 bar-read 0 0x20 4 \
	bar-read 0 0x24 4 bar-read 0 0x80 8 bar-read 0 0x88 8 bar-read 0 0x90 8 | paste -sd' ')
check_eq "B loads A's stream and reads back A's registers" \
	"RESUMING +fd $((HDR + 48)) bytes RUNNING RUNNING 0xedcba987 0x78 0x80 0x4 0x1000 0x40000 0x40" \
	"$loaded"
check_eq "counters: A saved two streams" $((2 * (HDR + 48))) \
	"$(counter "$EDU_A" migration.saved_bytes)"
check_eq "counters: B loaded one" $((HDR + 48)) "$(counter "$EDU_B" migration.loaded_bytes)"
check_eq "counters: edu_migrate's mig_load ran once on B" 1 \
	"$(counter "$EDU_B" hook.mig_load.calls)"
# The destination checks each header and each record's checksum once, as it
# completes: a stream written a byte at a time loads as one written at once.
check_eq "B loads A's stream written a byte per write()" \
	"RESUMING +fd $((HDR + 48)) bytes RUNNING RUNNING 0xedcba987" \
	"$("$CLIENT" "$EDU_B" mig-set RESUMING mig-trickle "$SCRATCH/edu.mig" mig-set RUNNING mig-state \
		bar-read 0 0x04 4 | sed 's/.* = //' | paste -sd' ')"

# --- the P2P states and PRE_COPY ----------------------------------------------------
check_eq "P2P arcs: RUNNING -> RUNNING_P2P -> STOP -> RUNNING_P2P -> RUNNING" \
	"RUNNING_P2P STOP RUNNING_P2P RUNNING" \
	"$(op "$EDU_A" mig-set RUNNING_P2P mig-set STOP mig-set RUNNING_P2P mig-set RUNNING | paste -sd' ')"
# A keeps running through PRE_COPY: what it does after the pre-copy record
# was read reaches the destination in the final record, on the same fd.
"$CLIENT" "$EDU_A" bar-write 0 0x04 4 0x11111111 mig-set PRE_COPY mig-precopy-info \
	mig-read "$SCRATCH/pre.mig" mig-precopy-info mig-read "$SCRATCH/pre-again.mig" \
	bar-write 0 0x04 4 0x22222222 mig-set PRE_COPY_P2P mig-set STOP_COPY mig-precopy-info \
	mig-read "$SCRATCH/final.mig" mig-set RUNNING bar-read 0 0x04 4 >"$SCRATCH/pre.out"
sed 's/^/    /' "$SCRATCH/pre.out"
pre=$(sed 's/.* = //' "$SCRATCH/pre.out")
pline() { sed -n "$1p" <<<"$pre"; }
check_eq "RUNNING -> PRE_COPY gives a data fd" "PRE_COPY +fd" "$(pline 2)"
check_eq "PRECOPY_INFO: the whole pre-copy record is initial data" "initial $((HDR + 48)) dirty 0" \
	"$(pline 3)"
check_eq "the data fd gives the pre-copy record, then ENOMSG (no more for now)" \
	"$((HDR + 48)) bytes, then ENOMSG" "$(pline 4)"
check_eq "...after which PRECOPY_INFO says nothing is left" "initial 0 dirty 0" "$(pline 5)"
check_eq "...and reading again gives ENOMSG at once" "0 bytes, then ENOMSG" "$(pline 6)"
check_eq "the device still runs in PRE_COPY; PRE_COPY_P2P and STOP_COPY open no new fd" \
	"0x22222222 PRE_COPY_P2P STOP_COPY" "$(pline 7) $(pline 8) $(pline 9)"
check_eq "PRECOPY_INFO outside the PRE_COPY states: EINVAL" "error EINVAL" "$(pline 10)"
check_eq "the same fd then gives the final record and EOF" "$((HDR + 48)) bytes" "$(pline 11)"
check_eq "...and A runs on with what it had" "RUNNING 0xdddddddd" "$(pline 12) $(pline 13)"
cat "$SCRATCH/pre.mig" "$SCRATCH/final.mig" >"$SCRATCH/precopy.mig"
check_eq "the stream: a pre-copy record, then the final one, each with its crc" \
	"flags=0x1 crc_ok=1 flags=0x0 crc_ok=1" \
	"$($MIGSTREAM "$SCRATCH/precopy.mig" show | grep -oE 'flags=0x[0-9a-f]+ crc_ok=[01]' | paste -sd' ')"
calls=$(counter "$EDU_B" hook.mig_load.calls)
check_eq "B loads both records; the final one's liveness wins" \
	"RESUMING +fd $((2 * (HDR + 48))) bytes RUNNING RUNNING 0xdddddddd" \
	"$(load "$SCRATCH/precopy.mig" RUNNING bar-read 0 0x04 4 | paste -sd' ')"
check_eq "...with one mig_load per record" $((calls + 2)) "$(counter "$EDU_B" hook.mig_load.calls)"
check_eq "PRE_COPY -> RUNNING ends the session: its fd reads ENODEV" \
	"PRE_COPY +fd RUNNING error ENODEV RUNNING" \
	"$(op "$EDU_A" mig-set PRE_COPY mig-set RUNNING mig-read "$SCRATCH/cancel.mig" mig-state | paste -sd' ')"

# --- streams the destination refuses -------------------------------------------------
# refused NAME FILE REASON write|arc: B refuses FILE, says REASON, and
# resets to RUNNING.  A stream known to be bad once written fails the write
# itself (so that the VMM's load fails); one that is too short fails the
# arc out of RESUMING.
refused() {
	local before out written
	before=$(counter "$EDU_B" migration.refused)
	echo "vfio-pci-bpf test: loading $1" >/dev/kmsg
	out=$("$CLIENT" "$EDU_B" mig-set RESUMING mig-write "$2" mig-set RUNNING mig-state reset \
		mig-state | sed 's/.* = //' | paste -sd' ')
	written="$(stat -c %s "$2") bytes"
	[ "$4" = write ] && written="error EINVAL"
	check_eq "$1: refused at the $4 with EINVAL, ERROR until reset, then RUNNING" \
		"RESUMING +fd $written error EINVAL ERROR 0x0 RUNNING" "$out"
	check "$1: the kernel log says why ($3)" \
		grep -q "migration stream refused: $3" <(dmesg | sed -n "/loading $1\$/,\$p")
	check_eq "$1: counted as refused" $((before + 1)) "$(counter "$EDU_B" migration.refused)"
}
$MIGSTREAM "$SCRATCH/edu.mig" flip 3 "$SCRATCH/corrupt.mig"
refused "a flipped payload byte" "$SCRATCH/corrupt.mig" "checksum mismatch" write
head -c $((HDR + 20)) "$SCRATCH/edu.mig" >"$SCRATCH/short.mig"
refused "a truncated payload" "$SCRATCH/short.mig" "truncated payload" arc
head -c 30 "$SCRATCH/edu.mig" >"$SCRATCH/shorter.mig"
refused "a truncated header" "$SCRATCH/shorter.mig" "truncated header" arc
$MIGSTREAM "$SCRATCH/edu.mig" set magic 0x12345678 "$SCRATCH/magic.mig"
refused "a foreign magic" "$SCRATCH/magic.mig" "bad magic" write
$MIGSTREAM "$SCRATCH/edu.mig" set version 2 "$SCRATCH/version.mig"
refused "a future format version" "$SCRATCH/version.mig" "unknown format version" write
$MIGSTREAM "$SCRATCH/edu.mig" set policy other_policy "$SCRATCH/policy.mig"
refused "another policy's stream" "$SCRATCH/policy.mig" "saved by another policy" write
$MIGSTREAM "$SCRATCH/edu.mig" set device 0x10ca "$SCRATCH/device.mig"
refused "another device's stream" "$SCRATCH/device.mig" "saved from another kind of device" write
$MIGSTREAM "$SCRATCH/edu.mig" set payload_len 0x10000 "$SCRATCH/big.mig"
refused "a payload above mig_size" "$SCRATCH/big.mig" "payload larger than this policy's mig_size" write
$MIGSTREAM "$SCRATCH/edu.mig" set payload_len 40 "$SCRATCH/trailing.mig"
refused "trailing bytes" "$SCRATCH/trailing.mig" "trailing bytes after the payload" write
refused "a pre-copy record alone" "$SCRATCH/pre.mig" "no final record after the pre-copy record" arc
cat "$SCRATCH/pre.mig" "$SCRATCH/pre.mig" >"$SCRATCH/twice.mig"
refused "two pre-copy records" "$SCRATCH/twice.mig" "a second pre-copy record" write
$MIGSTREAM "$SCRATCH/edu.mig" set flags 0x2 "$SCRATCH/flags.mig"
refused "an unknown record flag" "$SCRATCH/flags.mig" "unknown record flags" write
head -c 4096 /dev/zero >"$SCRATCH/long.mig"
check_eq "an over-long stream: the write fails with EFBIG, then the arc" \
	"RESUMING +fd error EFBIG error EFBIG ERROR" "$(load "$SCRATCH/long.mig" | paste -sd' ')"
check_eq "after every refusal B still loads a good stream" "RUNNING 0xedcba987" \
	"$(load "$SCRATCH/edu.mig" RUNNING bar-read 0 0x04 4 | tail -n2 | paste -sd' ')"

# --- owners that fail --------------------------------------------------------------
detach_pin /sys/fs/bpf/mig
# vfio keeps calling a device's migration ops once it had them (its debugfs
# does): they stay, and answer that nothing migrates.
check_eq "without its owner A advertises no migration again" "0x0" "$(op "$EDU_A" mig-flags)"
check_eq "...and every migration request fails with ENODEV" "error ENODEV error ENODEV" \
	"$(op "$EDU_A" mig-state mig-set STOP | paste -sd' ')"
check "attach mig_fail (save fails with EIO) to A" "$CTL" attach \
	"$TEST_POLICIES/mig_fail.bpf.o" --target "$EDU_A" --set fail_save=1 --pin /sys/fs/bpf/fail
check_eq "an owner without MIG_P2P and MIG_PRE_COPY advertises STOP_COPY alone" 0x1 \
	"$(op "$EDU_A" mig-flags)"
check_eq "...so RUNNING_P2P and PRE_COPY are refused with EINVAL" "error EINVAL error EINVAL" \
	"$(op "$EDU_A" mig-set RUNNING_P2P mig-set PRE_COPY | paste -sd' ')"
check_eq "a failing mig_save after mig_state took the arc: its errno, then ERROR until reset" \
	"STOP error EIO ERROR 0x0 RUNNING" \
	"$(op "$EDU_A" mig-set STOP mig-set STOP_COPY mig-state reset mig-state | paste -sd' ')"
detach_pin /sys/fs/bpf/fail
check "attach mig_fail (writes past mig_size)" "$CTL" attach "$TEST_POLICIES/mig_fail.bpf.o" \
	--target "$EDU_A" --set overfill=1 --pin /sys/fs/bpf/fail
check_eq "mig_write past mig_size: ENOSPC" "error ENOSPC" "$(op "$EDU_A" mig-set STOP_COPY)"
detach_pin /sys/fs/bpf/fail
check "attach mig_fail (quiesce refuses)" "$CTL" attach "$TEST_POLICIES/mig_fail.bpf.o" \
	--target "$EDU_A" --set fail_quiesce=1 --pin /sys/fs/bpf/fail
check_eq "a refused quiesce fails RUNNING -> STOP; the device stays RUNNING" \
	"error EBUSY RUNNING" "$(op "$EDU_A" mig-set STOP mig-state | paste -sd' ')"
detach_pin /sys/fs/bpf/fail

# An owner that refuses arcs out of the saving states, once each: the state
# and the data fd stay as they were, and the VMM's retry goes through.
# flaky STATES... -- OPS...: the answers with mig_flaky refusing arcs out of STATES.
flaky() {
	local mask=0 s
	while [ "$1" != -- ]; do
		s=$(awk -v n="$1" 'BEGIN { split("ERROR STOP RUNNING STOP_COPY RESUMING RUNNING_P2P PRE_COPY PRE_COPY_P2P", a, " "); for (i in a) if (a[i] == n) print i - 1 }')
		mask=$((mask | (1 << s)))
		shift
	done
	shift
	"$CTL" attach "$TEST_POLICIES/mig_flaky.bpf.o" --target "$EDU_A" --set refuse_from=$mask \
		--pin /sys/fs/bpf/flaky >/dev/null || return 1
	op "$EDU_A" "$@" | paste -sd' '
	rm -f /sys/fs/bpf/flaky
	wait_links_below 1
}
check_eq "STOP_COPY -> STOP refused: still STOP_COPY, the fd still reads; the retry stops" \
	"STOP STOP_COPY +fd error EBUSY STOP_COPY 64 bytes STOP" \
	"$(flaky STOP_COPY -- mig-set STOP mig-set STOP_COPY mig-set STOP mig-state \
		mig-read "$SCRATCH/f" mig-set STOP)"
check_eq "PRE_COPY -> RUNNING refused: still PRE_COPY with its fd; the retry runs" \
	"PRE_COPY +fd error EBUSY PRE_COPY 64 bytes, then ENOMSG RUNNING" \
	"$(flaky PRE_COPY -- mig-set PRE_COPY mig-set RUNNING mig-state mig-read "$SCRATCH/f" \
		mig-set RUNNING)"
check_eq "PRE_COPY -> STOP_COPY refused on each arc: the final record still joins the fd" \
	"PRE_COPY +fd 64 bytes, then ENOMSG error EBUSY PRE_COPY error EBUSY PRE_COPY_P2P STOP_COPY 64 bytes STOP" \
	"$(flaky PRE_COPY PRE_COPY_P2P -- mig-set PRE_COPY mig-read "$SCRATCH/f" \
		mig-set STOP_COPY mig-state mig-set STOP_COPY mig-state mig-set STOP_COPY \
		mig-read "$SCRATCH/f" mig-set STOP)"
check_eq "PRE_COPY_P2P -> RUNNING_P2P refused: still PRE_COPY_P2P with its fd; the retry" \
	"RUNNING_P2P PRE_COPY_P2P +fd error EBUSY PRE_COPY_P2P 64 bytes, then ENOMSG RUNNING_P2P RUNNING" \
	"$(flaky PRE_COPY_P2P -- mig-set RUNNING_P2P mig-set PRE_COPY_P2P mig-set RUNNING_P2P \
		mig-state mig-read "$SCRATCH/f" mig-set RUNNING_P2P mig-set RUNNING)"

# Every reset leaves the device RUNNING without a data fd, not only
# VFIO_DEVICE_RESET: here the PCI core's own, through sysfs, while a VMM
# holds the device in STOP_COPY.
check "attach mig_flaky refusing nothing" "$CTL" attach "$TEST_POLICIES/mig_flaky.bpf.o" \
	--target "$EDU_A" --pin /sys/fs/bpf/flaky
mkfifo "$SCRATCH/go"
"$CLIENT" "$EDU_A" mig-set STOP_COPY pause mig-state mig-read "$SCRATCH/f" \
	<"$SCRATCH/go" >"$SCRATCH/paused" 2>&1 &
exec 7>"$SCRATCH/go"
wait_for_line "$SCRATCH/paused" "pause = waiting"
check "reset A through sysfs while it is in STOP_COPY" sh -c "echo 1 >/sys/bus/pci/devices/$EDU_A/reset"
echo go >&7
exec 7>&-
wait
check_eq "after the reset: RUNNING, and the old data fd is gone" \
	"STOP_COPY +fd waiting RUNNING error ENODEV" "$(sed -n 's/.* = //p' "$SCRATCH/paused" | paste -sd' ')"
detach_pin /sys/fs/bpf/flaky
unbind "$EDU_A"
unbind "$EDU_B"
finish
