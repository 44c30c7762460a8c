// Global variables as maps (libbpf's internal maps): every non-empty .data*, .rodata* and .bss*
// section becomes a one-element ARRAY whose value is the section's bytes. .rodata* maps are
// BPF_F_RDONLY_PROG and frozen after initialisation; maps whose BTF DATASEC holds a non-static
// variable are BPF_F_MMAPABLE (exposed to user space through the skeleton).

import { findByNameKind } from '../btf/resolve.ts';
import { InputError } from '../errors.ts';
import type { Btf } from '../btf/types.ts';
import type { Classified } from './classify.ts';
import type { ElfFile } from './file.ts';
import { sectionData } from './file.ts';
import { MAP_FLAG, MAP_TYPE } from './maptypes.ts';
import type { MapSpec } from './spec.ts';

/** The kernel refuses array values larger than KMALLOC_MAX_SIZE (4 MiB on x86-64) with E2BIG. */
const MAX_VALUE_SIZE = 1 << 22;

export interface DataMap {
  spec: MapSpec;
  sectionIndex: number;
}

export function buildDataMaps(elf: ElfFile, cls: Classified, btf: Btf | undefined, objName: string): DataMap[] {
  const out: DataMap[] = [];
  cls.roles.forEach((role, idx) => {
    if (role.kind !== 'data') return;
    const sec = elf.sections[idx]!;
    if (sec.size === 0) return;
    if (sec.size > MAX_VALUE_SIZE) {
      throw new InputError('elf.too_large', `global data section '${sec.name}' is ${sec.size} bytes; an array map value can hold at most ${MAX_VALUE_SIZE} (the kernel's KMALLOC_MAX_SIZE)`, { file: elf.file, section: sec.name, offset: sec.headerOffset });
    }
    const kind = role.internal;
    const ds = btf ? findByNameKind(btf, sec.name, 'datasec') : undefined;
    let flags = kind === 'rodata' ? MAP_FLAG.RDONLY_PROG : 0;
    if (ds && btf && ds.vars.some((v) => { const t = btf.types[v.type]; return t?.kind === 'var' && t.linkage !== 'static'; })) {
      flags |= MAP_FLAG.MMAPABLE;
    }
    const initial = kind === 'bss' ? new Uint8Array(sec.size) : sectionData(elf, idx).bytes.slice();
    const spec: MapSpec = {
      name: sec.name,
      kernelName: internalMapName(objName, sec.name),
      type: MAP_TYPE.array,
      typeName: 'array',
      keySize: 4,
      valueSize: sec.size,
      maxEntries: 1,
      flags,
      pinning: 'none',
      mapExtra: 0,
      internal: kind,
      readonly: kind === 'rodata',
      frozen: kind === 'rodata',
      initial,
      initSlots: [],
      btfKeyTypeId: 0,
      btfValueTypeId: ds ? ds.id : 0,
      definedIn: sec.name,
      location: { file: elf.file, section: sec.name, offset: sec.offset },
    };
    out.push({ spec, sectionIndex: idx });
  });
  return out;
}

const OBJ_NAME_LEN = 16;

/**
 * libbpf's kernel-visible name of an internal map: as much of the object name as fits in front of
 * the section name ('maps.rodata'), except for custom '.data.x' / '.rodata.x' sections, which keep
 * their own name; at most 15 characters, other characters than [A-Za-z0-9_.] replaced by '_'.
 */
export function internalMapName(objName: string, realName: string): string {
  let sfx = Math.max(7, realName.length);
  if (sfx >= OBJ_NAME_LEN) sfx = OBJ_NAME_LEN - 1;
  const pfx = realName.indexOf('.', 1) >= 0 ? 0 : Math.min(OBJ_NAME_LEN - sfx - 1, objName.length);
  const name = (objName.slice(0, pfx) + realName.slice(0, sfx)).slice(0, OBJ_NAME_LEN - 1);
  return name.replace(/[^A-Za-z0-9_.]/g, '_');
}

/** libbpf's object name: the file's basename up to its first '.', at most 15 characters. */
export function objectName(file: string): string {
  const base = file.slice(file.lastIndexOf('/') + 1).slice(0, OBJ_NAME_LEN - 1);
  const dot = base.indexOf('.');
  return dot >= 0 ? base.slice(0, dot) : base;
}
