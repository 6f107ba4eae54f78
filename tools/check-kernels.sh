#!/usr/bin/env bash
# make check-kernels: the whole suite on each kernel (tools/kernels.sh, or
# the KVERs given), one after the other, then one table: a row per test, a
# column per kernel, each cell "passed/failed" (or "-" where the test did
# not run).  Each kernel's log is kept in $BUILD/check-kernels/KVER.log.
# usage: check-kernels.sh [KVER...]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
BUILD=$(realpath -m "${BUILD:-$repo/build}")
out=$BUILD/check-kernels
mkdir -p "$out"
if [ $# = 0 ]; then
	mapfile -t kernels < <("$here/kernels.sh")
else
	kernels=("$@")
fi
[ ${#kernels[@]} -gt 0 ] || { echo "check-kernels: no kernel to test"; exit 1; }

status=0
for k in "${kernels[@]}"; do
	echo "=== $k"
	if ! make -s -C "$repo" --no-print-directory BUILD="$BUILD" KVER="$k" check \
		>"$out/$k.log" 2>&1; then
		status=1
	fi
	# Keep each kernel's test logs apart: the next run starts afresh.
	rm -rf "$out/$k-logs"
	cp -r "$BUILD/test-logs" "$out/$k-logs" 2>/dev/null
	tail -n1 "$out/$k.log"
done

# One row per test: "NAME  N passed, N failed, ..." lines of run-all.sh.
logs=()
for k in "${kernels[@]}"; do logs+=("$out/$k.log"); done
echo
awk -v n="${#kernels[@]}" '
	FNR == 1 { col++ ; name[col] = FILENAME; sub(/.*\//, "", name[col]); sub(/\.log$/, "", name[col]) }
	$1 ~ /^(unit|host|vm)\// && $3 == "passed," {
		if (!($1 in seen)) { seen[$1] = 1; order[++rows] = $1 }
		cell[$1, col] = $2 "/" $4
	}
	END {
		printf "%-22s", "test (passed/failed)"
		for (c = 1; c <= n; c++) printf " %22s", name[c]
		printf "\n"
		for (r = 1; r <= rows; r++) {
			printf "%-22s", order[r]
			for (c = 1; c <= n; c++) printf " %22s", ((order[r], c) in cell) ? cell[order[r], c] : "-"
			printf "\n"
		}
	}' "${logs[@]}"
exit $status
