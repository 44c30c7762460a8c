#!/bin/bash
# plugin_path for the public bpf_conformance runner when one `nicsim conformance-plugin --serve PORT`
# answers every test (NICSIM_PLUGIN_PORT=PORT in the runner's environment): the runner starts this once
# per test, as it would start test/kernel/conformance-plugin.sh, and it hands the arguments and stdin
# over bash's /dev/tcp instead of starting Node. Same protocol, same answers (nic/cli/plugin-server.ts):
#     request "N\n" + N argument lines + "L\n" + L bytes of stdin; reply "CODE\n" + stdout + stderr lines
port=${NICSIM_PLUGIN_PORT:?set NICSIM_PLUGIN_PORT to the port of nicsim conformance-plugin --serve}
IFS= read -r -d '' input || true
exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 4
{
  printf '%s\n' "$#"
  [ $# -gt 0 ] && printf '%s\n' "$@"
  LC_ALL=C
  printf '%s\n%s' "${#input}" "$input"
} >&3
IFS= read -r code <&3 || exit 4
IFS= read -r out <&3
IFS= read -r err <&3
[ -n "$out" ] && printf '%s\n' "$out"
[ -n "$err" ] && printf '%s\n' "$err" >&2
exit "$code"
