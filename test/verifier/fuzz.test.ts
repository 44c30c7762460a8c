// Random XDP programs judged by the Linux 6.18 verifier (test/kernel/record-verifier-fuzz.py ->
// test/fixtures/verifier/fuzz.json.gz): value tracking through ALU chains and branches, then map,
// stack and packet accesses at computed offsets; packet comparisons; stack spills and fills; loops.
// nicsim must give the same verdict, final error line, processed-instruction count and state counts
// (max_states_per_insn, total_states, peak_states), as root and with CAP_BPF + CAP_NET_ADMIN only. (Of the ~100 programs that hit the 1,000,000-instruction limit
// unprivileged, where speculative paths keep loops from converging, one is replayed.)
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { MapSpec, ObjectSpec, ProgramSpec } from '../../offload/elf/index.ts';
import { verifyProgram } from '../../offload/verifier/index.ts';

type Verdict = [accepted: boolean, error: string | null, insns: number, states: [perInsn: number, total: number, peak: number]];
const fx = JSON.parse(gunzipSync(readFileSync(new URL('../fixtures/verifier/fuzz.json.gz', import.meta.url))).toString('utf8')) as {
  kernel: string;
  maps: { name: string; type: number; typeName: string; keySize: number; valueSize: number; maxEntries: number }[];
  programs: [hex: string, root: Verdict, unprivileged: Verdict][];
};

const maps = fx.maps.map(
  (m): MapSpec =>
    ({
      ...m,
      kernelName: m.name,
      flags: 0,
      pinning: 'none',
      mapExtra: 0,
      internal: null,
      readonly: false,
      frozen: false,
      initSlots: [],
      btfKeyTypeId: 0,
      btfValueTypeId: 0,
      definedIn: 'fuzz',
      location: {},
    }) as MapSpec,
);
const SPEC = { name: 'fuzz', license: 'GPL', maps, programs: [], btf: undefined } as unknown as ObjectSpec;
function program(hex: string): ProgramSpec {
  return {
    name: 'fuzz',
    section: 'xdp',
    sectionIndex: 0,
    autoload: true,
    type: 6,
    typeName: 'xdp',
    xdpFrags: false,
    match: 'exact',
    offset: 0,
    insns: Uint8Array.from(hex.match(/../g)!.map((x) => parseInt(x, 16))),
    funcs: [],
    lineInfo: [],
    mapRefs: [],
    unsupported: [],
  } as unknown as ProgramSpec;
}

describe(`random programs vs the kernel verifier (${fx.kernel})`, () => {
  for (const [mode, col] of [
    ['root', 1],
    ['CAP_BPF+CAP_NET_ADMIN only', 2],
  ] as const) {
    it(`${fx.programs.length} programs, ${mode}: verdict, error line, processed insns, state counts`, () => {
      const mismatches: string[] = [];
      let heavy = 0;
      fx.programs.forEach((row, i) => {
        const want = row[col];
        // Programs that run into the 1M-instruction limit take ~1 s each: check a few of them.
        if (want[2] > 20_000 && heavy++ >= 1) return;
        const r = verifyProgram(SPEC, program(row[0]), { unprivileged: col === 2, withoutBtf: true, facts: false });
        const s = r.stats;
        const got: Verdict = [r.accepted, r.error?.message ?? null, r.insnsProcessed, [s.maxStatesPerInsn, s.totalStates, s.peakStates]];
        if (JSON.stringify(got) !== JSON.stringify(want))
          mismatches.push(`#${i} kernel ${JSON.stringify(want)} nicsim ${JSON.stringify(got)}`);
      });
      expect(mismatches.slice(0, 10)).toEqual([]);
    });
  }
  it('covers accepted and rejected programs', () => {
    expect(fx.programs.filter((p) => p[1][0]).length).toBeGreaterThan(300);
    expect(fx.programs.filter((p) => !p[1][0]).length).toBeGreaterThan(1000);
  });
});
