// enum bpf_map_type with libbpf's names for each value, and the flags the loader itself sets.

export const MAP_TYPE_NAMES = [
  'unspec', 'hash', 'array', 'prog_array', 'perf_event_array', 'percpu_hash', 'percpu_array', 'stack_trace',
  'cgroup_array', 'lru_hash', 'lru_percpu_hash', 'lpm_trie', 'array_of_maps', 'hash_of_maps', 'devmap',
  'sockmap', 'cpumap', 'xskmap', 'sockhash', 'cgroup_storage', 'reuseport_sockarray', 'percpu_cgroup_storage',
  'queue', 'stack', 'sk_storage', 'devmap_hash', 'struct_ops', 'ringbuf', 'inode_storage', 'task_storage',
  'bloom_filter', 'user_ringbuf', 'cgrp_storage', 'arena',
] as const;
export type MapTypeName = (typeof MAP_TYPE_NAMES)[number];

export const MAP_TYPE = Object.fromEntries(MAP_TYPE_NAMES.map((n, i) => [n, i])) as Record<MapTypeName, number>;

export function mapTypeName(type: number): string {
  return MAP_TYPE_NAMES[type] ?? `unknown(${type})`;
}

export function isMapInMap(type: number): boolean {
  return type === MAP_TYPE.array_of_maps || type === MAP_TYPE.hash_of_maps;
}

/** map_flags bits (include/uapi/linux/bpf.h). */
export const MAP_FLAG = {
  NO_PREALLOC: 1 << 0,
  NO_COMMON_LRU: 1 << 1,
  NUMA_NODE: 1 << 2,
  RDONLY: 1 << 3,
  WRONLY: 1 << 4,
  STACK_BUILD_ID: 1 << 5,
  ZERO_SEED: 1 << 6,
  RDONLY_PROG: 1 << 7,
  WRONLY_PROG: 1 << 8,
  CLONE: 1 << 9,
  MMAPABLE: 1 << 10,
} as const;
