// The random-program fixtures of test/kernel/record-verifier-fuzz.py: reading them, and judging one
// program with nicsim's verifier the way the kernel was asked (a raw BPF_PROG_LOAD of an XDP program,
// no BTF, the fixture's maps). Shared by test/verifier/fuzz.test.ts and test/kernel/verifier-campaign.ts.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { ObjectSpec, ProgramSpec } from '../../offload/elf/index.ts';
import type { MapTypeName } from '../../nic/profile/index.ts';
import { mapSpec } from '../capability/helpers.ts';
import { verifyProgram } from '../../offload/verifier/index.ts';

/** accepted, final error line, processed insns, [max_states_per_insn, total_states, peak_states] */
export type Verdict = [accepted: boolean, error: string | null, insns: number, states: [perInsn: number, total: number, peak: number]];

export interface FuzzFixture {
  kernel: string;
  seed: number;
  maps: { name: string; type: number; typeName: string; keySize: number; valueSize: number; maxEntries: number }[];
  /** program bytes (hex), the root verdict, the CAP_BPF + CAP_NET_ADMIN verdict */
  programs: [hex: string, root: Verdict, unprivileged: Verdict][];
}

export function readFuzzFixture(path: string | URL): FuzzFixture {
  return JSON.parse(gunzipSync(readFileSync(path)).toString('utf8')) as FuzzFixture;
}

/** The object the fixture's programs refer to (map references are src=5 map indexes). */
export function fuzzObject(fx: FuzzFixture): ObjectSpec {
  const maps = fx.maps.map((m) => mapSpec({ name: m.name, type: m.typeName as MapTypeName, key: m.keySize, value: m.valueSize, entries: m.maxEntries }));
  return { name: 'fuzz', license: 'GPL', maps, programs: [], btf: undefined } as unknown as ObjectSpec;
}

/** An XDP program of raw instruction bytes, as the loader would give it (no BTF, no relocations). */
export function rawXdpProgram(insns: Uint8Array, name = 'fuzz'): ProgramSpec {
  return {
    name,
    section: 'xdp',
    sectionIndex: 0,
    autoload: true,
    type: 6,
    typeName: 'xdp',
    xdpFrags: false,
    match: 'exact',
    offset: 0,
    insns,
    funcs: [],
    lineInfo: [],
    mapRefs: [],
    unsupported: [],
  } as unknown as ProgramSpec;
}

/** One fixture program (hex). */
export const fuzzProgram = (hex: string): ProgramSpec => rawXdpProgram(Uint8Array.from(hex.match(/../g)!.map((x) => parseInt(x, 16))));

/** nicsim's answer in the fixture's form. */
export function judge(spec: ObjectSpec, hex: string, unprivileged: boolean): Verdict {
  const r = verifyProgram(spec, fuzzProgram(hex), { unprivileged, withoutBtf: true, facts: false });
  const s = r.stats;
  return [r.accepted, r.error?.message ?? null, r.insnsProcessed, [s.maxStatesPerInsn, s.totalStates, s.peakStates]];
}

export const sameVerdict = (a: Verdict, b: Verdict): boolean => JSON.stringify(a) === JSON.stringify(b);
