#!/usr/bin/env bash
# Fail when a guest dmesg shows a kernel problem: WARNING, BUG, Oops, a
# lockdep report or a BPF verifier/JIT error, unless a line of the allow
# file (extended regexes, one per line) says the test expected it.
# usage: dmesg-check.sh DMESG [ALLOW]
set -u
dmesg=$1
allow=${2:-/dev/null}
[ -e "$allow" ] || allow=/dev/null
bad='WARNING:|BUG:|BUG |Oops|general protection|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|lockdep|kernel BUG|Call Trace:|bpf.*(verifier|jit).*(error|fail)|UBSAN|KASAN|refcount_t:'
hits=$(grep -E "$bad" "$dmesg" | { if [ -s "$allow" ]; then grep -v -E -f "$allow"; else cat; fi; })
if [ -n "$hits" ]; then
	echo "dmesg-check: unexpected kernel messages:" >&2
	echo "$hits" >&2
	exit 1
fi
exit 0
