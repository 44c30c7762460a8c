#!/bin/sh
# Records whether the Linux verifier (on this host, no offload device) accepts each capability test
# object, into test/fixtures/capability/kernel.json. Root, bpffs at /sys/fs/bpf, bpftool.
#   sh test/kernel/record-capability.sh
# The capability tests check that nicsim's safety verifier agrees before any capability rule runs.
set -eu
cd "$(dirname "$0")/../fixtures/capability"
pin=/sys/fs/bpf/nicsim_cap_rec
out=kernel.json
trap 'rm -rf "$pin"' EXIT
printf '{\n' > "$out.tmp"
first=1
for o in *.o; do
	rm -rf "$pin"
	mkdir -p "$pin"
	if msg=$(bpftool prog loadall "$o" "$pin" 2>&1); then ok=true; else ok=false; fi
	[ $first = 1 ] || printf ',\n' >> "$out.tmp"
	first=0
	printf '  "%s": { "accepted": %s }' "$o" "$ok" >> "$out.tmp"
	[ "$ok" = true ] || echo "$o: refused: $(echo "$msg" | tail -n 4)" >&2
done
printf '\n}\n' >> "$out.tmp"
mv "$out.tmp" "$out"
cat "$out"
