// enum bpf_map_type with libbpf's names for each value, and the flags the loader itself sets
// (the tables themselves are firmware/maps/uapi.ts).
import { type KernelMapTypeName, MAP_FLAGS, MAP_TYPE_NAMES } from '../../firmware/maps/uapi.ts';

export { MAP_TYPE_NAMES };
export type MapTypeName = KernelMapTypeName;

export const MAP_TYPE = Object.fromEntries(MAP_TYPE_NAMES.map((n, i) => [n, i])) as Record<MapTypeName, number>;

export function mapTypeName(type: number): string {
  return MAP_TYPE_NAMES[type] ?? `unknown(${type})`;
}

export function isMapInMap(type: number): boolean {
  return type === MAP_TYPE.array_of_maps || type === MAP_TYPE.hash_of_maps;
}

/** map_flags bits (include/uapi/linux/bpf.h). */
export const MAP_FLAG = MAP_FLAGS;
