// Stage: build one entry-point program the way libbpf does (bpf_object__reloc_code and
// bpf_object__relocate_data). The program's own instructions come first; each subprogram it calls is
// appended the first time a call to it is seen, and its calls are processed right away (depth
// first), so every program gets its own copy of exactly the subprograms it needs. Call and
// BPF_PSEUDO_FUNC immediates are rewritten to the new relative offsets. Then map and global-data
// lddws are rewritten to nicsim's index form: src=5 (BPF_PSEUDO_MAP_IDX, imm = map index) and src=6
// (BPF_PSEUDO_MAP_IDX_VALUE, imm = map index, second imm = offset in the value).

import { InputError } from '../errors.ts';
import type { ElfFile } from './file.ts';
import type { ElfFunction } from './functions.ts';
import type { ProgReloc } from './progrelocs.ts';
import type { Diagnostic, MapReference } from './spec.ts';

export interface PlacedFunction {
  fn: ElfFunction;
  /** First slot inside the linked program. */
  pc: number;
}

export interface LinkedProgram {
  insns: Uint8Array;
  placed: PlacedFunction[];
  mapRefs: MapReference[];
  /** Extern references that survived into this program (function-relative reloc plus its placement). */
  externs: { pc: number; code: string; message: string; fn: ElfFunction }[];
  /** Calls of kernel functions resolved to their BTF id. */
  kfuncs: { pc: number; name: string; btfId: number }[];
  warnings: Diagnostic[];
}

export interface LinkInput {
  elf: ElfFile;
  textIndex: number;
  /** All functions (subprograms are the ones in .text). */
  funcs: ElfFunction[];
  relocs: Map<ElfFunction, ProgReloc[]>;
  /** Each function's instructions, CO-RE patches applied. */
  code: (fn: ElfFunction) => Uint8Array;
}

const PSEUDO_CALL = 1;
const PSEUDO_KFUNC_CALL = 2;
const PSEUDO_FUNC = 4;
const PSEUDO_MAP_IDX = 5;
const PSEUDO_MAP_IDX_VALUE = 6;

export function linkProgram(main: ElfFunction, inp: LinkInput): LinkedProgram {
  let buf = inp.code(main).slice();
  let len = main.length;
  const placed = new Map<ElfFunction, number>([[main, 0]]);
  const order: PlacedFunction[] = [{ fn: main, pc: 0 }];
  const warnings: Diagnostic[] = [];

  const dv = () => new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const append = (fn: ElfFunction): number => {
    const at = len;
    const need = (len + fn.length) * 8;
    if (need > buf.length) {
      const grown = new Uint8Array(Math.max(need, buf.length * 2));
      grown.set(buf.subarray(0, len * 8));
      buf = grown;
    }
    buf.set(inp.code(fn), at * 8);
    len += fn.length;
    placed.set(fn, at);
    order.push({ fn, pc: at });
    return at;
  };

  const relocOf = (fn: ElfFunction, insn: number): ProgReloc | undefined =>
    (inp.relocs.get(fn) ?? []).find((r) => r.insn === insn);

  const fail = (fn: ElfFunction, insn: number, msg: string) =>
    new InputError('elf.bad_call', msg, {
      file: inp.elf.file,
      section: fn.section,
      offset: fn.offset + insn * 8,
      pc: fn.sectionPc + insn,
    });

  const relocCode = (fn: ElfFunction, base: number, depth: number): void => {
    if (depth > 64) throw fail(fn, 0, `subprogram call chain through '${fn.name}' is too deep`);
    for (let i = 0; i < fn.length; i++) {
      const at = (base + i) * 8;
      const op = buf[at]!;
      const regs = buf[at + 1]!;
      const v = dv();
      const relo = relocOf(fn, i);
      const isSubprogCall = op === 0x85 && regs >> 4 === PSEUDO_CALL && (regs & 0xf) === 0 && v.getInt16(at + 2, true) === 0;
      const isFuncAddr = op === 0x18 && relo?.kind === 'func_addr';
      if (op === 0x18 && regs >> 4 === PSEUDO_FUNC && !isFuncAddr) {
        throw fail(fn, i, `lddw at instruction ${fn.sectionPc + i} of '${fn.section}' loads a function address (src_reg 4) but has no relocation`);
      }
      if (!isSubprogCall && !isFuncAddr) continue;
      if (relo?.kind === 'extern' || relo?.kind === 'kfunc') continue;
      const imm = v.getInt32(at + 4, true);
      let target: number; // slot in .text
      if (relo?.kind === 'call') target = relo.symOff / 8 + imm + 1;
      else if (relo?.kind === 'func_addr') target = (relo.symOff + imm) / 8;
      else if (relo) throw fail(fn, i, `unexpected ${relo.kind} relocation on a call instruction in '${fn.name}'`);
      else {
        const own = fn.sectionPc + i + imm + 1;
        // A program in .text (an object with no other program) calling into its own instructions is the
        // same case as in a program section.
        const intoItself = fn === main && own >= fn.sectionPc && own < fn.sectionPc + fn.length;
        if (fn.sectionIndex !== inp.textIndex || intoItself) {
          // Hand-written code may call into its own instructions. libbpf refuses such objects; the
          // kernel, given the bytes, treats the target as a subprogram. Keep the call as written.
          warnings.push({
            code: 'elf.unrelocated_call',
            message: `call at instruction ${fn.sectionPc + i} of '${fn.section}' has no relocation; kept as a call to pc ${base + i + imm + 1} of '${main.name}' (libbpf would refuse this object)`,
            location: { file: inp.elf.file, section: fn.section, offset: fn.offset + i * 8, pc: base + i },
          });
          continue;
        }
        target = own;
      }
      const sub = inp.funcs.find((f) => f.sectionIndex === inp.textIndex && f.isSubprog && target >= f.sectionPc && target < f.sectionPc + f.length);
      if (!sub) throw fail(fn, i, `call in '${fn.name}' targets .text instruction ${target}, which is not inside any subprogram`);
      if (sub.sectionPc !== target) throw fail(fn, i, `call in '${fn.name}' targets .text instruction ${target}, inside '${sub.name}' (starts at ${sub.sectionPc}) rather than at its start`);
      let subPc = placed.get(sub);
      if (subPc === undefined) {
        subPc = append(sub);
        relocCode(sub, subPc, depth + 1);
      }
      const w = dv();
      w.setInt32(at + 4, subPc - (base + i) - 1, true);
      if (isFuncAddr) buf[at + 1] = (buf[at + 1]! & 0x0f) | (PSEUDO_FUNC << 4);
    }
  };
  relocCode(main, 0, 0);

  const insns = buf.slice(0, len * 8);
  const w = new DataView(insns.buffer);
  const mapRefs: MapReference[] = [];
  const externs: LinkedProgram['externs'] = [];
  const kfuncs: LinkedProgram['kfuncs'] = [];
  for (const { fn, pc } of order) {
    for (const r of inp.relocs.get(fn) ?? []) {
      const at = (pc + r.insn) * 8;
      if (r.kind === 'map') {
        insns[at + 1] = (insns[at + 1]! & 0x0f) | (PSEUDO_MAP_IDX << 4);
        w.setInt32(at + 4, r.map, true);
        mapRefs.push({ pc: pc + r.insn, map: r.map, kind: 'map', offset: 0 });
      } else if (r.kind === 'data') {
        const off = w.getInt32(at + 4, true) + r.symOff;
        w.setInt32(at + 12, off, true);
        insns[at + 1] = (insns[at + 1]! & 0x0f) | (PSEUDO_MAP_IDX_VALUE << 4);
        w.setInt32(at + 4, r.map, true);
        mapRefs.push({ pc: pc + r.insn, map: r.map, kind: 'value', offset: off });
      } else if (r.kind === 'kfunc') {
        // BPF_PSEUDO_KFUNC_CALL, imm = BTF id in vmlinux, off = 0 (fd_array index of vmlinux)
        insns[at + 1] = (insns[at + 1]! & 0x0f) | (PSEUDO_KFUNC_CALL << 4);
        w.setInt32(at + 4, r.btfId, true);
        w.setInt16(at + 2, 0, true);
        kfuncs.push({ pc: pc + r.insn, name: r.name, btfId: r.btfId });
      } else if (r.kind === 'extern') {
        // An unresolved kfunc call stays recognisable as one: src=2 (BPF_PSEUDO_KFUNC_CALL), BTF id 0.
        if (insns[at] === 0x85) {
          insns[at + 1] = (insns[at + 1]! & 0x0f) | (PSEUDO_KFUNC_CALL << 4);
          w.setInt32(at + 4, 0, true);
        }
        externs.push({ pc: pc + r.insn, code: r.code, message: r.message, fn });
      }
    }
  }
  mapRefs.sort((a, b) => a.pc - b.pc);
  kfuncs.sort((a, b) => a.pc - b.pc);
  return { insns, placed: order, mapRefs, externs, kfuncs, warnings };
}
