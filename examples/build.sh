#!/bin/sh
# Rebuilds every example object. Run from anywhere: sh examples/build.sh
# Objects listed in V4 are compiled with -mcpu=v4; the rest use clang's default CPU (v1 for -target bpf in clang 19).
set -eu
cd "$(dirname "$0")"
CC=${CC:-clang-19}
CFLAGS="-O2 -g -target bpf -I/usr/include/x86_64-linux-gnu"
V4="xdp_firewall xdp_ratelimit xdp_redirect xdp_subprog"
for src in xdp_*.c; do
	obj=${src%.c}.o
	name=${src%.c}
	cpu=""
	for v in $V4; do [ "$v" = "$name" ] && cpu="-mcpu=v4"; done
	echo "$CC $CFLAGS $cpu -c $src -o $obj"
	$CC $CFLAGS $cpu -c "$src" -o "$obj"
done
