# Sourced by the scripts that reach Debian's archive on their own (deps.sh,
# buildroot.sh, tests/fresh-machine.sh): where the host's apt finds it, so
# that no host name is ever written down in the project.

# archive_uri SUITE: the URI the host's apt sources give SUITE (e.g.
# bookworm, bookworm-security), in deb822 or one-line form; empty if none.
archive_uri() {
	local suite=$1 f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -e "$f" ] || continue
		awk -v s="$suite" '/^URIs:/ { u = $2 }
			/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s) { print u; exit } }' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -e "$f" ] || continue
		awk -v s="$suite" '$1 == "deb" && $3 == s { print $2; exit }' "$f"
	done
}

# debian_sources CODENAME SUFFIX...: deb822 sources for CODENAME, its
# CODENAME-SUFFIX suites (updates, backports) and its security suite, from
# the URIs the host uses for bookworm and bookworm-security.
debian_sources() {
	local codename=$1 main security suites=$1 x
	shift
	for x in "$@"; do suites="$suites $codename-$x"; done
	main=$(archive_uri bookworm | head -n1)
	security=$(archive_uri bookworm-security | head -n1)
	if [ -z "$main" ]; then
		echo "no bookworm archive URI in the host's apt sources" >&2
		return 1
	fi
	printf '%s\n' "Types: deb" "URIs: $main" "Suites: $suites" "Components: main" \
		"Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
	[ -n "$security" ] || return 0
	printf '%s\n' "" "Types: deb" "URIs: $security" "Suites: $codename-security" \
		"Components: main" "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
}
