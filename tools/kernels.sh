#!/usr/bin/env bash
# The kernels the project is tested on, as Debian's archive has them today:
# the oldest and the newest 6.12 of bookworm (bookworm-security and
# -backports), the newest 6.12 of trixie, and the newest of each 7.x series
# in SERIES_7 that trixie-backports offers.  A new series is one more
# number in SERIES_7 (README: Requirements).
#
# usage: kernels.sh            every kernel of the list, one per line
#        kernels.sh --newest-7 the newest 7.x of the list
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BUILD=$(realpath -m "${BUILD:-$here/../build}")
SERIES_7=${SERIES_7:-7.2 7.3}
troot=$BUILD/roots/trixie

# headers KVER-REGEX: the amd64 kernels with a headers package, oldest first.
bookworm_headers() {
	apt-cache search --names-only "^linux-headers-$1-amd64\$" | awk '{print substr($1, 15)}' |
		sort -V
}
trixie_headers() {
	"$here/buildroot.sh" "$troot" run apt-cache search --names-only "^linux-headers-$1-amd64\$" |
		awk '{print substr($1, 15)}' | sort -V
}

"$here/buildroot.sh" "$troot" install >&2
newest7=
list=()
deb12=$(bookworm_headers '6\.12\.[0-9]+\+deb12')
list+=("$(echo "$deb12" | head -n1)" "$(echo "$deb12" | tail -n1)")
list+=("$(trixie_headers '6\.12\.[0-9]+\+deb13' | tail -n1)")
for s in $SERIES_7; do
	newest7=$(trixie_headers "${s//./\\.}\\.[0-9]+\\+deb13" | tail -n1)
	list+=("$newest7")
done
if [ "${1:-}" = --newest-7 ]; then
	echo "$newest7"
else
	printf '%s\n' "${list[@]}" | grep .
fi
