#!/bin/bash
# The VM harness catches a broken guest by itself: a kernel panic fails
# the run at once with the report on show, and a guest that never
# finishes gets an NMI after VM_TIMEOUT and fails with every CPU's stack,
# after its blocked tasks and the state of its 9p queues (hang-dump.py).
set -u
here=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-$here/../../build}
RUN=$here/../vm/run.sh
out=$(mktemp)
trap 'rm -f "$out"' EXIT
failures=0
ok() { echo "ok $1"; }
fail() {
	echo "FAIL $1"
	sed 's/^/    /' "$out" | tail -n 30
	failures=$((failures + 1))
}

start=$SECONDS
BUILD=$BUILD "$RUN" -- sh -c 'echo c >/proc/sysrq-trigger' >"$out" 2>&1
rc=$?
echo "    panic: failed with status $rc after $((SECONDS - start)) s"
[ "$rc" != 0 ] && ok "a guest that panics fails the run" || fail "a guest that panics fails the run"
grep -q "the guest did not finish" "$out" && ok "...saying the guest did not finish" ||
	fail "...saying the guest did not finish"
grep -q "console from the first kernel report" "$out" && grep -q "Kernel panic" "$out" &&
	ok "...and showing the panic" || fail "...and showing the panic"

start=$SECONDS
BUILD=$BUILD VM_TIMEOUT=25 "$RUN" -- sleep 600 >"$out" 2>&1
rc=$?
echo "    hang: failed with status $rc after $((SECONDS - start)) s"
[ "$rc" != 0 ] && ok "a guest that never finishes fails the run" ||
	fail "a guest that never finishes fails the run"
grep -q "still running after 25 s; it got an NMI" "$out" && ok "...after VM_TIMEOUT, with an NMI" ||
	fail "...after VM_TIMEOUT, with an NMI"
grep -qE "NMI backtrace for cpu|Sending NMI from CPU" "$out" &&
	ok "...that printed every CPU's stack" || fail "...that printed every CPU's stack"
grep -q "sysrq: Show Blocked State" "$out" && ok "...its blocked tasks first (sysrq-w)" ||
	fail "...its blocked tasks first (sysrq-w)"
grep -qE '^virtio-9p .*"inuse": [0-9]+' "$out" && ok "...and the state of its 9p request queues" ||
	fail "...and the state of its 9p request queues"
[ "$failures" = 0 ]
