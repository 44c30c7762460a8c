// Features nicsim cannot resolve without a kernel (CO-RE against kernel types, kconfig/ksym externs,
// kfuncs) are reported by name with a source location; the one CO-RE kind that needs no kernel
// (TYPE_ID_LOCAL) is resolved.

import { readFileSync } from 'node:fs';
import { kfuncByName } from '../../offload/btf/kfuncs.ts';
import { describe, expect, it } from 'vitest';
import { isNicsimError } from '../../offload/errors.ts';
import type { NicsimError } from '../../offload/errors.ts';
import { loadObject } from '../../offload/elf/index.ts';
import { FIXTURES, objectBytes, truthText } from './helpers.ts';

function thrown(f: () => unknown): NicsimError {
  try {
    f();
  } catch (e) {
    if (isNicsimError(e)) return e;
    throw e;
  }
  throw new Error('expected an error');
}

/** 1-based line of the first source line containing `text`. */
function sourceLine(file: string, text: string): number {
  return readFileSync(`${FIXTURES}${file}`, 'utf8').split('\n').findIndex((l) => l.includes(text)) + 1;
}

describe('CO-RE relocations (core.o)', () => {
  it('fail the load by default, naming kind, type, access path and source line', () => {
    const e = thrown(() => loadObject(objectBytes('core'), 'core.o'));
    expect(e.code).toBe('elf.unsupported_core_relo');
    expect(e.exit).toBe(3);
    expect(e.reason).toMatch(/'field_byte_offset' against 'struct ethhdr___local' \(access path 0:2\) in 'core_field'/);
    // located in the object the user gave (issue 13), the C source line named in the reason
    expect(e.loc).toMatchObject({ file: 'core.o', section: 'xdp', pc: 6 });
    expect(e.reason).toContain(`(core.c:${sourceLine('core.c', 'eth->h_proto ==')})`);
    expect(e.message).toMatch(/^core\.o: section xdp: offset 0x[0-9a-f]+: pc 6: CO-RE relocation/);
  });

  it('are listed per program with allowUnsupported; TYPE_ID_LOCAL is resolved to the local type id', () => {
    const spec = loadObject(objectBytes('core'), 'core.o', { allowUnsupported: true });
    const u = Object.fromEntries(spec.programs.map((p) => [p.name, p.unsupported.map((d) => d.message.split(' is not')[0])]));
    expect(u).toEqual({
      core_field: ["CO-RE relocation 'field_byte_offset' against 'struct ethhdr___local' (access path 0:2) in 'core_field'"],
      core_type_id: [],
      core_exists: ["CO-RE relocation 'type_exists' against 'struct ethhdr___local' in 'core_exists'"],
      plain: [],
    });
    const id = Number(/^\[(\d+)\] STRUCT 'ethhdr___local'/m.exec(truthText('core', 'btf'))![1]);
    const p = spec.programs.find((x) => x.name === 'core_type_id')!;
    expect(p.insns[0]).toBe(0x18);
    expect(new DataView(p.insns.buffer, p.insns.byteOffset).getInt32(4, true)).toBe(id);
  });
});

describe('externs (externs.o)', () => {
  it('fail the load by default', () => {
    const e = thrown(() => loadObject(objectBytes('externs'), 'externs.o'));
    expect(e.code).toBe('elf.unsupported_extern');
    expect(e.reason).toMatch(/extern 'LINUX_KERNEL_VERSION' \(__kconfig\)/);
    expect(e.loc).toMatchObject({ file: 'externs.o' });
    expect(e.reason).toContain(`(externs.c:${sourceLine('externs.c', 'LINUX_KERNEL_VERSION >')})`);
  });

  it('are reported by kind and name', () => {
    const spec = loadObject(objectBytes('externs'), 'externs.o', { allowUnsupported: true });
    const u = Object.fromEntries(spec.programs.map((p) => [p.name, p.unsupported.map((d) => [d.code, d.message.split(' is not')[0]])]));
    expect(u).toEqual({
      uses_kconfig: [['elf.unsupported_extern', "extern 'LINUX_KERNEL_VERSION' (__kconfig)"]],
      uses_ksym: [['elf.unsupported_extern', "extern 'bpf_prog_active' (__ksym)"]],
      uses_kfunc: [],
      clean: [],
    });
    // a kfunc the recorded kernel has resolves to its BTF id there, as libbpf resolves it against vmlinux
    const k = spec.programs.find((p) => p.name === 'uses_kfunc')!;
    expect(k.kfuncs?.map((x) => [x.name, x.btfId])).toEqual([['bpf_xdp_metadata_rx_timestamp', kfuncByName('bpf_xdp_metadata_rx_timestamp')!.btfId]]);
  });
});

it('SEC("?...") programs are listed with autoload off', () => {
  const spec = loadObject(objectBytes('lazy'), 'lazy.o');
  expect(spec.programs.map((p) => [p.name, p.autoload, p.section])).toEqual([
    ['eager', true, 'xdp'],
    ['lazy', false, 'xdp'],
    ['lazy_tc', false, 'tc'],
  ]);
});
