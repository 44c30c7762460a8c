// Kernel map types (`enum bpf_map_type`) and map_flags bits (BPF_F_*) from include/uapi/linux/bpf.h,
// lower-case without their prefixes, as profiles spell them. Pure data, checked against
// test/fixtures/profiles/bpf-names.json (recorded by test/kernel/record_bpf_names.py).

export const MAP_TYPE_IDS = {
  unspec: 0,
  hash: 1,
  array: 2,
  prog_array: 3,
  perf_event_array: 4,
  percpu_hash: 5,
  percpu_array: 6,
  stack_trace: 7,
  cgroup_array: 8,
  lru_hash: 9,
  lru_percpu_hash: 10,
  lpm_trie: 11,
  array_of_maps: 12,
  hash_of_maps: 13,
  devmap: 14,
  sockmap: 15,
  cpumap: 16,
  xskmap: 17,
  sockhash: 18,
  cgroup_storage: 19,
  reuseport_sockarray: 20,
  percpu_cgroup_storage: 21,
  queue: 22,
  stack: 23,
  sk_storage: 24,
  devmap_hash: 25,
  struct_ops: 26,
  ringbuf: 27,
  inode_storage: 28,
  task_storage: 29,
  bloom_filter: 30,
  user_ringbuf: 31,
} as const;

export type MapTypeName = keyof typeof MAP_TYPE_IDS;
export const MAP_TYPE_NAMES = Object.freeze(Object.keys(MAP_TYPE_IDS) as MapTypeName[]);

export const MAP_FLAG_BITS = {
  no_prealloc: 0x1,
  no_common_lru: 0x2,
  numa_node: 0x4,
  rdonly: 0x8,
  wronly: 0x10,
  stack_build_id: 0x20,
  zero_seed: 0x40,
  rdonly_prog: 0x80,
  wronly_prog: 0x100,
  clone: 0x200,
  mmapable: 0x400,
  preserve_elems: 0x800,
  inner_map: 0x1000,
} as const;

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
