// Map specs and creation checks. `validateSpec` repeats, in the kernel's order, the checks BPF_MAP_CREATE
// makes (map_create() in kernel/bpf/syscall.c, then the type's map_alloc_check / map_alloc) and
// returns the normalized geometry a map is built from, or throws a MapError carrying the kernel's
// errno. It allocates nothing, so a device can validate every map before planning its arena.

import {
  ACCESS_MASK,
  Errno,
  Limits,
  MapFlag,
  MapTypeId,
  OTHER_KERNEL_MAP_TYPES,
  mapTypeName,
} from './constants.ts';
import type { MapTypeName } from './constants.ts';
import { MapError } from './errors.ts';

/** What a loader knows about a map (from `.maps` BTF, the legacy `maps` section or internal data). */
export interface MapSpec {
  name?: string;
  /** Kernel type id or nicsim name. */
  type: MapTypeName | number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** map_flags (BPF_F_*), default 0. */
  flags?: number;
  /** Only read when BPF_F_NUMA_NODE is set. */
  numaNode?: number;
  /** Template of the inner maps (array_of_maps / hash_of_maps). */
  innerMap?: MapSpec;
}

/** A validated spec: the numbers the kernel would report in bpf_map_info, plus derived facts. */
export interface MapGeometry {
  name: string;
  type: MapTypeName;
  typeId: number;
  keySize: number;
  valueSize: number;
  /** After the kernel's adjustment (per-CPU LRU lists round it to a multiple of the CPU count). */
  maxEntries: number;
  /** map_flags as bpf_map_info reports them (BPF_F_RDONLY/WRONLY stripped, devmap's RDONLY_PROG added). */
  flags: number;
  /** Host (syscall) side may read / write: cleared by BPF_F_WRONLY / BPF_F_RDONLY. */
  sysRead: boolean;
  sysWrite: boolean;
  /** Number of simulated CPUs (NIC cores): per-CPU copies, per-CPU LRU lists, possible CPUs. */
  cpus: number;
  percpu: boolean;
  innerMap?: MapGeometry;
}

const fail = (errno: number, what: string, spec: MapSpec): never => {
  const name = spec.name ? `map '${spec.name}'` : 'map';
  const code =
    errno === Errno.E2BIG ? 'map.too_big'
    : errno === Errno.ENOTSUPP ? 'map.not_supported'
    : errno === Errno.ENOMEM ? 'map.no_memory'
    : 'map.invalid';
  throw new MapError(code, errno, `${name}: ${what}`);
};

const HTAB_MASK =
  MapFlag.NO_PREALLOC | MapFlag.NO_COMMON_LRU | MapFlag.NUMA_NODE | ACCESS_MASK | MapFlag.ZERO_SEED;
const ARRAY_MASK =
  MapFlag.NUMA_NODE | MapFlag.MMAPABLE | ACCESS_MASK | MapFlag.PRESERVE_ELEMS | MapFlag.INNER_MAP;
const LPM_MASK = MapFlag.NO_PREALLOC | MapFlag.NUMA_NODE | ACCESS_MASK;
const DEV_MASK = MapFlag.NUMA_NODE | MapFlag.RDONLY | MapFlag.WRONLY;
const XSK_MASK = MapFlag.NUMA_NODE | MapFlag.RDONLY | MapFlag.WRONLY;

const accessOk = (f: number) => (f & (MapFlag.RDONLY_PROG | MapFlag.WRONLY_PROG)) !== (MapFlag.RDONLY_PROG | MapFlag.WRONLY_PROG);
const r8 = (n: number) => Math.ceil(n / 8) * 8;
const isU32 = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffffffff;

/**
 * Validates a spec like BPF_MAP_CREATE. `cpus` is the number of simulated CPUs (the kernel's
 * num_possible_cpus()). Throws MapError (errno EINVAL, E2BIG, ENOTSUPP...) where the kernel fails.
 */
export function validateSpec(spec: MapSpec, cpus: number): MapGeometry {
  if (!Number.isInteger(cpus) || cpus < 1 || cpus > Limits.NR_CPUS) {
    throw new MapError('map.cpus', Errno.EINVAL, `cpus must be an integer in 1..${Limits.NR_CPUS}, got ${cpus}`);
  }
  for (const f of ['keySize', 'valueSize', 'maxEntries'] as const) {
    if (!isU32(spec[f])) fail(Errno.EINVAL, `${f} must be a u32, got ${String(spec[f])}`, spec);
  }
  const flags = spec.flags ?? 0;
  if (!isU32(flags)) fail(Errno.EINVAL, `flags must be a u32, got ${String(flags)}`, spec);
  const { keySize: k, valueSize: v } = spec;
  let max = spec.maxEntries;

  // map_create(): file access flags, NUMA node, type lookup
  if ((flags & MapFlag.RDONLY) && (flags & MapFlag.WRONLY)) fail(Errno.EINVAL, 'BPF_F_RDONLY together with BPF_F_WRONLY', spec);
  if (flags & MapFlag.NUMA_NODE) {
    const node = spec.numaNode ?? 0;
    if (!Number.isInteger(node) || node < 0 || node >= Limits.NUMA_NODES) fail(Errno.EINVAL, `NUMA node ${node} is not online`, spec);
  }
  const type = typeof spec.type === 'number' ? mapTypeName(spec.type) : spec.type in MapTypeId ? spec.type : undefined;
  if (type === undefined) {
    const other = typeof spec.type === 'number' ? OTHER_KERNEL_MAP_TYPES[spec.type] : undefined;
    if (other) {
      throw new MapError('map.unsupported_type', Errno.EOPNOTSUPP, `map type ${other} (${String(spec.type)}) is not simulated by nicsim`);
    }
    fail(Errno.EINVAL, `unknown map type ${String(spec.type)}`, spec);
  }
  const t = type as MapTypeName;
  const numa = (flags & MapFlag.NUMA_NODE) !== 0;
  let outFlags = flags & ~(MapFlag.RDONLY | MapFlag.WRONLY);
  let percpu = false;
  let inner: MapGeometry | undefined;

  switch (t) {
    case 'hash':
    case 'percpu_hash':
    case 'lru_hash':
    case 'lru_percpu_hash':
    case 'hash_of_maps': {
      percpu = t === 'percpu_hash' || t === 'lru_percpu_hash';
      const lru = t === 'lru_hash' || t === 'lru_percpu_hash';
      const percpuLru = (flags & MapFlag.NO_COMMON_LRU) !== 0;
      if (t === 'hash_of_maps') {
        // fd_htab_map_alloc_check: value must be a u32 fd; then bpf_map_meta_alloc(inner_map_fd)
        if (v !== 4) fail(Errno.EINVAL, 'hash_of_maps value_size must be 4', spec);
      }
      if ((flags & ~HTAB_MASK) || !accessOk(flags)) fail(Errno.EINVAL, `flags 0x${flags.toString(16)} not allowed for ${t}`, spec);
      if (!lru && percpuLru) fail(Errno.EINVAL, 'BPF_F_NO_COMMON_LRU is only for LRU maps', spec);
      if (lru && (flags & MapFlag.NO_PREALLOC)) fail(Errno.ENOTSUPP, 'LRU maps cannot use BPF_F_NO_PREALLOC', spec);
      if (numa && (percpu || percpuLru)) fail(Errno.EINVAL, 'BPF_F_NUMA_NODE with per-CPU values or lists', spec);
      if (max === 0 || k === 0 || v === 0) fail(Errno.EINVAL, 'max_entries, key_size and value_size must be non-zero', spec);
      if (k + v >= Limits.KMALLOC_MAX_SIZE - Limits.HTAB_ELEM_SIZE) fail(Errno.E2BIG, `key_size + value_size ${k + v} too large`, spec);
      if (percpu && r8(v) > Limits.PCPU_MIN_UNIT_SIZE) fail(Errno.E2BIG, `per-CPU value_size ${v} above ${Limits.PCPU_MIN_UNIT_SIZE}`, spec);
      if (t === 'hash_of_maps') inner = validateInner(spec, cpus);
      if (percpuLru) {
        const up = Math.ceil(max / cpus) * cpus;
        max = up > 0xffffffff ? Math.floor(max / cpus) * cpus : up;
      }
      if (max > 2 ** 31) fail(Errno.E2BIG, `max_entries ${max} above 2^31`, spec);
      // n_buckets = roundup_pow_of_two(max); n_buckets * sizeof(struct bucket) (16) must fit a u32
      if (2 ** Math.ceil(Math.log2(max)) > Math.floor(0xffffffff / 16)) fail(Errno.E2BIG, `max_entries ${max}: bucket table too large`, spec);
      break;
    }
    case 'ringbuf': {
      // ringbuf_map_alloc: no key or value, data size a power of two and a whole number of pages
      if (flags & ~MapFlag.NUMA_NODE) fail(Errno.EINVAL, `flags 0x${flags.toString(16)} not allowed for ringbuf`, spec);
      if (k !== 0 || v !== 0 || max === 0 || (max & (max - 1)) !== 0 || max % 4096 !== 0) {
        fail(Errno.EINVAL, `ringbuf needs key_size 0, value_size 0 and max_entries a power of two multiple of 4096, got ${max}`, spec);
      }
      break;
    }
    case 'array':
    case 'percpu_array':
    case 'prog_array':
    case 'perf_event_array':
    case 'array_of_maps': {
      percpu = t === 'percpu_array';
      if (t === 'prog_array' || t === 'array_of_maps' || t === 'perf_event_array') {
        // fd_array_map_alloc_check
        if (v !== 4) fail(Errno.EINVAL, `${t} value_size must be 4`, spec);
        if (flags & (MapFlag.RDONLY_PROG | MapFlag.WRONLY_PROG)) fail(Errno.EINVAL, `${t} does not take BPF_F_RDONLY_PROG/WRONLY_PROG`, spec);
      }
      if (max === 0 || k !== 4 || v === 0 || (flags & ~ARRAY_MASK) || !accessOk(flags) || (percpu && numa)) {
        fail(Errno.EINVAL, `${t} needs key_size 4, value_size > 0, max_entries > 0 and allowed flags`, spec);
      }
      if (t !== 'array' && (flags & (MapFlag.MMAPABLE | MapFlag.INNER_MAP))) fail(Errno.EINVAL, 'BPF_F_MMAPABLE / BPF_F_INNER_MAP only for array', spec);
      if ((flags & MapFlag.PRESERVE_ELEMS) && t !== 'perf_event_array') fail(Errno.EINVAL, 'BPF_F_PRESERVE_ELEMS only for perf_event_array', spec);
      if (v > Limits.INT_MAX) fail(Errno.E2BIG, `value_size ${v} above INT_MAX`, spec);
      if (percpu && r8(v) > Limits.PCPU_MIN_UNIT_SIZE) fail(Errno.E2BIG, `per-CPU value_size ${v} above ${Limits.PCPU_MIN_UNIT_SIZE}`, spec);
      if (t === 'array_of_maps') inner = validateInner(spec, cpus);
      break;
    }
    case 'lpm_trie': {
      const valMax = Limits.KMALLOC_MAX_SIZE - Limits.LPM_DATA_SIZE_MAX - Limits.LPM_NODE_SIZE;
      if (max === 0 || !(flags & MapFlag.NO_PREALLOC) || (flags & ~LPM_MASK) || !accessOk(flags)
        || k < 5 || k > 4 + Limits.LPM_DATA_SIZE_MAX || v < 1 || v > valMax) {
        fail(Errno.EINVAL, 'lpm_trie needs BPF_F_NO_PREALLOC, key_size 5..260 (u32 prefixlen + data), value_size 1..' + valMax, spec);
      }
      break;
    }
    case 'devmap':
    case 'devmap_hash': {
      if (max === 0 || k !== 4 || (v !== 4 && v !== 8) || (flags & ~DEV_MASK)) {
        fail(Errno.EINVAL, `${t} needs key_size 4, value_size 4 (ifindex) or 8 (ifindex + program fd)`, spec);
      }
      outFlags |= MapFlag.RDONLY_PROG; // lookups hand out the entry itself: read-only for programs
      if (t === 'devmap_hash' && max > 2 ** 31) fail(Errno.EINVAL, `max_entries ${max} above 2^31`, spec);
      break;
    }
    case 'cpumap': {
      if (max === 0 || k !== 4 || (v !== 4 && v !== 8) || (flags & ~MapFlag.NUMA_NODE)) {
        fail(Errno.EINVAL, 'cpumap needs key_size 4, value_size 4 (qsize) or 8 (qsize + program fd)', spec);
      }
      if (max > Limits.NR_CPUS) fail(Errno.E2BIG, `cpumap max_entries ${max} above NR_CPUS ${Limits.NR_CPUS}`, spec);
      break;
    }
    case 'xskmap': {
      if (max === 0 || k !== 4 || v !== 4 || (flags & ~XSK_MASK)) fail(Errno.EINVAL, 'xskmap needs key_size 4, value_size 4', spec);
      break;
    }
  }
  return {
    name: spec.name ?? '',
    type: t,
    typeId: MapTypeId[t],
    keySize: k,
    valueSize: v,
    maxEntries: max,
    flags: outFlags,
    sysRead: !(flags & MapFlag.WRONLY),
    sysWrite: !(flags & MapFlag.RDONLY),
    cpus,
    percpu,
    ...(inner ? { innerMap: inner } : {}),
  };
}

function validateInner(spec: MapSpec, cpus: number): MapGeometry {
  if (!spec.innerMap) fail(Errno.EINVAL, 'map-in-map needs an inner map template', spec);
  const inner = validateSpec(spec.innerMap as MapSpec, cpus);
  if (inner.type === 'array_of_maps' || inner.type === 'hash_of_maps') fail(Errno.EINVAL, 'maps of maps cannot nest', spec);
  return inner;
}
