// Helpers of the capability tests: XDP programs written as llvm-syntax assembly wrapped into an
// ObjectSpec (maps referenced with `ld_pseudo rD, 5, INDEX`), profiles derived from a shipped one
// with single keys changed, and the check itself (safety verifier, then the capability pass).
import { fileURLToPath } from 'node:url';
import { assemble, encodeProgram, jumpTarget } from '../../offload/isa/index.ts';
import { loadObjectFile, type MapSpec, type ObjectSpec, type ProgramSpec } from '../../offload/elf/index.ts';
import { listShippedProfiles, loadProfile, MAP_TYPE_IDS, type MapTypeName, type Profile } from '../../nic/profile/index.ts';
import { type CapabilityFacts, type CheckResult, type RegView, checkObject, checkProgram, verifierSafety } from '../../offload/capability/index.ts';

export const fixtures = fileURLToPath(new URL('../fixtures/capability/', import.meta.url));
export const examples = fileURLToPath(new URL('../../examples/', import.meta.url));

export interface MapDef {
  name: string;
  type: MapTypeName;
  key: number;
  value: number;
  entries: number;
  flags?: number;
}

export function mapSpec(d: MapDef): MapSpec {
  return {
    name: d.name,
    kernelName: d.name.slice(0, 15),
    type: MAP_TYPE_IDS[d.type],
    typeName: d.type,
    keySize: d.key,
    valueSize: d.value,
    maxEntries: d.entries,
    flags: d.flags ?? 0,
    pinning: 'none',
    mapExtra: 0,
    internal: null,
    readonly: false,
    frozen: false,
    initSlots: [],
    btfKeyTypeId: 0,
    btfValueTypeId: 0,
    definedIn: 'test',
    location: {},
  };
}

/** An object with one XDP program assembled from llvm-syntax text. */
export function asmObject(text: string, maps: MapDef[] = [], name = 'prog'): { spec: ObjectSpec; program: ProgramSpec } {
  const slots = assemble(text, { syntax: 'llvm', file: `${name}.s` });
  const insns = encodeProgram(slots);
  const starts = new Set<number>([0]);
  const mapRefs: ProgramSpec['mapRefs'] = [];
  slots.forEach((i, pc) => {
    if (i?.kind === 'call' && i.callee === 'local') starts.add(jumpTarget(i, pc));
    if (i?.kind === 'lddw' && (i.pseudo === 5 || i.pseudo === 6)) mapRefs.push({ pc, map: i.imm, kind: i.pseudo === 5 ? 'map' : 'value', offset: i.imm2 });
  });
  const sorted = [...starts].sort((a, b) => a - b);
  const funcs = sorted.map((pc, k) => ({ name: k === 0 ? name : `sub${pc}`, pc, length: (sorted[k + 1] ?? slots.length) - pc, section: 'xdp', sectionPc: pc, global: k === 0, hidden: false }));
  const program: ProgramSpec = {
    name,
    section: 'xdp',
    sectionIndex: 1,
    autoload: true,
    type: 6,
    typeName: 'xdp',
    xdpFrags: false,
    match: 'exact',
    offset: 0,
    insns,
    funcs,
    lineInfo: [],
    mapRefs,
    unsupported: [],
  };
  const spec: ObjectSpec = { file: `${name}.s`, name, license: 'GPL', programs: [program], maps: maps.map(mapSpec), warnings: [] };
  return { spec, program };
}

const shipped = new Map(listShippedProfiles().map((s) => [s.id, s.file]));

export function profile(id: string): Profile {
  return loadProfile(shipped.get(id)!);
}

/** A copy of a profile with the value at a dotted key path replaced. */
export function withKey(base: Profile, path: string, value: unknown): Profile {
  const p = structuredClone(base) as unknown as Record<string, unknown>;
  const parts = path.split('.');
  let o = p;
  for (const k of parts.slice(0, -1)) {
    if (typeof o[k] !== 'object' || o[k] === null) o[k] = {};
    o = o[k] as Record<string, unknown>;
  }
  o[parts[parts.length - 1]!] = value;
  return p as unknown as Profile;
}

export function checkAsm(text: string, prof: Profile, maps: MapDef[] = []): CheckResult {
  const { spec, program } = asmObject(text, maps);
  return checkProgram(spec, program, { name: prof.name, profile: prof }, verifierSafety);
}

export function checkFile(path: string, prof: Profile, program?: string): CheckResult[] {
  return checkObject(loadObjectFile(path), [{ name: prof.name, profile: prof }], verifierSafety, program);
}

export function codes(r: CheckResult): string[] {
  return r.findings.map((f) => f.code);
}

/**
 * Facts written by hand, for rules whose programs the safety verifier refuses (e.g. stores to xdp_md
 * fields other than rx_queue_index). Every pc is reachable; registers not listed are unknown scalars.
 */
export function handFacts(regs: Record<number, Record<number, Partial<RegView>>>): CapabilityFacts {
  const U = (1n << 64n) - 1n;
  const unknown: RegView = { kinds: ['scalar'], maps: [], offMin: 0, offMax: 0, var: { value: 0n, mask: U }, varConstEveryVisit: false, umin: 0n, umax: U, smin: -(1n << 63n), smax: (1n << 63n) - 1n };
  return {
    reachable: () => true,
    reg: (pc, r) => ({ ...unknown, ...(regs[pc]?.[r] ?? {}) }),
    stackDepth: () => 0,
    maxPacketOffset: 0,
  };
}
