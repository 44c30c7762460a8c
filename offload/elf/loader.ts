// The loader: a linear pipeline from bytes to a pure-data ObjectSpec (cilium/ebpf's elf_reader
// shape). Each stage reads what the previous ones produced and throws located InputErrors:
//
//   parseElf         header, sections, symbols, relocations (bounds-checked reader)
//   classify         what each section is to a BPF loader (libbpf's rules)
//   license/version  metadata sections
//   BTF              .BTF (+ DATASEC fix-ups from the ELF), .BTF.ext
//   functions        STT_FUNC symbols in code sections; .text functions are subprograms
//   maps             legacy 'maps', then '.maps' (BTF), then global data; '.rel.maps' slots
//   relocations      per function: map / data / call / function-address / extern references
//   CO-RE            .BTF.ext core_relo: TYPE_ID_LOCAL resolved, everything else unsupported
//   link             per entry point: subprograms appended, calls and map references rewritten
//   line info        func_info / line_info shifted to each program's layout

import { parseBtfExt } from '../btf/ext.ts';
import type { BtfExt } from '../btf/ext.ts';
import { parseBtf } from '../btf/parse.ts';
import type { Btf } from '../btf/types.ts';
import { InputError } from '../errors.ts';
import { parseBtfMaps } from './btfmaps.ts';
import type { BtfMap } from './btfmaps.ts';
import { classifySections } from './classify.ts';
import type { Classified } from './classify.ts';
import { collectCoreRelos, patchCoreInsn } from './core.ts';
import type { CoreAction } from './core.ts';
import { buildDataMaps, objectName } from './datamaps.ts';
import { fixupDatasecs } from './datasec.ts';
import { parseElf, sectionData } from './file.ts';
import type { ElfFile } from './file.ts';
import { collectFunctions } from './functions.ts';
import type { ElfFunction } from './functions.ts';
import { collectInitSlots } from './initslots.ts';
import { parseLegacyMaps } from './legacymaps.ts';
import { decodeText } from './bytes.ts';
import { lineAt, programFuncInfo, programLineInfo } from './lineinfo.ts';
import { linkProgram } from './link.ts';
import { programTypeForSection } from './progtypes.ts';
import { collectProgRelocs } from './progrelocs.ts';
import type { Diagnostic, FuncSpec, MapSpec, ObjectSpec, ProgramSpec } from './spec.ts';

export interface LoadOptions {
  /**
   * Keep going when programs use features nicsim cannot resolve (CO-RE against kernel types,
   * externs, kfuncs): they are listed in ProgramSpec.unsupported instead of failing the load.
   */
  allowUnsupported?: boolean;
}

export function loadObject(bytes: Uint8Array, file: string, opts: LoadOptions = {}): ObjectSpec {
  const warnings: Diagnostic[] = [];
  const elf = parseElf(bytes, file);
  const cls = classifySections(elf, warnings);
  const license = readLicense(elf, cls);
  const kernelVersion = readVersion(elf, cls);
  const { btf, ext } = readBtf(elf, cls, warnings);
  const funcs = collectFunctions(elf, cls);
  const name = objectName(file);

  // Maps, in libbpf's order: legacy definitions, BTF definitions, then global data.
  const legacy = cls.legacyMaps ? parseLegacyMaps(elf, cls.legacyMaps) : [];
  const btfMaps: BtfMap[] = cls.maps ? parseBtfMaps(elf, btf, cls.maps) : [];
  const dataMaps = buildDataMaps(elf, cls, btf, name);
  const maps: MapSpec[] = [...legacy.map((m) => m.spec), ...btfMaps.map((m) => m.spec), ...dataMaps.map((m) => m.spec)];
  checkDuplicateMaps(maps);
  collectInitSlots(elf, cls, btf, btfMaps, funcs);
  const lookup = {
    legacyMapAt: (off: number) => indexOrUndef(legacy.findIndex((m) => m.offset === off)),
    btfMapAt: (off: number) => indexOrUndef(btfMaps.findIndex((m) => m.varOffset === off), legacy.length),
    dataMap: (sec: number) => indexOrUndef(dataMaps.findIndex((m) => m.sectionIndex === sec), legacy.length + btfMaps.length),
  };

  const relocs = collectProgRelocs(elf, cls, funcs, lookup, btf);
  const core = btf && ext ? collectCoreRelos(elf, btf, ext.coreRelos, funcs) : new Map<ElfFunction, CoreAction[]>();
  const code = functionCode(elf, core);

  const programs: ProgramSpec[] = [];
  for (const fn of funcs) {
    if (fn.isSubprog) continue;
    programs.push(buildProgram(elf, cls, fn, funcs, relocs, core, code, btf, ext, warnings));
  }

  if (!opts.allowUnsupported) {
    for (const p of programs) {
      const d = p.autoload ? p.unsupported[0] : undefined;
      if (d) throw new InputError(d.code, d.message, d.location);
    }
  }

  const spec: ObjectSpec = { file, name, license, programs, maps, warnings };
  if (kernelVersion !== undefined) spec.kernelVersion = kernelVersion;
  if (btf) spec.btf = btf;
  return spec;
}

const indexOrUndef = (i: number, base = 0) => (i < 0 ? undefined : base + i);

function readLicense(elf: ElfFile, cls: Classified): string {
  if (!cls.license) return '';
  const b = sectionData(elf, cls.license.index).bytes;
  const nul = b.indexOf(0);
  return decodeText(nul >= 0 ? b.subarray(0, nul) : b);
}

function readVersion(elf: ElfFile, cls: Classified): number | undefined {
  if (!cls.version) return undefined;
  const s = cls.version;
  if (s.size !== 4) throw new InputError('elf.bad_section', `section 'version' has size ${s.size}, expected 4`, { file: elf.file, section: s.name, offset: s.headerOffset });
  return sectionData(elf, s.index).u32(0, 'kernel version');
}

function readBtf(elf: ElfFile, cls: Classified, warnings: Diagnostic[]): { btf?: Btf; ext?: BtfExt } {
  if (!cls.btf) {
    if (cls.btfExt) warnings.push({ code: 'elf.ignored_btf_ext', message: `ignoring '.BTF.ext': the object has no '.BTF'`, location: { file: elf.file, section: '.BTF.ext' } });
    return {};
  }
  const s = cls.btf;
  const parsed = parseBtf(sectionData(elf, s.index).bytes, { file: elf.file, offset: s.offset, section: s.name });
  const btf = fixupDatasecs(parsed.btf, elf, s.offset);
  let ext: BtfExt | undefined;
  if (cls.btfExt) {
    const e = cls.btfExt;
    ext = parseBtfExt(sectionData(elf, e.index).bytes, { file: elf.file, offset: e.offset, section: e.name }, parsed.strings);
  }
  const out: { btf?: Btf; ext?: BtfExt } = { btf };
  if (ext) out.ext = ext;
  return out;
}

function checkDuplicateMaps(maps: MapSpec[]): void {
  const seen = new Set<string>();
  for (const m of maps) {
    if (seen.has(m.name)) throw new InputError('elf.bad_map', `map '${m.name}' is defined twice`, m.location);
    seen.add(m.name);
  }
}

/** Each function's instructions, with resolvable CO-RE relocations applied (cached). */
function functionCode(elf: ElfFile, core: Map<ElfFunction, CoreAction[]>): (fn: ElfFunction) => Uint8Array {
  const cache = new Map<ElfFunction, Uint8Array>();
  return (fn) => {
    let c = cache.get(fn);
    if (c) return c;
    c = sectionData(elf, fn.sectionIndex).slice(fn.sectionPc * 8, fn.length * 8, `function '${fn.name}'`).bytes.slice();
    for (const a of core.get(fn) ?? []) {
      if (a.kind !== 'patch') continue;
      patchCoreInsn(c, a.insn * 8, a.value, () =>
        new InputError('elf.bad_core_relo', `CO-RE relocation '${a.record.kind}' in '${fn.name}' applies to an instruction it cannot patch`, {
          file: elf.file,
          section: fn.section,
          offset: fn.offset + a.insn * 8,
          pc: fn.sectionPc + a.insn,
        }),
      );
    }
    cache.set(fn, c);
    return c;
  };
}

function buildProgram(
  elf: ElfFile,
  cls: Classified,
  main: ElfFunction,
  funcs: ElfFunction[],
  relocs: ReturnType<typeof collectProgRelocs>,
  core: Map<ElfFunction, CoreAction[]>,
  code: (fn: ElfFunction) => Uint8Array,
  btf: Btf | undefined,
  ext: BtfExt | undefined,
  warnings: Diagnostic[],
): ProgramSpec {
  const linked = linkProgram(main, { elf, textIndex: cls.text, funcs, relocs, code });
  warnings.push(...linked.warnings);
  const lineInfo = programLineInfo(ext, linked.placed);
  const funcInfo = programFuncInfo(ext, btf, linked.placed);
  const autoload = !main.section.startsWith('?');
  const section = autoload ? main.section : main.section.slice(1);
  const pt = programTypeForSection(section);

  const funcSpecs: FuncSpec[] = linked.placed.map(({ fn, pc }) => {
    const f: FuncSpec = { name: fn.name, pc, length: fn.length, section: fn.section, sectionPc: fn.sectionPc, global: fn.global, hidden: fn.hidden };
    const fi = funcInfo.find((x) => x.pc === pc);
    if (fi) {
      f.btfTypeId = fi.typeId;
      f.btfName = fi.name;
      const t = btf?.types[fi.typeId];
      if (t?.kind === 'func') f.btfLinkage = fn.hidden && fn.isSubprog && t.linkage === 'global' ? 'static' : t.linkage;
    }
    return f;
  });

  const unsupported: Diagnostic[] = [];
  // located in the object (the file the user gave), with the C source line in the message
  const diag = (code: string, message: string, fn: ElfFunction, insn: number, pc: number): Diagnostic => {
    const l = lineAt(lineInfo, pc);
    const src = l ? ` (${l.file.replace(/^.*\//, '')}:${l.line})` : '';
    return { code, message: message + src, location: { file: elf.file, section: fn.section, offset: fn.offset + insn * 8, pc } };
  };
  for (const { fn, pc } of linked.placed) {
    for (const a of core.get(fn) ?? []) {
      if (a.kind === 'unsupported') unsupported.push(diag(a.code, a.message, fn, a.insn, pc + a.insn));
    }
  }
  for (const x of linked.externs) {
    const placedAt = linked.placed.find((p) => p.fn === x.fn)!.pc;
    unsupported.push(diag(x.code, x.message, x.fn, x.pc - placedAt, x.pc));
  }
  unsupported.sort((a, b) => (a.location.pc ?? 0) - (b.location.pc ?? 0));

  const spec: ProgramSpec = {
    name: main.name,
    section,
    sectionIndex: main.sectionIndex,
    autoload,
    type: pt.type,
    typeName: pt.typeName,
    xdpFrags: pt.xdpFrags,
    match: pt.match,
    offset: main.offset,
    insns: linked.insns,
    funcs: funcSpecs,
    lineInfo,
    mapRefs: linked.mapRefs,
    kfuncs: linked.kfuncs,
    unsupported,
  };
  if (pt.attachType !== undefined) {
    spec.attachType = pt.attachType;
    spec.attachTypeName = pt.attachTypeName!;
  }
  return spec;
}

/** Source position of an instruction when line info has it, else its place in the object file. */
