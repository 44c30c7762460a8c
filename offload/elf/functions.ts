// Stage: every STT_FUNC symbol in an executable section is a function (libbpf's
// bpf_object__add_programs). Functions in .text are subprograms when the object has more than one
// function; functions elsewhere are entry points and must be global (libbpf refuses static ones).

import { InputError } from '../errors.ts';
import type { Classified } from './classify.ts';
import type { ElfFile } from './file.ts';
import { STB, STT, STV } from './types.ts';

export interface ElfFunction {
  name: string;
  sectionIndex: number;
  section: string;
  /** First slot inside the section. */
  sectionPc: number;
  /** Number of slots. */
  length: number;
  global: boolean;
  /** Global with hidden/internal visibility (libbpf marks its BTF FUNC static). */
  hidden: boolean;
  isSubprog: boolean;
  /** File offset of the function's first instruction. */
  offset: number;
  symbol: number;
}

export function collectFunctions(elf: ElfFile, cls: Classified): ElfFunction[] {
  const out: ElfFunction[] = [];
  for (const sym of elf.symbols) {
    if (sym.type !== STT.FUNC) continue;
    const role = cls.roles[sym.shndx];
    if (!role || role.kind !== 'program') continue;
    const sec = elf.sections[sym.shndx]!;
    const loc = { file: elf.file, section: sec.name, offset: sym.fileOffset };
    if (sym.size === 0 || sym.size % 8 !== 0 || sym.value % 8 !== 0) {
      throw new InputError('elf.bad_program', `function '${sym.name}': offset ${sym.value} / size ${sym.size} are not whole instructions`, loc);
    }
    if (sym.value + sym.size > sec.size) {
      throw new InputError('elf.bad_program', `function '${sym.name}' at offset ${sym.value} (size ${sym.size}) crosses the end of section '${sec.name}' (size ${sec.size})`, loc);
    }
    if (sym.shndx !== cls.text && sym.bind === STB.LOCAL) {
      throw new InputError('elf.static_program', `program '${sym.name}' in section '${sec.name}' is static; entry points must be global functions`, loc);
    }
    const global = sym.bind !== STB.LOCAL;
    out.push({
      name: sym.name,
      sectionIndex: sym.shndx,
      section: sec.name,
      sectionPc: sym.value / 8,
      length: sym.size / 8,
      global,
      hidden: global && (sym.visibility === STV.HIDDEN || sym.visibility === STV.INTERNAL),
      isSubprog: false,
      offset: sec.offset + sym.value,
      symbol: sym.index,
    });
  }
  // libbpf sorts programs by section index, then by offset.
  out.sort((a, b) => a.sectionIndex - b.sectionIndex || a.sectionPc - b.sectionPc);
  if (out.length > 1) for (const f of out) f.isSubprog = f.sectionIndex === cls.text;
  return out;
}

/** The function containing slot `pc` of section `sec`, if any. */
export function functionAt(funcs: ElfFunction[], sec: number, pc: number): ElfFunction | undefined {
  return funcs.find((f) => f.sectionIndex === sec && pc >= f.sectionPc && pc < f.sectionPc + f.length);
}
