#!/bin/sh
# plugin_path for the public bpf_conformance runner (github Alan-Jowett/bpf_conformance).
# The runner executes this file directly, without a shell, as
#     conformance-plugin.sh [<mem as hex bytes, each followed by two spaces>] [plugin options...]
# (the memory argument is absent when a test has no memory; options start with "--") and writes the
# program bytes as one hex line on stdin. It reads r0 in hex from stdout, or an error message when the
# exit status is non-zero. `nicsim conformance-plugin` implements that protocol; this wrapper only
# finds the checkout relative to itself and hands every argument over unchanged.
# (the folder by parameter expansion: the runner starts this once per test, and a dirname process
# per start is measurable)
case $0 in */*) dir=${0%/*} ;; *) dir=. ;; esac
here=$(CDPATH= cd -- "$dir" && pwd) || exit 4
exec node "$here/../../nic/nicsim.mjs" conformance-plugin "$@"
