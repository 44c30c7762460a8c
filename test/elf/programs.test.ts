// Program specs against libbpf's final instructions for the same objects (bpf_program__insns after
// bpf_object__load: subprograms appended, calls and map references relocated), against what the
// kernel reports after `bpftool prog loadall` (types, names, maps used, BTF functions and line info
// as `bpftool prog dump xlated linum` shows them), and against llvm-objdump's bytes of every function.

import { describe, expect, it } from 'vitest';
import { loadObject } from '../../offload/elf/index.ts';
import type { MapSpec, ObjectSpec, ProgramSpec } from '../../offload/elf/index.ts';
import { hex, kernelRecord, objdumpFunctions, objectBytes, readobj } from './helpers.ts';

const load = (name: string) => loadObject(objectBytes(name), `${name}.o`, { allowUnsupported: true });
const libbpfName = (m: MapSpec) => (m.internal ? m.kernelName : m.name);

/** Our instructions in libbpf's form: map lddws as src 1 (map fd) / 2 (map value) with imm 0. */
function asLibbpf(spec: ObjectSpec, p: ProgramSpec) {
  const b = p.insns.slice();
  const refs = p.mapRefs.map((r) => {
    const at = r.pc * 8;
    b[at + 1] = (b[at + 1]! & 0x0f) | ((r.kind === 'map' ? 1 : 2) << 4);
    b.fill(0, at + 4, at + 8);
    return { pc: r.pc, src: r.kind === 'map' ? 1 : 2, map: libbpfName(spec.maps[r.map]!), offset: r.offset };
  });
  return { insns: hex(b), refs };
}

/** Programs in which the kernel verifier removes dead code (branches on const volatile globals). */
const DEAD_CODE = new Set(['maps/use_maps']);

const RECORDED = ['maps', 'calls', 'calls_v4', 'nobtf', 'core', 'lazy'] as const;

describe.each(RECORDED)('%s.o against libbpf', (name) => {
  const spec = load(name);
  const lib = kernelRecord(name).libbpf.programs!;

  it('finds the same programs, in the same order', () => {
    expect(spec.programs.map((p) => p.name)).toEqual(lib.map((p) => p.name));
  });

  it.each(lib.map((p) => [p.name, p] as const))('%s: section, type, attach type, autoload', (n, l) => {
    const p = spec.programs.find((x) => x.name === n)!;
    expect({ section: p.section, type: p.type, attach: p.attachType ?? 0, autoload: p.autoload })
      .toEqual({ section: l.section, type: l.type, attach: l.expected_attach_type, autoload: l.autoload });
  });

  it.each(lib.map((p) => [p.name, p] as const))('%s: relocated instructions and map references', (n, l) => {
    const p = spec.programs.find((x) => x.name === n)!;
    const ours = asLibbpf(spec, p);
    expect(ours.insns).toBe(l.insns);
    expect(ours.refs).toEqual(l.map_refs);
  });
});

describe.each(['maps', 'calls', 'calls_v4', 'nobtf', 'core'] as const)('%s.o against the kernel (bpftool prog loadall)', (name) => {
  const spec = load(name);
  const k = kernelRecord(name).bpftool!;

  it('loads as many programs as the kernel got', () => {
    expect(spec.programs.filter((p) => p.autoload).map((p) => p.name).sort()).toEqual(k.programs.map((p) => p.pin).sort());
  });

  it.each(k.programs.map((p) => [p.pin, p] as const))('%s: type, name, maps used', (pin, kp) => {
    const p = spec.programs.find((x) => x.name === pin)!;
    expect(p.typeName).toBe(kp.type);
    expect(p.name.slice(0, 15)).toBe(kp.name);
    // libbpf also binds every .rodata* map to every program (BPF_PROG_BIND_MAP, for metadata
    // variables), so the kernel lists those as used even where the code does not refer to them.
    const rodata = spec.maps.filter((m) => m.internal === 'rodata').map((m) => m.kernelName);
    const used = [...new Set([...p.mapRefs.map((r) => spec.maps[r.map]!.kernelName), ...rodata])].sort();
    expect(used).toEqual(kp.maps);
  });

  it('BTF FUNC linkage as the kernel holds it (hidden globals become static)', () => {
    const seen = new Map<string, string>();
    for (const p of spec.programs) for (const f of p.funcs) if (f.btfLinkage) seen.set(f.name, f.btfLinkage);
    for (const [n, l] of seen) expect(`${n}: ${l}`).toBe(`${n}: ${k.func_linkage[n]}`);
    if (name === 'calls') expect(seen.get('hidden_sum')).toBe('static');
  });

  it.each(k.programs.map((p) => [p.pin, p] as const))('%s: BTF functions and line info as the kernel holds them', (pin, kp) => {
    const p = spec.programs.find((x) => x.name === pin)!;
    expect(p.funcs.filter((f) => f.btfName).map((f) => f.btfName)).toEqual(kp.funcs.map((f) => /(\w+)\(/.exec(f)![1]));
    const ours = p.lineInfo.map((l) => ({ file: l.file, line: l.line, col: l.col, src: l.text.trimStart() }));
    const kernel = kp.lines.map((l) => ({ file: l.file, line: l.line, col: l.col, src: l.src }));
    if (DEAD_CODE.has(`${name}/${pin}`)) {
      // The verifier removed the branches that const .rodata made dead, with their line info.
      let i = 0;
      for (const l of ours) if (i < kernel.length && JSON.stringify(l) === JSON.stringify(kernel[i])) i++;
      expect(i).toBe(kernel.length);
      expect(kernel.length).toBeLessThan(ours.length);
    } else {
      expect(ours).toEqual(kernel);
    }
  });
});

describe.each(['maps', 'calls', 'calls_v4', 'nobtf', 'core', 'lazy', 'legacy', 'externs'] as const)('%s.o against llvm-objdump', (name) => {
  const spec = load(name);
  const dumped = objdumpFunctions(name);

  it('every placed function carries its own bytes, except where relocated', () => {
    let compared = 0;
    for (const p of spec.programs) {
      const relocated = new Set(p.mapRefs.map((r) => r.pc));
      for (const f of p.funcs) {
        const d = dumped.find((x) => x.section === f.section && x.name === f.name && x.offset === f.sectionPc * 8);
        expect(d, `${p.name}: ${f.name}`).toBeDefined();
        expect(d!.bytes.length).toBe(f.length * 8);
        for (let i = 0; i < f.length; i++) {
          const at = (f.pc + i) * 8;
          const op = p.insns[at]!;
          const src = p.insns[at + 1]! >> 4;
          const isCall = op === 0x85 && (src === 1 || src === 2);
          const isFuncAddr = op === 0x18 && src === 4;
          if (relocated.has(f.pc + i) || isCall || isFuncAddr) {
            if (op === 0x18) i++;
            continue;
          }
          expect(hex(p.insns.subarray(at, at + 8)), `${p.name}: ${f.name}+${i}`).toBe(hex(Uint8Array.from(d!.bytes.slice(i * 8, i * 8 + 8))));
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(0);
  });
});

describe('program details', () => {
  it('the spec is plain data (structured-cloneable, JSON apart from byte arrays)', () => {
    for (const n of ['maps', 'calls', 'core'] as const) {
      const spec = load(n);
      expect(structuredClone(spec)).toEqual(spec);
      const json = JSON.stringify(spec, (_, v) => (v instanceof Uint8Array ? hex(v) : v));
      expect(JSON.parse(json).programs.length).toBe(spec.programs.length);
    }
  });

  it('calls.o: section names, types and subprogram layout', () => {
    const spec = load('calls');
    expect(spec.programs.map((p) => [p.name, p.section, p.typeName, p.attachTypeName ?? null, p.xdpFrags, p.match])).toEqual([
      ['prog_a', 'xdp', 'xdp', 'xdp', false, 'exact'],
      ['prog_b', 'xdp', 'xdp', 'xdp', false, 'exact'],
      ['frags', 'xdp.frags', 'xdp', 'xdp', true, 'exact'],
      ['on_devmap', 'xdp/devmap', 'xdp', 'xdp_devmap', false, 'exact'],
      ['on_cpumap', 'xdp/cpumap', 'xdp', 'xdp_cpumap', false, 'exact'],
      ['classifier', 'tc', 'sched_cls', null, false, 'exact'],
    ]);
    const byName = (n: string) => spec.programs.find((p) => p.name === n)!;
    // Each program gets its own copy of what it calls, appended depth-first in call order.
    expect(byName('prog_a').funcs.map((f) => [f.name, f.pc])).toEqual([['prog_a', 0], ['chain_a', 11], ['chain_b', 15], ['add_one', 23]]);
    expect(byName('prog_b').funcs.map((f) => f.name)).toEqual(['prog_b', 'global_twice', 'chain_b', 'add_one']);
    expect(byName('prog_b').funcs.map((f) => f.global)).toEqual([true, true, false, false]);
    expect(byName('frags').funcs.map((f) => f.name)).toEqual(['frags', 'loop_cb']);
    expect(byName('on_cpumap').funcs.map((f) => f.name)).toEqual(['on_cpumap']);
  });

  it('calls.o: bpf-to-bpf calls and the bpf_loop callback point at the appended copies', () => {
    const p = load('calls').programs.find((x) => x.name === 'frags')!;
    const dv = new DataView(p.insns.buffer, p.insns.byteOffset);
    const lddw = [...Array(p.insns.length / 8).keys()].find((pc) => p.insns[pc * 8] === 0x18)!;
    expect(p.insns[lddw * 8 + 1]! >> 4).toBe(4); // BPF_PSEUDO_FUNC
    expect(lddw + dv.getInt32(lddw * 8 + 4, true) + 1).toBe(p.funcs[1]!.pc);
    const a = load('calls').programs.find((x) => x.name === 'prog_a')!;
    const da = new DataView(a.insns.buffer, a.insns.byteOffset);
    const targets = [...Array(a.insns.length / 8).keys()]
      .filter((pc) => a.insns[pc * 8] === 0x85 && a.insns[pc * 8 + 1]! >> 4 === 1)
      .map((pc) => pc + da.getInt32(pc * 8 + 4, true) + 1);
    expect(targets.every((t) => a.funcs.some((f) => f.pc === t))).toBe(true);
  });

  it('calls without relocations in a program section are kept as written, with a warning', () => {
    // calls.o with '.relxdp' turned into a plain data section: the calls in 'xdp' lose their
    // relocations, as in hand-written objects that call into their own instructions.
    const r = readobj('calls');
    const rel = r.Sections.find((x) => x.Section.Name.Name === '.relxdp')!.Section;
    const b = objectBytes('calls').slice();
    new DataView(b.buffer).setUint32(r.ElfHeader.SectionHeaderOffset + 64 * rel.Index + 4, 1, true); // SHT_PROGBITS
    const spec = loadObject(b, 'calls.o');
    const a = spec.programs.find((p) => p.name === 'prog_a')!;
    const xdp = objdumpFunctions('calls').find((f) => f.name === 'prog_a')!;
    expect(hex(a.insns)).toBe(hex(Uint8Array.from(xdp.bytes)));
    expect(a.funcs.map((f) => f.name)).toEqual(['prog_a']);
    expect(spec.warnings.filter((w) => w.code === 'elf.unrelocated_call').map((w) => w.location.pc)).toEqual([1, 3, 2, 5]);
  });

  it('legacy.o: pre-1.0 section names are recognised and marked legacy', () => {
    const spec = load('legacy');
    expect(spec.programs.map((p) => [p.name, p.section, p.typeName, p.attachTypeName, p.match])).toEqual([
      ['legacy_prog', 'xdp_prog', 'xdp', 'xdp', 'legacy'],
      ['custom_prog', 'xdp/custom', 'xdp', 'xdp', 'legacy'],
      ['devmap_legacy', 'xdp_devmap/legacy', 'xdp', 'xdp_devmap', 'legacy'],
    ]);
    expect(spec.programs[0]!.mapRefs.map((r) => spec.maps[r.map]!.name)).toEqual(['legacy_hash']);
    expect(spec.programs[1]!.mapRefs.map((r) => spec.maps[r.map]!.name)).toEqual(['legacy_array']);
    expect(spec.license).toBe('GPL');
  });

  it('nobtf.o: no line info and no BTF names without -g', () => {
    const spec = load('nobtf');
    for (const p of spec.programs) {
      expect(p.lineInfo).toEqual([]);
      expect(p.funcs.every((f) => f.btfName === undefined)).toBe(true);
      expect(p.funcs.map((f) => f.name)).toEqual([p.name, 'bump']);
    }
  });

  it('maps.o: global data references carry the offset of the variable', () => {
    const spec = load('maps');
    const p = spec.programs.find((x) => x.name === 'use_maps')!;
    const data = spec.maps.findIndex((m) => m.name === '.data');
    const refs = p.mapRefs.filter((r) => r.map === data);
    expect(refs.length).toBeGreaterThan(0);
    expect(refs.every((r) => r.kind === 'value')).toBe(true);
    // total_bytes follows misc_cfg (12 bytes) at offset 16 of .data, after alignment.
    expect(new Set(refs.map((r) => r.offset))).toEqual(new Set([0, 16]));
  });
});
