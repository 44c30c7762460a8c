// Issue 13, item 6: the public library entry points throw typed errors (NicsimError with a code),
// never a plain TypeError / RangeError / Error, for empty programs, lengths that are not a multiple of
// 8 and a map-value lddw on a map without direct value access. The lddw cases are the kernel's
// answers (test/kernel/record-lddw-map-value.py): only a one-element array serves a map value.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkObject, profileRefs, verifierSafety } from '../../offload/capability/index.ts';
import type { ObjectSpec } from '../../offload/elf/index.ts';
import { isNicsimError } from '../../offload/errors.ts';
import { decodeProgram } from '../../offload/isa/index.ts';
import { verifyProgram } from '../../offload/verifier/index.ts';
import { loadForRun } from '../../nic/runtime/load.ts';
import { runRaw } from '../../firmware/vm/raw.ts';
import type { MapTypeName } from '../../nic/profile/index.ts';
import { mapSpec } from '../capability/helpers.ts';
import { rawXdpProgram } from './fuzz-fixture.ts';

interface LddwCase {
  map: MapTypeName;
  key: number;
  value: number;
  entries: number;
  off: number;
  accepted: boolean;
  errno: string | null;
  message: string | null;
}
const lddw = JSON.parse(readFileSync(new URL('../fixtures/verifier/lddw-map-value.json', import.meta.url), 'utf8')) as { cases: LddwCase[] };

/** r1 = map_value(map 0) + off (BPF_PSEUDO_MAP_IDX_VALUE); r0 = 0; exit */
function lddwProgram(off: number): Uint8Array {
  const b = new Uint8Array(32);
  const v = new DataView(b.buffer);
  b[0] = 0x18;
  b[1] = 0x61;
  v.setInt32(12, off, true);
  b[16] = 0xb7;
  b[24] = 0x95;
  return b;
}

const objectWith = (maps: ObjectSpec['maps'], insns: Uint8Array): ObjectSpec =>
  ({ name: 'lib', file: 'lib.o', license: 'GPL', maps, programs: [rawXdpProgram(insns)], btf: undefined }) as unknown as ObjectSpec;

function typedCode(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(isNicsimError(e), `${(e as Error).constructor.name}: ${(e as Error).message}`).toBe(true);
    return (e as { code: string }).code;
  }
  return 'none';
}

describe('library entry points throw typed errors', () => {
  const refs = profileRefs([new URL('../../configs/agilio-cx.yaml', import.meta.url).pathname]);
  it.each([
    ['an empty program', new Uint8Array(0), 'verify.empty'],
    ['7 bytes', new Uint8Array(7), 'isa.bad_length'],
    ['12 bytes', new Uint8Array(12), 'isa.bad_length'],
  ] as const)('%s: verifyProgram, checkObject and loadForRun', (_n, insns, code) => {
    const spec = objectWith([], insns);
    expect(typedCode(() => verifyProgram(spec, spec.programs[0]!))).toBe(code);
    expect(typedCode(() => checkObject(spec, refs, verifierSafety))).toBe(code);
    if (insns.length % 8) {
      expect(typedCode(() => loadForRun(spec, { cpus: 1 }))).toBe('isa.bad_length');
      expect(typedCode(() => decodeProgram(insns))).toBe('isa.bad_length');
      expect(typedCode(() => runRaw(insns, new Uint8Array(0)))).toBe('isa.bad_length');
    }
  });

  it('verifyProgram of a program name the object does not have', () => {
    expect(typedCode(() => verifyProgram(objectWith([], new Uint8Array(8)), 'nope'))).toBe('verify.no_program');
  });

  it('loadForRun (an unverified run) of a map-value lddw on a hash map', () => {
    const spec = objectWith([mapSpec({ name: 'h', type: 'hash', key: 4, value: 8, entries: 4 })], lddwProgram(0));
    expect(typedCode(() => loadForRun(spec, { cpus: 1 }))).toBe('load.map_value');
  });
});

describe('map-value lddw as the kernel decides it (map_direct_value_addr)', () => {
  it.each(lddw.cases.map((c) => [`${c.map} of ${c.entries} entries, off ${c.off}`, c] as const))('%s', (_n, c) => {
    const spec = objectWith([mapSpec({ name: 'm', type: c.map, key: c.key, value: c.value, entries: c.entries })], lddwProgram(c.off));
    const r = verifyProgram(spec, spec.programs[0]!, { withoutBtf: true, facts: false });
    expect(r.accepted).toBe(c.accepted);
    if (!c.accepted) {
      expect(r.error!.message).toBe(c.message);
      expect(r.error!.errno).toBe(c.errno);
    }
  });
});
