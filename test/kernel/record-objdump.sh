#!/bin/sh
# Records the disassembly truth for nicsim's `disasm --format llvm` and `--source`:
#   test/fixtures/objdump/<name>.txt    llvm-objdump-19 -d     <object>
#   test/fixtures/objdump/<name>.S.txt  llvm-objdump-19 -d -S  <object>
# for every examples/*.o and for extra disassembly-coverage objects built here from
# test/fixtures/objdump/src/ (cov_all_ops.s via llvm-mc-19; cov_v4.c at -mcpu=v4; cov_cpu.c at v1..v4).
# The coverage objects need not pass the verifier. Objects are named by path relative to the repository
# root, which is where llvm-objdump runs, so the "<file>:  file format" header line is stable.
# Usage: sh test/kernel/record-objdump.sh   (needs clang-19 and llvm-19; no root)
set -eu
cd "$(dirname "$0")/../.."
OUT=test/fixtures/objdump
SRC=$OUT/src
CFLAGS="-O2 -g -target bpf -I/usr/include/x86_64-linux-gnu"

# Build from inside src/ so the DWARF names the sources the way examples/build.sh does.
(
	cd "$SRC"
	llvm-mc-19 -triple bpfel -mcpu=v4 -filetype=obj cov_all_ops.s -o cov_all_ops.o
	clang-19 $CFLAGS -mcpu=v4 -c cov_v4.c -o cov_v4.o
	for v in v1 v2 v3 v4; do
		clang-19 $CFLAGS -mcpu=$v -c cov_cpu.c -o cov_cpu_$v.o
	done
)

n=0
for obj in examples/*.o "$SRC"/*.o; do
	name=$(basename "$obj" .o)
	llvm-objdump-19 -d "$obj" > "$OUT/$name.txt"
	llvm-objdump-19 -d -S "$obj" > "$OUT/$name.S.txt"
	n=$((n + 1))
done
echo "$n objects disassembled into $OUT"
