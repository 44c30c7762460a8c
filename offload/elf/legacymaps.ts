// Maps declared the pre-BTF way: `struct bpf_map_def` instances in a section named 'maps' (libbpf
// 0.x; libbpf 1.0 dropped them, cilium/ebpf and iproute2 still read them). Every non-section symbol
// in the section is one map; definitions are equally sized. Fields beyond the five known ones
// (iproute2's id/pinning/inner fields) must be zero.

import { InputError } from '../errors.ts';
import type { ElfFile } from './file.ts';
import { sectionData } from './file.ts';
import { mapTypeName } from './maptypes.ts';
import type { MapSpec } from './spec.ts';
import { STT } from './types.ts';
import type { SectionHeader } from './types.ts';

/** A legacy map and its offset in 'maps' (relocations find maps by symbol value). */
export interface LegacyMap {
  spec: MapSpec;
  offset: number;
}

const DEF_SIZE = 20;

export function parseLegacyMaps(elf: ElfFile, sec: SectionHeader): LegacyMap[] {
  const syms = elf.symbols.filter((s) => s.shndx === sec.index && s.type !== STT.SECTION && s.name !== '');
  const secLoc = { file: elf.file, section: sec.name, offset: sec.headerOffset };
  if (syms.length === 0) return [];
  if (sec.size === 0 || sec.size % syms.length !== 0) {
    throw new InputError('elf.bad_map', `unable to determine map definition size: ${syms.length} maps in ${sec.size} bytes of section 'maps'`, secLoc);
  }
  const defSize = sec.size / syms.length;
  const data = sectionData(elf, sec.index);
  return syms.map((s) => {
    const loc = { file: elf.file, section: sec.name, offset: sec.offset + s.value };
    if (s.value + defSize > sec.size) throw new InputError('elf.bad_map', `legacy map '${s.name}': definition at offset ${s.value} runs past the end of section 'maps'`, loc);
    const field = (i: number) => (i * 4 + 4 <= defSize ? data.u32(s.value + i * 4, 'bpf_map_def field') : 0);
    for (let o = DEF_SIZE; o < defSize; o++) {
      if (data.u8(s.value + o) !== 0) {
        throw new InputError('elf.bad_map', `legacy map '${s.name}': definition has unrecognized non-zero options at byte ${o} (only struct bpf_map_def's 5 fields are supported)`, loc);
      }
    }
    const type = field(0);
    const spec: MapSpec = {
      name: s.name,
      kernelName: s.name.slice(0, 15),
      type,
      typeName: mapTypeName(type),
      keySize: field(1),
      valueSize: field(2),
      maxEntries: field(3),
      flags: field(4),
      pinning: 'none',
      mapExtra: 0,
      internal: null,
      readonly: false,
      frozen: false,
      initSlots: [],
      btfKeyTypeId: 0,
      btfValueTypeId: 0,
      definedIn: 'maps',
      location: loc,
    };
    return { spec, offset: s.value };
  });
}
