#!/usr/bin/env bash
# Fail when a guest dmesg shows a kernel problem: WARNING, BUG, Oops, a
# lockdep report, a slab or KFENCE report, a hang or stall, a leak seen at
# cache destruction, or a BPF verifier/JIT error, unless a line of the
# allow file (extended regexes, one per line) says the test expected it.
# usage: dmesg-check.sh DMESG [ALLOW] | dmesg-check.sh --patterns
set -u
bad='WARNING:|BUG:|BUG |Oops|general protection|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|lockdep|kernel BUG|Call Trace:|bpf.*(verifier|jit).*(error|fail)|UBSAN|KASAN|refcount_t:|KFENCE|Poison overwritten|Redzone|Object padding|Objects remaining|still has objects|blocked for more than|soft lockup|rcu: INFO|rcu.*detected stalls|timer wakeup didn.t happen|Kernel panic|page allocation failure|list_(add|del) corruption|double free'
if [ "${1:-}" = --patterns ]; then
	echo "$bad"
	exit 0
fi
dmesg=$1
allow=${2:-/dev/null}
[ -e "$allow" ] || allow=/dev/null
# The kernel command line names the detectors; it reports nothing.
hits=$(grep -E "$bad" "$dmesg" | grep -v -E '(Kernel c|C)ommand line:' | { if [ -s "$allow" ]; then grep -v -E -f "$allow"; else cat; fi; })
if [ -n "$hits" ]; then
	echo "dmesg-check: unexpected kernel messages:" >&2
	echo "$hits" >&2
	exit 1
fi
exit 0
