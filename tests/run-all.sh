#!/usr/bin/env bash
# The whole suite: host unit tests, then each VM test in its own VM.
# Ends with "N passed, N failed" and a non-zero status on any failure.
# usage: run-all.sh [VM-TEST-NAME...]   (e.g. parity sriov)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-$here/../build}
passed=0
failed=0
skipped=0
failed_names=()

count_lines() {
	local log=$1 name=$2 rc=$3 p f s
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^FAIL ' "$log")
	s=$(grep -c '^skip ' "$log")
	# A run that died without naming a failed check still failed.
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		f=1
		echo "FAIL $name: exited $rc"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	[ "$f" = 0 ] || failed_names+=("$name")
}

if [ $# = 0 ]; then
	for t in "$BUILD"/tests/unit/test_*; do
		[ -x "$t" ] || continue
		name=unit/$(basename "$t")
		echo "== $name"
		log=$(mktemp)
		CMOCKA_MESSAGE_OUTPUT=stdout "$t" >"$log" 2>&1
		rc=$?
		cat "$log"
		# cmocka: "[       OK ] name" per passing test, "[  FAILED  ] name" per failure.
		p=$(grep -c '^\[       OK \]' "$log")
		f=$(grep -c '^\[  FAILED  \] [a-z_]' "$log")
		if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
		passed=$((passed + p))
		failed=$((failed + f))
		[ "$f" = 0 ] || failed_names+=("$name")
		rm -f "$log"
	done
fi

if [ $# = 0 ]; then
	for t in "$here"/host/t-*.sh; do
		name=host/$(basename "$t" .sh | sed 's/^t-//')
		echo "== $name"
		log=$(mktemp)
		BUILD=$BUILD bash "$t" 2>&1 | tee "$log"
		count_lines "$log" "$name" "${PIPESTATUS[0]}"
		rm -f "$log"
	done
fi

vm_tests=("$@")
if [ ${#vm_tests[@]} = 0 ]; then
	for t in "$here"/vm/t-*.sh; do
		vm_tests+=("$(basename "$t" .sh | sed 's/^t-//')")
	done
fi
for name in "${vm_tests[@]}"; do
	echo "== vm/$name"
	log=$(mktemp)
	start=$(date +%s)
	BUILD=$BUILD "$here/vm/run.sh" -- bash "$here/vm/t-$name.sh" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	echo "-- vm/$name: $(($(date +%s) - start)) s"
	count_lines "$log" "vm/$name" "$rc"
	rm -f "$log"
done

[ ${#failed_names[@]} = 0 ] || echo "failed: ${failed_names[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
