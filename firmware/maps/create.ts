// Creating a map, planning an arena, and attaching to an existing map from another thread.

import { ArrayMap } from './array.ts';
import { BpfMapBase, H_MAGIC, H_TYPE, MAGIC } from './base.ts';
import type { MapDescriptor, MapEnv, MapRegion } from './base.ts';
import { Errno } from './constants.ts';
import { DevMapHash } from './devmap-hash.ts';
import { MapError } from './errors.ts';
import { HashMap } from './hashtab.ts';
import { LpmTrie } from './lpm.ts';
import { ArrayOfMaps, HashOfMaps } from './mapinmap.ts';
import { RingBuf } from './ringbuf.ts';
import { CpuMap, DevMap, PerfEventArray, ProgArray, XskMap } from './slots.ts';
import { validateSpec } from './spec.ts';
import type { MapGeometry, MapSpec } from './spec.ts';

export type BpfMap = ArrayMap | HashMap | LpmTrie | DevMap | DevMapHash | CpuMap | XskMap | ProgArray | ArrayOfMaps | HashOfMaps | PerfEventArray | RingBuf;

export interface CreateOptions {
  /** Simulated CPUs (NIC cores): per-CPU copies, per-CPU LRU lists, cpumap's possible CPUs. */
  cpus: number;
  /** Place the map in this buffer (an arena shared by all maps of a device) instead of its own. */
  sab?: SharedArrayBuffer;
  /**
   * Byte offset in `sab` (multiple of 8) of the region [offset, offset + mapBytes). The region must
   * be zero (fresh memory: a new SharedArrayBuffer or grown Wasm memory is): zero bytes are an empty
   * map of every type, so creation writes only the 64-byte header and never touches the rest.
   */
  offset?: number;
  /** Zero the region first (a reused arena holding old bytes); this touches every page of it. */
  clear?: boolean;
  /** hashrnd of hash maps without BPF_F_ZERO_SEED (default 0: nicsim is deterministic). */
  hashSeed?: number;
  /** CPU whose LRU lists host updates use (default 0; the kernel uses the CPU running the syscall). */
  hostCpu?: number;
  /** Host-side resolution of interfaces, programs, sockets. */
  env?: MapEnv;
  /** Refuse maps larger than this many bytes with ENOMEM (default 1 GiB). */
  maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 1 << 30;

/** Bytes of shared memory a validated map needs (its region, 8-aligned). */
export function mapBytes(g: MapGeometry): number {
  let n: number;
  switch (g.type) {
    case 'array':
    case 'percpu_array':
      n = ArrayMap.bytes(g);
      break;
    case 'hash':
    case 'percpu_hash':
    case 'lru_hash':
    case 'lru_percpu_hash':
      n = HashMap.layout(g).bytes;
      break;
    case 'devmap_hash':
      n = DevMapHash.layout(g).bytes;
      break;
    case 'lpm_trie':
      n = LpmTrie.bytes(g);
      break;
    case 'devmap':
    case 'cpumap':
    case 'xskmap':
    case 'prog_array':
    case 'perf_event_array':
      n = DevMap.bytes(g);
      break;
    case 'ringbuf':
      n = RingBuf.bytes(g);
      break;
    case 'array_of_maps':
      n = ArrayOfMaps.bytes(g);
      break;
    case 'hash_of_maps':
      n = HashOfMaps.layout(g).bytes;
      break;
  }
  return Math.ceil(n / 8) * 8;
}

function construct(g: MapGeometry, r: MapRegion): BpfMap {
  switch (g.type) {
    case 'array':
    case 'percpu_array':
      return new ArrayMap(g, r);
    case 'hash':
    case 'percpu_hash':
    case 'lru_hash':
    case 'lru_percpu_hash':
      return new HashMap(g, r);
    case 'devmap_hash':
      return new DevMapHash(g, r);
    case 'lpm_trie':
      return new LpmTrie(g, r);
    case 'devmap':
      return new DevMap(g, r);
    case 'cpumap':
      return new CpuMap(g, r);
    case 'xskmap':
      return new XskMap(g, r);
    case 'prog_array':
      return new ProgArray(g, r);
    case 'array_of_maps':
      return new ArrayOfMaps(g, r);
    case 'hash_of_maps':
      return new HashOfMaps(g, r);
    case 'perf_event_array':
      return new PerfEventArray(g, r);
    case 'ringbuf':
      return new RingBuf(g, r);
  }
}

/** Validates the spec (kernel errors as MapError) and checks the nicsim memory budget. */
export function planMap(spec: MapSpec, opts: Pick<CreateOptions, 'cpus' | 'maxBytes'>): { geometry: MapGeometry; bytes: number } {
  const geometry = validateSpec(spec, opts.cpus);
  const bytes = mapBytes(geometry);
  const limit = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  if (bytes > limit) {
    throw new MapError('map.no_memory', Errno.ENOMEM, `map '${geometry.name}' needs ${bytes} bytes of map memory, more than the ${limit} allowed`);
  }
  return { geometry, bytes };
}

/**
 * BPF_MAP_CREATE: validates like the kernel, allocates (or places) the region and writes its header.
 * Cost is O(1) in max_entries: the memory of untouched elements is never written.
 */
export function createMap(spec: MapSpec, opts: CreateOptions): BpfMap {
  const { geometry, bytes } = planMap(spec, opts);
  const offset = opts.offset ?? 0;
  const sab = opts.sab ?? new SharedArrayBuffer(bytes);
  if (offset % 8 !== 0 || offset < 0 || offset + bytes > sab.byteLength) {
    throw new MapError('map.placement', Errno.EINVAL, `map '${geometry.name}': ${bytes} bytes at offset ${offset} do not fit an 8-aligned place in a ${sab.byteLength}-byte buffer`);
  }
  const hostCpu = opts.hostCpu ?? 0;
  if (!Number.isInteger(hostCpu) || hostCpu < 0 || hostCpu >= geometry.cpus) {
    throw new MapError('map.host_cpu', Errno.EINVAL, `hostCpu ${hostCpu} is not one of the ${geometry.cpus} CPUs`);
  }
  const map = construct(geometry, {
    sab,
    offset,
    byteLength: bytes,
    hashSeed: opts.hashSeed ?? 0,
    hostCpu,
    env: opts.env ?? {},
  });
  if (opts.clear) map.data.fill(0, offset, offset + bytes);
  map.init(); // O(1): writes the header only (see each type's layout comment)
  return map;
}

/** Attaches to a map created elsewhere (e.g. in the main thread) from its descriptor. */
export function attachMap(desc: MapDescriptor, env: MapEnv = {}): BpfMap {
  if (desc?.v !== 1 || !(desc.sab instanceof SharedArrayBuffer)) {
    throw new MapError('map.descriptor', Errno.EINVAL, 'not a nicsim map descriptor');
  }
  const g = desc.geometry;
  const i32 = new Int32Array(desc.sab);
  const w = desc.offset >> 2;
  if (i32[w + H_MAGIC] !== MAGIC || i32[w + H_TYPE] !== g.typeId || mapBytes(g) !== desc.byteLength) {
    throw new MapError('map.descriptor', Errno.EINVAL, `no initialized ${g.type} map at offset ${desc.offset}`);
  }
  return construct(g, { sab: desc.sab, offset: desc.offset, byteLength: desc.byteLength, hashSeed: desc.hashSeed, hostCpu: desc.hostCpu, env });
}

export function isBpfMap(x: unknown): x is BpfMap {
  return x instanceof BpfMapBase;
}
