#!/usr/bin/env bash
# The whole suite: host unit tests, then each VM test in its own VM.
# Prints one line per test with its skips and figures, plus its whole log
# when it failed (or always, with VERBOSE=1), and keeps every log in
# $BUILD/test-logs.  Ends with
# "N passed, N failed, N skipped" and a non-zero status on any failure.
# usage: run-all.sh [VM-TEST-NAME...]   (e.g. parity sriov)
#        run-all.sh --unit               (the host unit tests alone)
set -uo pipefail
unit_only=
if [ "${1:-}" = --unit ]; then
	unit_only=1
	shift
fi
here=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-$here/../build}
logs=$(realpath -m "$BUILD/test-logs")
rm -rf "$logs"
mkdir -p "$logs"
# A full disk makes VM runs fail in odd places; say so up front.
free_mb=$(df -Pm "$logs" | awk 'NR==2{print $4}')
[ "$free_mb" -ge 500 ] || echo "warning: only $free_mb MB free under $logs"
passed=0
failed=0
skipped=0
failed_names=()

log_of() { echo "$logs/${1//\//-}.log"; }

# report NAME STATUS PASSED FAILED SKIPPED SECONDS: one test's line.
report() {
	local name=$1 rc=$2 p=$3 f=$4 s=$5 log
	log=$(log_of "$name")
	# A run that died without naming a failed check still failed.
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		f=1
		echo "FAIL $name: exited $rc" >>"$log"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	printf '%-20s %3d passed, %d failed, %d skipped (%d s)\n' "$name" "$p" "$f" "$s" "$6"
	if [ "$f" != 0 ]; then
		failed_names+=("$name")
		sed 's/^/    /' "$log"
	elif [ -n "${VERBOSE:-}" ]; then
		sed 's/^/    /' "$log"
	else
		# Skips say why; indented lines are a test's own figures.
		grep -E '^(skip |    )' "$log" | sed 's/^/    /'
	fi
}

# run_checks NAME COMMAND...: a test that prints "ok", "FAIL" and "skip" lines.
run_checks() {
	local name=$1 log start=$SECONDS rc
	shift
	log=$(log_of "$name")
	"$@" >"$log" 2>&1
	rc=$?
	report "$name" "$rc" "$(grep -c '^ok ' "$log")" "$(grep -c '^FAIL ' "$log")" \
		"$(grep -c '^skip ' "$log")" $((SECONDS - start))
}

# run_cmocka NAME BINARY: "[       OK ] test" per pass, "[  FAILED  ] test" per failure.
run_cmocka() {
	local name=$1 log start=$SECONDS rc
	log=$(log_of "$name")
	CMOCKA_MESSAGE_OUTPUT=stdout "$2" >"$log" 2>&1
	rc=$?
	report "$name" "$rc" "$(grep -c '^\[       OK \]' "$log")" \
		"$(grep -c '^\[  FAILED  \] [a-z_]' "$log")" 0 $((SECONDS - start))
}

if [ $# = 0 ]; then
	for t in "$BUILD"/tests/unit/test_*; do
		[ -x "$t" ] && run_cmocka "unit/$(basename "$t")" "$t"
	done
	for t in "$here"/host/t-*.sh; do
		[ -z "$unit_only" ] || break
		run_checks "host/$(basename "$t" .sh | sed 's/^t-//')" env BUILD="$BUILD" bash "$t"
	done
fi

vm_tests=("$@")
if [ ${#vm_tests[@]} = 0 ] && [ -z "$unit_only" ]; then
	for t in "$here"/vm/t-*.sh; do
		vm_tests+=("$(basename "$t" .sh | sed 's/^t-//')")
	done
fi
# A test states what its VM needs in "# vm-env: VAR=value ..." lines.
vm_env() { sed -n 's/^# vm-env: //p' "$here/vm/t-$1.sh"; }
for name in "${vm_tests[@]}"; do
	# shellcheck disable=SC2046
	run_checks "vm/$name" env BUILD="$BUILD" $(vm_env "$name") "$here/vm/run.sh" -- \
		bash "$here/vm/t-$name.sh"
done

echo "logs: $logs"
if [ ${#failed_names[@]} != 0 ]; then
	echo "failed: ${failed_names[*]}"
	for name in "${failed_names[@]}"; do
		grep -E '^(FAIL |vmtest: FAILED)' "$(log_of "$name")" | sed "s|^|  $name: |"
	done
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
