// Stage: what each relocation in a code section means (libbpf's bpf_program__record_reloc). A
// relocation on a `call` is a bpf-to-bpf call into .text; on an lddw it loads a map (symbol in
// '.maps' or 'maps'), the address of a global variable (symbol in a data section, offset = symbol
// value + the lddw's imm), or the address of a function (BPF_PSEUDO_FUNC, for callbacks). References
// to undefined (extern) symbols are kconfig/ksym/kfunc externs: a call of a kfunc the kernel has
// (offload/btf/kfuncs.ts) resolves to its BTF id, as libbpf resolves it against vmlinux BTF; the other
// externs are recorded as unsupported.

import { findByNameKind } from '../btf/resolve.ts';
import type { Btf } from '../btf/types.ts';
import { ABSENT_KFUNCS, KFUNC_KERNEL, kfuncByName } from '../btf/kfuncs.ts';
import { InputError } from '../errors.ts';
import type { Classified } from './classify.ts';
import type { ElfFile } from './file.ts';
import { sectionData } from './file.ts';
import type { ElfFunction } from './functions.ts';
import { functionAt } from './functions.ts';
import { relocTypeName, SHN, STB, STT } from './types.ts';
import type { ElfSymbol } from './types.ts';

export type ProgReloc =
  | { kind: 'map'; insn: number; map: number }
  | { kind: 'data'; insn: number; map: number; symOff: number }
  | { kind: 'call'; insn: number; symOff: number }
  | { kind: 'func_addr'; insn: number; symOff: number }
  | { kind: 'extern'; insn: number; code: string; message: string }
  | { kind: 'kfunc'; insn: number; name: string; btfId: number };

export interface MapLookup {
  /** Map index of the '.maps' variable at this offset. */
  btfMapAt(offset: number): number | undefined;
  /** Map index of the legacy 'maps' definition at this offset. */
  legacyMapAt(offset: number): number | undefined;
  /** Map index of the internal map of a data section. */
  dataMap(sectionIndex: number): number | undefined;
}

const OP_CALL = 0x85;
const OP_LDDW = 0x18;

export function collectProgRelocs(
  elf: ElfFile,
  cls: Classified,
  funcs: ElfFunction[],
  maps: MapLookup,
  btf: Btf | undefined,
): Map<ElfFunction, ProgReloc[]> {
  const out = new Map<ElfFunction, ProgReloc[]>();
  for (const rs of elf.relocations) {
    const role = cls.roles[rs.index];
    if (!role || role.kind !== 'relo') continue;
    const target = elf.sections[rs.target]!;
    if (cls.roles[rs.target]?.kind !== 'program') continue; // '.rel.maps' is handled with the maps
    const code = sectionData(elf, rs.target);
    rs.entries.forEach((r, i) => {
      const sym = elf.symbols[r.symbol]!;
      const loc = { file: elf.file, section: rs.name, offset: r.fileOffset };
      const bad = (msg: string) => new InputError('elf.bad_reloc', `relocation #${i} (${relocTypeName(r.type)}) against '${symName(elf, sym)}': ${msg}`, loc);
      if (r.offset % 8 !== 0) throw bad(`offset 0x${r.offset.toString(16)} in '${target.name}' is not instruction-aligned`);
      const pc = r.offset / 8;
      const fn = functionAt(funcs, rs.target, pc);
      if (!fn) return; // not inside any function (libbpf: probably an overridden weak function)
      const insn = pc - fn.sectionPc;
      const op = code.u8(r.offset, 'relocated instruction');
      const src = code.u8(r.offset + 1) >> 4;
      if (op !== OP_CALL && op !== OP_LDDW) throw bad(`instruction ${pc} of '${target.name}' (opcode 0x${op.toString(16)}) is neither a call nor an lddw`);
      if (op === OP_LDDW && insn + 1 >= fn.length) throw bad(`lddw at instruction ${pc} is cut off by the end of function '${fn.name}'`);
      const list = out.get(fn) ?? [];
      out.set(fn, list);

      if (isExtern(sym)) {
        const kf = op === OP_CALL ? kfuncByName(sym.name) : undefined;
        if (kf && kf.btf === 'vmlinux') {
          list.push({ kind: 'kfunc', insn, name: kf.name, btfId: kf.btfId });
          return;
        }
        list.push({ kind: 'extern', insn, ...describeExtern(sym.name, op === OP_CALL, btf) });
        return;
      }
      if (op === OP_CALL) {
        if (src !== 1) throw bad(`call instruction ${pc} has src_reg ${src}, expected 1 (BPF_PSEUDO_CALL)`);
        if (sym.shndx === 0 || sym.shndx !== cls.text) throw bad(`call target is in section '${sectionName(elf, sym.shndx)}'; bpf-to-bpf call targets must be in .text`);
        if (sym.value % 8 !== 0) throw bad(`call target offset ${sym.value} is not instruction-aligned`);
        list.push({ kind: 'call', insn, symOff: sym.value });
        return;
      }
      if (sym.shndx === SHN.UNDEF || sym.shndx >= SHN.LORESERVE) {
        throw bad(`symbol is in special section 0x${sym.shndx.toString(16)}; forgot to initialize a global variable?`);
      }
      const imm = code.i32(r.offset + 4);
      if (sym.shndx === cls.text && ((sym.bind === STB.LOCAL && sym.type === STT.SECTION) || (sym.bind === STB.GLOBAL && sym.type === STT.FUNC))) {
        if (sym.value % 8 !== 0 || imm % 8 !== 0) throw bad(`function address ${sym.value}+${imm} is not instruction-aligned`);
        list.push({ kind: 'func_addr', insn, symOff: sym.value });
        return;
      }
      const symRole = cls.roles[sym.shndx];
      if (symRole?.kind === 'maps' || symRole?.kind === 'legacy_maps') {
        const idx = symRole.kind === 'maps' ? maps.btfMapAt(sym.value) : maps.legacyMapAt(sym.value);
        if (idx === undefined) throw bad(`no map is defined at offset ${sym.value} of section '${sectionName(elf, sym.shndx)}'`);
        list.push({ kind: 'map', insn, map: idx });
        return;
      }
      if (symRole?.kind === 'data') {
        const idx = maps.dataMap(sym.shndx);
        if (idx === undefined) throw bad(`data section '${sectionName(elf, sym.shndx)}' has no map (is it empty?)`);
        list.push({ kind: 'data', insn, map: idx, symOff: sym.value });
        return;
      }
      throw bad(`section '${sectionName(elf, sym.shndx)}' holds neither maps nor global data`);
    });
  }
  for (const list of out.values()) list.sort((a, b) => a.insn - b.insn);
  return out;
}

/** Undefined global/weak NOTYPE symbols are externs (libbpf's sym_is_extern). */
function isExtern(sym: ElfSymbol): boolean {
  return sym.shndx === SHN.UNDEF && (sym.bind === STB.GLOBAL || sym.bind === STB.WEAK) && sym.type === STT.NOTYPE;
}

function describeExtern(name: string, isCall: boolean, btf: Btf | undefined): { code: string; message: string } {
  let sec: string | undefined;
  if (btf) {
    const decl = btf.types.find((t) => (t.kind === 'var' || t.kind === 'func') && t.name === name && t.linkage === 'extern');
    if (decl) {
      for (const ds of ['.kconfig', '.ksyms']) {
        const d = findByNameKind(btf, ds, 'datasec');
        if (d?.vars.some((v) => v.type === decl.id)) sec = ds;
      }
    }
  }
  if (isCall) {
    const why = ABSENT_KFUNCS[name];
    return {
      code: 'elf.unsupported_kfunc',
      message: `call to kernel function (kfunc) '${name}' is not supported: not found in the BTF of the kernel nicsim models (Linux ${KFUNC_KERNEL})${why ? `: ${why}` : ''}`,
    };
  }
  if (sec === '.kconfig') return { code: 'elf.unsupported_extern', message: `extern '${name}' (__kconfig) is not supported: nicsim has no kernel configuration to read it from` };
  if (sec === '.ksyms') return { code: 'elf.unsupported_extern', message: `extern '${name}' (__ksym) is not supported: nicsim has no kernel symbols to resolve it against` };
  return { code: 'elf.unsupported_extern', message: `extern symbol '${name}' is not supported: it is not defined in this object` };
}

function symName(elf: ElfFile, sym: ElfSymbol): string {
  if (sym.type === STT.SECTION && sym.name === '') return sectionName(elf, sym.shndx);
  return sym.name || `<symbol ${sym.index}>`;
}

function sectionName(elf: ElfFile, idx: number): string {
  return elf.sections[idx]?.name ?? `<section ${idx}>`;
}
