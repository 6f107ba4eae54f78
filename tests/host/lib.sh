# Shared by the host tests: a scratch root removed at exit, and check().
set -u
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$repo/build}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
failed=0

# check NAME COMMAND...: "ok NAME", or "FAIL NAME" and the end of its output.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		echo "ok $name"
	else
		echo "FAIL $name"
		printf '%s\n' "$out" | tail -n 15 | sed 's/^/    /'
		failed=1
	fi
}
