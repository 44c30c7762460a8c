// Kernel constants the maps mirror: map type ids, map_flags bits, update flags, errno numbers and the
// size limits of the Linux 6.18 implementation (several measured by test/kernel/record-maps.py and
// kept in test/fixtures/maps/create.json "constants").
import { MAP_FLAGS, MAP_TYPE_NAMES } from './uapi.ts';

/** Kernel map type ids (enum bpf_map_type) of the types nicsim knows by name. */
export const MapTypeId = {
  hash: 1,
  array: 2,
  prog_array: 3,
  perf_event_array: 4,
  percpu_hash: 5,
  percpu_array: 6,
  lru_hash: 9,
  lru_percpu_hash: 10,
  lpm_trie: 11,
  array_of_maps: 12,
  hash_of_maps: 13,
  devmap: 14,
  cpumap: 16,
  xskmap: 17,
  devmap_hash: 25,
  ringbuf: 27,
} as const;
export type MapTypeName = keyof typeof MapTypeId;

const NAME_BY_ID = new Map<number, MapTypeName>(
  (Object.entries(MapTypeId) as [MapTypeName, number][]).map(([n, id]) => [id, n]),
);

/** Other kernel map types (valid in the kernel, not simulated): id -> name, for error messages. */
export const OTHER_KERNEL_MAP_TYPES: Readonly<Record<number, string>> = Object.fromEntries(
  MAP_TYPE_NAMES.map((n, id) => [id, n] as const).filter(([id, n]) => id > 0 && !(n in MapTypeId)),
);

export function mapTypeName(id: number): MapTypeName | undefined {
  return NAME_BY_ID.get(id);
}

/** map_flags bits (BPF_F_*). */
export const MapFlag = MAP_FLAGS;

/** BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG */
export const ACCESS_MASK = MapFlag.RDONLY | MapFlag.WRONLY | MapFlag.RDONLY_PROG | MapFlag.WRONLY_PROG;

/** Update flags (bpf_map_update_elem's last argument). */
export const BPF_ANY = 0;
export const BPF_NOEXIST = 1;
export const BPF_EXIST = 2;
export const BPF_F_LOCK = 4;

/** errno values returned (negated) by map operations. */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENOSPC: 28,
  EOVERFLOW: 75,
  ENOTSOCK: 88,
  EOPNOTSUPP: 95,
  /** The kernel-internal ENOTSUPP (returned e.g. for LRU maps with BPF_F_NO_PREALLOC). */
  ENOTSUPP: 524,
} as const;

export const ERRNO_NAME: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(Errno).map(([n, v]) => [v, n]),
);

export const Limits = {
  /** KMALLOC_MAX_SIZE on x86_64 (4 MiB). */
  KMALLOC_MAX_SIZE: 4 << 20,
  /** sizeof(struct htab_elem): key_size + value_size >= KMALLOC_MAX_SIZE - this -> E2BIG. */
  HTAB_ELEM_SIZE: 48,
  /** sizeof(struct lpm_trie_node) (value limit KMALLOC_MAX_SIZE - 256 - this). */
  LPM_NODE_SIZE: 24,
  LPM_DATA_SIZE_MAX: 256,
  /** PCPU_MIN_UNIT_SIZE: round_up(value_size, 8) of a per-CPU map may not exceed it. */
  PCPU_MIN_UNIT_SIZE: 32768,
  /** NR_CPUS of the recorded kernel: cpumap max_entries above it -> E2BIG. */
  NR_CPUS: 256,
  /** cpumap qsize sanity limit (-EOVERFLOW above). */
  CPUMAP_QSIZE_MAX: 16384,
  /** NUMA nodes of the simulated machine (node 0 only). */
  NUMA_NODES: 1,
  INT_MAX: 0x7fffffff,
} as const;
