// A parsed ELF object: header, sections, symbols and relocations, all bounds-checked. This is the
// reader layer; it knows nothing of BPF conventions beyond the relocation record layout.

import { ByteView } from './bytes.ts';
import { parseHeader } from './header.ts';
import { parseRelocations } from './relocs.ts';
import { parseSections } from './sections.ts';
import { parseSymbols } from './symbols.ts';
import { SHT } from './types.ts';
import type { ElfHeader, ElfSymbol, RelocationSection, SectionHeader } from './types.ts';

export interface ElfFile {
  file: string;
  bytes: Uint8Array;
  view: ByteView;
  header: ElfHeader;
  sections: SectionHeader[];
  symtabIndex: number;
  symbols: ElfSymbol[];
  relocations: RelocationSection[];
}

export function parseElf(bytes: Uint8Array, file: string): ElfFile {
  const view = new ByteView(bytes, { file, base: 0, domain: 'elf' });
  const header = parseHeader(view);
  const sections = parseSections(view, header);
  const st = parseSymbols(view, sections);
  const relocations = parseRelocations(view, sections, st.index, st.symbols.length);
  return { file, bytes, view, header, sections, symtabIndex: st.index, symbols: st.symbols, relocations };
}

/** The data of a section as a located view (NOBITS sections have no file data: empty view). */
export function sectionData(elf: ElfFile, index: number): ByteView {
  const s = elf.sections[index];
  if (!s) throw new Error(`internal: no section ${index}`);
  if (s.type === SHT.NOBITS) return elf.view.slice(0, 0, s.name, s.name);
  return elf.view.slice(s.offset, s.size, `section '${s.name}'`, s.name);
}

export function sectionByName(elf: ElfFile, name: string): SectionHeader | undefined {
  return elf.sections.find((s) => s.index !== 0 && s.name === name);
}
