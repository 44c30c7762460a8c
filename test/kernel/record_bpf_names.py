#!/usr/bin/env python3
"""Record the kernel's helper ids, map types and map flags from the installed UAPI header.

Writes test/fixtures/profiles/bpf-names.json, which test/profile/names.test.ts compares with
firmware/helpers/names.ts and nic/profile/map-types.ts, so `npm test` needs no header.

usage: python3 test/kernel/record_bpf_names.py [/usr/include/linux/bpf.h]
"""
import json
import os
import re
import subprocess
import sys

HEADER = sys.argv[1] if len(sys.argv) > 1 else "/usr/include/linux/bpf.h"
OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "profiles", "bpf-names.json")


def block(text, start_pat, end_pat):
    m = re.search(start_pat, text, re.S)
    if not m:
        sys.exit(f"pattern not found: {start_pat}")
    rest = text[m.end():]
    e = re.search(end_pat, rest, re.S)
    return rest[: e.start()] if e else rest


def helpers(text):
    body = block(text, r"#define __BPF_FUNC_MAPPER\(FN[^)]*\)\s*\\", r"\n\s*/\* \*/|\n\n")
    out = []
    for i, m in enumerate(re.finditer(r"FN\((\w+)(?:,\s*(\d+))?", body)):
        name, num = m.group(1), m.group(2)
        hid = int(num) if num is not None else i  # old headers number implicitly, new ones explicitly
        out.append([name, hid])
    return out


def enum_members(text, enum_name, prefix):
    body = block(text, r"enum " + enum_name + r"\s*\{", r"\};")
    out, nxt = [], 0
    for line in body.splitlines():
        line = re.sub(r"/\*.*?\*/", "", line).strip()
        m = re.match(r"(" + prefix + r"\w+)\s*(?:=\s*([^,]+))?,?", line)
        if not m:
            continue
        name, val = m.group(1), m.group(2)
        if name.startswith("__"):
            continue
        if val is not None:
            val = val.strip()
            sh = re.match(r"\(?\s*1U?\s*<<\s*(\d+)\s*\)?", val)
            nxt = 1 << int(sh.group(1)) if sh else int(val, 0)
        out.append([name[len(prefix):].lower(), nxt])
        nxt += 1
    return out


def map_flags(text):
    # The map_flags bits live in an anonymous enum that starts with BPF_F_NO_PREALLOC.
    body = block(text, r"enum\s*\{\s*\n\s*BPF_F_NO_PREALLOC", r"\};")
    body = "BPF_F_NO_PREALLOC" + body
    out = []
    for m in re.finditer(r"(BPF_F_\w+)\s*=\s*\(1U\s*<<\s*(\d+)\)", body):
        out.append([m.group(1)[len("BPF_F_"):].lower(), 1 << int(m.group(2))])
    return out


def main():
    text = open(HEADER).read()
    try:
        pkg = subprocess.run(["dpkg-query", "-W", "-f=${Package} ${Version}", "linux-libc-dev"],
                             capture_output=True, text=True).stdout.strip()
    except OSError:
        pkg = ""
    data = {
        "source": HEADER,
        "package": pkg,
        "helpers": helpers(text),
        "map_types": enum_members(text, "bpf_map_type", "BPF_MAP_TYPE_"),
        "map_flags": map_flags(text),
    }
    with open(OUT, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    print(f"{OUT}: {len(data['helpers'])} helpers, {len(data['map_types'])} map types, "
          f"{len(data['map_flags'])} map flags")


if __name__ == "__main__":
    main()
