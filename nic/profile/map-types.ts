// Kernel map types (`enum bpf_map_type`) and map_flags bits (BPF_F_*) from include/uapi/linux/bpf.h,
// lower-case without their prefixes, as profiles spell them. Pure data, checked against
// test/fixtures/profiles/bpf-names.json (recorded by test/kernel/record_bpf_names.py). The tables
// themselves are firmware/maps/uapi.ts; this file gives them the profiles' lower-case spelling.
import { type KernelMapTypeName, MAP_FLAGS, MAP_TYPE_NAMES as KERNEL_MAP_TYPES } from '../../firmware/maps/uapi.ts';

export const MAP_TYPE_IDS = Object.freeze(Object.fromEntries(KERNEL_MAP_TYPES.map((n, id) => [n, id]))) as Readonly<Record<KernelMapTypeName, number>>;

export type MapTypeName = KernelMapTypeName;
export const MAP_TYPE_NAMES = Object.freeze(Object.keys(MAP_TYPE_IDS) as MapTypeName[]);

export const MAP_FLAG_BITS = Object.freeze(
  Object.fromEntries(Object.entries(MAP_FLAGS).map(([k, v]) => [k.toLowerCase(), v])),
) as Readonly<{ [K in keyof typeof MAP_FLAGS as Lowercase<K>]: number }>;

export type MapFlagName = keyof typeof MAP_FLAG_BITS;
export const MAP_FLAG_NAMES = Object.freeze(Object.keys(MAP_FLAG_BITS) as MapFlagName[]);

/** The map type name of a kernel map type id, or undefined. */
export function mapTypeName(id: number): MapTypeName | undefined {
  return MAP_TYPE_NAMES.find((n) => MAP_TYPE_IDS[n] === id);
}

/** Names of the flag bits set in `flags`, plus the leftover bits no flag names. */
export function splitMapFlags(flags: number): { names: MapFlagName[]; unknown: number } {
  const names: MapFlagName[] = [];
  let rest = flags >>> 0;
  for (const n of MAP_FLAG_NAMES) {
    if (rest & MAP_FLAG_BITS[n]) {
      names.push(n);
      rest &= ~MAP_FLAG_BITS[n];
    }
  }
  return { names, unknown: rest >>> 0 };
}
