#!/bin/bash
# docs/writing-a-policy.md, run as it stands on edu0: every ```c FILE block
# is written to FILE, every ```sh block runs in order and must succeed
# (```sh fails: must fail), and every line of the ```text block after it
# must appear in what it printed.
. "$(dirname "$0")/lib.sh"
DOC=$REPO/docs/writing-a-policy.md

check "module loads" load_module
check "bind edu0" bind "$EDU0" vfio-pci-bpf

# The tools the page names, as an installed system has them on PATH.
mkdir -p "$SCRATCH/bin" "$SCRATCH/work"
ln -s "$BPFTOOL" "$SCRATCH/bin/bpftool"
ln -s "$CTL" "$SCRATCH/bin/vfio-bpfctl"
ln -s "$CLIENT" "$SCRATCH/bin/vfio-client"
export PATH=$SCRATCH/bin:$PATH BDF=$EDU0 INCLUDE=$REPO/include

# Split the page into numbered blocks: kind (c/sh/fails/text), name, body.
awk -v dir="$SCRATCH/blocks" '
	BEGIN { system("mkdir -p " dir) }
	/^```/ && !open {
		open = 1; n++
		kind = $1; sub(/^```/, "", kind)
		if (kind == "sh" && $2 == "fails") kind = "fails"
		printf "%s %s\n", kind, $2 > (dir "/" n ".meta")
		next
	}
	/^```$/ && open { open = 0; next }
	open { print > (dir "/" n ".body") }
' "$DOC"

steps=0
last_out=
for meta in $(ls "$SCRATCH/blocks"/*.meta | sort -V); do
	n=$(basename "$meta" .meta)
	body=$SCRATCH/blocks/$n.body
	read -r kind name <"$meta"
	case $kind in
	c)
		cp "$body" "$SCRATCH/work/$name"
		;;
	sh | fails)
		steps=$((steps + 1))
		last_out=$SCRATCH/out.$n
		(cd "$SCRATCH/work" && bash -e "$body") >"$last_out" 2>&1
		rc=$?
		what="step $steps ($(head -n1 "$body" | cut -c1-60))"
		if [ "$kind" = sh ]; then
			check_eq "$what succeeds" 0 "$rc"
		else
			check "$what fails" test "$rc" != 0
		fi
		[ "$rc" = 0 ] || [ "$kind" = fails ] || sed 's/^/    /' "$last_out"
		;;
	text)
		while IFS= read -r line; do
			check "...it printed: $line" grep -qF -- "$line" "$last_out"
		done <"$body"
		;;
	esac
done
check "the page has its steps" test "$steps" -ge 7
no_policies() { [ -z "$(policies_of "$EDU0")" ]; }
check "the policy is gone after step 8" eventually 30 no_policies
finish
