#!/bin/sh
# Rebuilds the validation workloads (programs equivalent to the workloads the XDP and hXDP papers
# measured, written from their descriptions). Run from anywhere: sh examples/workloads/build.sh
set -eu
cd "$(dirname "$0")"
CC=${CC:-clang-19}
CFLAGS="-O2 -g -target bpf -I/usr/include/x86_64-linux-gnu"
for src in wl_*.c; do
	obj=${src%.c}.o
	echo "$CC $CFLAGS -c $src -o $obj"
	$CC $CFLAGS -c "$src" -o "$obj"
done
