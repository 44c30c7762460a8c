// The symbol table (SHT_SYMTAB) and its string table. A BPF object has exactly one; a stripped object
// has none and cannot be loaded (programs are found through their function symbols).

import type { ByteView } from './bytes.ts';
import { SHT, SYM_SIZE } from './types.ts';
import type { ElfSymbol, SectionHeader } from './types.ts';

export interface SymbolTable {
  index: number;
  strtab: number;
  symbols: ElfSymbol[];
}

export function parseSymbols(v: ByteView, sections: SectionHeader[]): SymbolTable {
  const tabs = sections.filter((s) => s.type === SHT.SYMTAB);
  if (tabs.length === 0) throw v.error('no_symtab', "the object has no symbol table (stripped object file?)", 0);
  if (tabs.length > 1) throw v.error('bad_section', `the object has ${tabs.length} symbol tables`, tabs[1]!.headerOffset);
  const st = tabs[0]!;
  const where = `symbol table '${st.name}' (section ${st.index})`;
  if (st.entsize !== SYM_SIZE) throw v.error('bad_section', `${where}: entry size ${st.entsize} is not ${SYM_SIZE}`, st.headerOffset);
  if (st.size % SYM_SIZE !== 0) throw v.error('bad_section', `${where}: size ${st.size} is not a multiple of ${SYM_SIZE}`, st.headerOffset);
  const strSec = sections[st.link];
  if (st.link === 0 || !strSec || strSec.type !== SHT.STRTAB) {
    throw v.error('bad_section', `${where}: sh_link ${st.link} does not name a string table`, st.headerOffset);
  }
  const strs = v.slice(strSec.offset, strSec.size, 'symbol string table', strSec.name);
  const data = v.slice(st.offset, st.size, where, st.name);
  const n = st.size / SYM_SIZE;
  const symbols: ElfSymbol[] = [];
  for (let i = 0; i < n; i++) {
    const o = i * SYM_SIZE;
    const nameOff = data.u32(o, 'st_name');
    const info = data.u8(o + 4, 'st_info');
    const other = data.u8(o + 5, 'st_other');
    const shndx = data.u16(o + 6, 'st_shndx');
    const sym: ElfSymbol = {
      index: i,
      name: nameOff === 0 ? '' : strs.cstring(nameOff, `name of symbol ${i}`),
      value: data.u64(o + 8, 'st_value'),
      size: data.u64(o + 16, 'st_size'),
      bind: info >> 4,
      type: info & 0xf,
      visibility: other & 0x3,
      shndx,
      fileOffset: st.offset + o,
    };
    symbols.push(sym);
  }
  return { index: st.index, strtab: st.link, symbols };
}
