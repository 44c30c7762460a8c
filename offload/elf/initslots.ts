// Stage: slots of prog_array and map-in-map maps initialised in C
// (`.values = { [2] = &tail_b }`), which clang emits as R_BPF_64_ABS64 relocations in '.rel.maps'
// against the '.values' member of the map's definition (libbpf's bpf_object__collect_map_relos).

import type { Btf } from '../btf/types.ts';
import { InputError } from '../errors.ts';
import type { BtfMap } from './btfmaps.ts';
import type { Classified } from './classify.ts';
import type { ElfFile } from './file.ts';
import type { ElfFunction } from './functions.ts';
import { isMapInMap, MAP_TYPE } from './maptypes.ts';

export function collectInitSlots(elf: ElfFile, cls: Classified, btf: Btf | undefined, maps: BtfMap[], funcs: ElfFunction[]): void {
  const mapsSec = cls.maps;
  if (!mapsSec) return;
  for (const rs of elf.relocations) {
    if (rs.target !== mapsSec.index || cls.roles[rs.index]?.kind !== 'relo') continue;
    if (!btf) throw new InputError('elf.btf_required', `'${rs.name}' initialises map slots, but the object has no BTF`, { file: elf.file, section: rs.name });
    rs.entries.forEach((r, i) => {
      const sym = elf.symbols[r.symbol]!;
      const loc = { file: elf.file, section: rs.name, offset: r.fileOffset };
      const bad = (msg: string) => new InputError('elf.bad_map_init', `'${rs.name}' relocation #${i} against '${sym.name || '?'}': ${msg}`, loc);
      const m = maps.find((x) => x.varOffset <= r.offset && r.offset + 8 <= x.varOffset + x.varSize);
      if (!m) throw bad(`no map definition covers offset ${r.offset} of '.maps'`);
      const spec = m.spec;
      let kind: 'program' | 'map';
      if (isMapInMap(spec.type)) {
        if (sym.shndx !== mapsSec.index) throw bad(`'${sym.name}' is not a BTF-defined map`);
        if (spec.type === MAP_TYPE.hash_of_maps && spec.keySize !== 4) throw bad(`hash-of-maps '${spec.name}' must have a 4-byte key to be initialised`);
        if (!maps.some((x) => x.spec.name === sym.name)) throw bad(`'${sym.name}' is not a valid map reference`);
        kind = 'map';
      } else if (spec.type === MAP_TYPE.prog_array) {
        const prog = funcs.find((f) => f.name === sym.name && !f.isSubprog);
        if (!prog) throw bad(`'${sym.name}' is not a valid program reference`);
        if (prog.sectionIndex !== sym.shndx || prog.sectionPc * 8 !== sym.value) throw bad(`'${sym.name}' is not an entry-point program`);
        kind = 'program';
      } else {
        throw bad(`map '${spec.name}' (${spec.typeName}) cannot have initial slot values`);
      }
      const last = m.def.members[m.def.members.length - 1];
      if (!last || last.name !== 'values') throw bad(`map '${spec.name}' has no trailing 'values' member`);
      const moff = last.bitsOffset / 8;
      const rel = r.offset - m.varOffset;
      if (rel < moff || (rel - moff) % 8 !== 0) throw bad(`offset ${r.offset} is not a slot of '${spec.name}.values'`);
      const index = (rel - moff) / 8;
      const existing = spec.initSlots.findIndex((s) => s.index === index);
      const slot = { index, kind, name: sym.name };
      if (existing >= 0) spec.initSlots[existing] = slot;
      else spec.initSlots.push(slot);
      spec.initSlots.sort((a, b) => a.index - b.index);
    });
  }
}
