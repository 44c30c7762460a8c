// The section header table and section names. Every section's data range is checked against the
// file here, once, so later stages can slice section data without further checks.

import type { ByteView } from './bytes.ts';
import { SHDR_SIZE, SHT } from './types.ts';
import type { ElfHeader, SectionHeader } from './types.ts';

/** Hard cap so a corrupted count cannot make us allocate millions of headers. */
const MAX_SECTIONS = 65536;

export function parseSections(v: ByteView, h: ElfHeader): SectionHeader[] {
  if (h.shnum > MAX_SECTIONS) throw v.error('bad_header', `section count ${h.shnum} is implausibly large`, 0x3c);
  v.need(h.shoff, h.shnum * SHDR_SIZE, `section header table (${h.shnum} entries)`);
  const out: SectionHeader[] = [];
  for (let i = 0; i < h.shnum; i++) {
    const o = h.shoff + i * SHDR_SIZE;
    const s: SectionHeader = {
      index: i,
      name: '',
      nameOff: v.u32(o, 'sh_name'),
      type: v.u32(o + 4, 'sh_type'),
      flags: v.u64(o + 8, 'sh_flags'),
      offset: v.u64(o + 0x18, 'sh_offset'),
      size: v.u64(o + 0x20, 'sh_size'),
      link: v.u32(o + 0x28, 'sh_link'),
      info: v.u32(o + 0x2c, 'sh_info'),
      align: v.u64(o + 0x30, 'sh_addralign'),
      entsize: v.u64(o + 0x38, 'sh_entsize'),
      headerOffset: o,
    };
    out.push(s);
  }
  if (h.shstrndx === 0 || h.shstrndx >= out.length) {
    throw v.error('bad_header', `section-name string table index ${h.shstrndx} is out of range (${out.length} sections)`, 0x3e);
  }
  const shstr = out[h.shstrndx]!;
  if (shstr.type !== SHT.STRTAB) {
    throw v.error('bad_section', `section-name table (section ${h.shstrndx}) has type ${shstr.type}, not SHT_STRTAB`, shstr.headerOffset);
  }
  checkRange(v, shstr, `section ${h.shstrndx}`);
  const names = v.slice(shstr.offset, shstr.size, 'section-name string table');
  for (const s of out) {
    if (s.index === 0) continue;
    s.name = names.cstring(s.nameOff, `name of section ${s.index}`);
  }
  for (const s of out) {
    if (s.index === 0) continue;
    checkRange(v, s, `section ${s.index} '${s.name}'`);
  }
  return out;
}

function checkRange(v: ByteView, s: SectionHeader, what: string): void {
  if (s.type === SHT.NOBITS || s.type === SHT.NULL) return;
  if (s.offset > v.length || s.size > v.length - s.offset) {
    throw v.error(
      'truncated',
      `${what}: data at offset 0x${s.offset.toString(16)} with size 0x${s.size.toString(16)} extends past the end of the file (0x${v.length.toString(16)} bytes)`,
      Math.min(s.offset, v.length),
    );
  }
}
