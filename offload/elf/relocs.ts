// Relocation sections (SHT_REL; BPF objects do not use RELA). Entries are decoded and range-checked
// against their target section and the symbol table; interpreting them is the loader's business.

import type { ByteView } from './bytes.ts';
import { REL_SIZE, SHT } from './types.ts';
import type { ElfRelocation, RelocationSection, SectionHeader } from './types.ts';

export function parseRelocations(v: ByteView, sections: SectionHeader[], symtab: number, nsyms: number): RelocationSection[] {
  const out: RelocationSection[] = [];
  for (const s of sections) {
    if (s.type !== SHT.REL) continue;
    const where = `relocation section '${s.name}' (section ${s.index})`;
    if (s.entsize !== REL_SIZE) throw v.error('bad_section', `${where}: entry size ${s.entsize} is not ${REL_SIZE}`, s.headerOffset);
    if (s.size % REL_SIZE !== 0) throw v.error('bad_section', `${where}: size ${s.size} is not a multiple of ${REL_SIZE}`, s.headerOffset);
    if (s.info === 0 || s.info >= sections.length) throw v.error('bad_section', `${where}: target section ${s.info} does not exist`, s.headerOffset);
    if (s.link !== symtab) throw v.error('bad_section', `${where}: sh_link ${s.link} is not the symbol table (section ${symtab})`, s.headerOffset);
    const target = sections[s.info]!;
    const data = v.slice(s.offset, s.size, where, s.name);
    const entries: ElfRelocation[] = [];
    for (let o = 0; o < s.size; o += REL_SIZE) {
      const offset = data.u64(o, 'r_offset');
      const type = data.u32(o + 8, 'r_info type');
      const symbol = data.u32(o + 12, 'r_info symbol');
      const fileOffset = s.offset + o;
      if (symbol >= nsyms) {
        throw v.error('bad_reloc', `${where}: entry ${o / REL_SIZE} refers to symbol ${symbol}, but the symbol table has ${nsyms}`, fileOffset);
      }
      if (target.type !== SHT.NOBITS && offset >= target.size) {
        throw v.error('bad_reloc', `${where}: entry ${o / REL_SIZE} offset 0x${offset.toString(16)} is outside section '${target.name}' (size 0x${target.size.toString(16)})`, fileOffset);
      }
      entries.push({ offset, type, symbol, fileOffset });
    }
    out.push({ index: s.index, name: s.name, target: s.info, entries });
  }
  return out;
}
