// Stage 1 of the loader: what each ELF section means to a BPF loader, following libbpf's
// bpf_object__elf_collect() rules. Sections a loader never looks at (string tables, DWARF, address
// significance tables, relocations of debug info and BTF) are 'ignored'; sections libbpf would skip
// with an informational message become warnings.

import { InputError } from '../errors.ts';
import type { ElfFile } from './file.ts';
import type { Diagnostic } from './spec.ts';
import { SHF, SHT } from './types.ts';
import type { SectionHeader } from './types.ts';

export type SectionRole =
  | { kind: 'program' }
  | { kind: 'data'; internal: 'data' | 'rodata' | 'bss' }
  | { kind: 'maps' }
  | { kind: 'legacy_maps' }
  | { kind: 'license' }
  | { kind: 'version' }
  | { kind: 'btf' }
  | { kind: 'btf_ext' }
  | { kind: 'symtab' }
  | { kind: 'relo'; target: number }
  | { kind: 'ignored' };

export interface Classified {
  roles: SectionRole[];
  /** Index of .text (0 if absent). */
  text: number;
  btf?: SectionHeader;
  btfExt?: SectionHeader;
  maps?: SectionHeader;
  legacyMaps?: SectionHeader;
  license?: SectionHeader;
  version?: SectionHeader;
}

const isDwarf = (name: string) => name.startsWith('.debug_');

function ignored(s: SectionHeader): boolean {
  if (s.type === SHT.STRTAB || s.type === SHT.LLVM_ADDRSIG || s.type === SHT.NULL) return true;
  if (s.type === SHT.PROGBITS && s.size === 0 && s.name === '.text') return true;
  if (isDwarf(s.name)) return true;
  if (s.name.startsWith('.rel')) {
    const rest = s.name.slice(4);
    if (isDwarf(rest) || rest === '.BTF' || rest === '.BTF.ext') return true;
  }
  return false;
}

const isData = (n: string) => n === '.data' || n.startsWith('.data.');
const isRodata = (n: string) => n === '.rodata' || n.startsWith('.rodata.');
const isBss = (n: string) => n === '.bss' || n.startsWith('.bss.');

export function classifySections(elf: ElfFile, warnings: Diagnostic[]): Classified {
  const out: Classified = { roles: [], text: 0 };
  const warn = (s: SectionHeader, code: string, message: string) =>
    warnings.push({ code, message, location: { file: elf.file, section: s.name, offset: s.headerOffset } });
  const bad = (s: SectionHeader, code: string, message: string) =>
    new InputError(code, message, { file: elf.file, section: s.name, offset: s.headerOffset });

  for (const s of elf.sections) {
    let role: SectionRole = { kind: 'ignored' };
    if (s.index === 0 || ignored(s)) {
      out.roles.push(role);
      continue;
    }
    const n = s.name;
    if (n === 'license') {
      role = { kind: 'license' };
      out.license = s;
    } else if (n === 'version') {
      role = { kind: 'version' };
      out.version = s;
    } else if (n === 'maps') {
      role = { kind: 'legacy_maps' };
      out.legacyMaps = s;
    } else if (n === '.maps') {
      role = { kind: 'maps' };
      out.maps = s;
    } else if (n === '.BTF' || n === '.BTF.ext') {
      if (s.type !== SHT.PROGBITS) throw bad(s, 'elf.bad_section', `section '${n}' has type ${s.type}, expected SHT_PROGBITS`);
      role = n === '.BTF' ? { kind: 'btf' } : { kind: 'btf_ext' };
      if (n === '.BTF') out.btf = s;
      else out.btfExt = s;
    } else if (s.type === SHT.SYMTAB) {
      role = { kind: 'symtab' };
    } else if (s.type === SHT.PROGBITS && s.size > 0) {
      if (s.flags & SHF.EXECINSTR) {
        role = { kind: 'program' };
        if (n === '.text') out.text = s.index;
      } else if (isData(n)) {
        role = { kind: 'data', internal: 'data' };
      } else if (isRodata(n)) {
        role = { kind: 'data', internal: 'rodata' };
      } else if (n === '.struct_ops' || n === '.struct_ops.link') {
        // struct_ops maps replace kernel operation tables; no XDP program can use one
        warn(s, 'elf.skipped_struct_ops', `section '${n}': struct_ops maps are ignored (XDP programs never use them)`);
      } else {
        warn(s, 'elf.skipped_section', `skipping unrecognized data section '${n}'`);
      }
    } else if (s.type === SHT.REL) {
      const target = elf.sections[s.info]!;
      if (!(target.flags & SHF.EXECINSTR) && n !== '.rel.maps') {
        warn(s, 'elf.skipped_section', `skipping relocation section '${n}' for section '${target.name}'`);
      } else {
        role = { kind: 'relo', target: s.info };
      }
    } else if (s.type === SHT.NOBITS && isBss(n)) {
      role = { kind: 'data', internal: 'bss' };
    } else if (s.type === SHT.RELA) {
      warn(s, 'elf.skipped_section', `skipping RELA section '${n}': BPF objects use REL relocations`);
    } else if (!(s.type === SHT.PROGBITS && s.size === 0) && !(s.type === SHT.NOBITS && s.size === 0)) {
      warn(s, 'elf.skipped_section', `skipping section '${n}' (type ${s.type}, size ${s.size})`);
    }
    out.roles.push(role);
  }
  return out;
}
