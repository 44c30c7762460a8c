// What a map's BTF value type says about special fields: the offset of a struct bpf_spin_lock.
import type { Btf } from '../../btf/index.ts';
import { skipModsAndTypedefs } from '../../btf/index.ts';
import type { MapSpec } from '../../elf/index.ts';

const cache = new WeakMap<MapSpec, number>();

/** Byte offset of the top-level struct bpf_spin_lock member of the map's value, or -1. */
export function findSpinLock(btf: Btf | undefined, map: MapSpec): number {
  const hit = cache.get(map);
  if (hit !== undefined) return hit;
  let off = -1;
  if (btf && map.btfValueTypeId) {
    const t = skipModsAndTypedefs(btf, map.btfValueTypeId);
    if (t.kind === 'struct') {
      for (const m of t.members) {
        const mt = skipModsAndTypedefs(btf, m.type);
        if (mt.kind === 'struct' && mt.name === 'bpf_spin_lock') {
          off = m.bitsOffset / 8;
          break;
        }
      }
    }
  }
  cache.set(map, off);
  return off;
}

/** The map was created with BTF for its key and value. */
export function mapHasBtf(map: MapSpec): boolean {
  return map.btfValueTypeId !== 0;
}
