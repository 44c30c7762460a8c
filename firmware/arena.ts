// One device's memory: a single SharedArrayBuffer that is the buffer of a shared WebAssembly.Memory
// (so a Wasm engine can use it as its linear memory), holding every map of the device and, per core,
// a state block (firmware/state.ts), a stack, struct xdp_md with the packet buffer's bookkeeping, and
// the packet frame with its fragment pages. Programs see it through regions (firmware/layout.ts);
// the interpreter keeps bounds-checking every access against them. A cloneable ArenaDescriptor lets
// a worker thread attach to the same memory (maps through attachMap).
//
// Layout (byte offsets; every block 64-aligned, the core blocks and the map area 4096-aligned):
//   0                      arena header (ARENA_HEADER bytes): magic, version, cores, map count
//   CORE_BASE + i*stride   core i (stride CORE_STRIDE):
//       + CORE_STATE   state block   (STATE_BYTES)
//       + CORE_STACK   stack         (STACK_BYTES; region 0, offset = byte in this block)
//       + CORE_CTX     ctx block     (CTX_BYTES: struct xdp_md words 0..5, then buffer words; region 1)
//       + CORE_FRAME   packet frame  (FRAME_SIZE; region 2, offset = byte in this block)
//       + CORE_FRAGS   fragment pages (MAX_FRAGS x FRAG_SIZE, multi-buffer packets)
//       + CORE_BATCH   batch slots (BATCH_SLOTS x BATCH_SLOT_BYTES: packets in and results out of the
//                      JIT's batchSlots export, firmware/jit/abi.ts; untouched pages cost nothing)
//   maps[j].offset         map j's region (firmware/maps: offsets handed out are absolute in the arena)
import { type BpfMap, attachMap, createMap, planMap, type MapDescriptor, type MapEnv, type MapSpec } from './maps/index.ts';
import { STACK_BYTES } from './layout.ts';
import { STATE_BYTES, stateView, type StateView } from './state.ts';
import { CTX_BYTES, CTX_NFRAGS, CTX_WORDS, FRAG_SIZE, FRAME_SIZE, MAX_FRAGS } from './xdp/buffer.ts';

export const ARENA_MAGIC = 0x4e524141; // 'AARN'
export const ARENA_VERSION = 1;
export const ARENA_HEADER = 4096;
export const WASM_PAGE = 65536;

export const CORE_STATE = 0;
export const CORE_STACK = CORE_STATE + STATE_BYTES;
export const CORE_CTX = CORE_STACK + STACK_BYTES;
export const CORE_FRAME = CORE_CTX + CTX_BYTES;
export const CORE_FRAGS = CORE_FRAME + FRAME_SIZE;
/** The JIT's multi-packet batch (firmware/jit/abi.ts BATCH_*): BATCH_SLOTS slots of BATCH_SLOT_BYTES. */
export const CORE_BATCH = CORE_FRAGS + MAX_FRAGS * FRAG_SIZE;
export const BATCH_SLOTS = 32;
export const BATCH_SLOT_BYTES = 4096;
export const CORE_STRIDE = Math.ceil((CORE_BATCH + BATCH_SLOTS * BATCH_SLOT_BYTES) / 4096) * 4096;
export const CORE_BASE = ARENA_HEADER;

/** The shape of a shared WebAssembly.Memory this module relies on (lib.dom is not in tsconfig). */
export interface SharedMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}
interface WasmMemoryCtor {
  new (d: { initial: number; maximum: number; shared: boolean }): SharedMemory;
}

function newSharedMemory(pages: number): SharedMemory {
  const Memory = (globalThis as unknown as { WebAssembly: { Memory: WasmMemoryCtor } }).WebAssembly.Memory;
  return new Memory({ initial: pages, maximum: pages, shared: true });
}

export interface ArenaMapPlan {
  name: string;
  offset: number;
  bytes: number;
}

/** Where everything is: pure data, part of the descriptor. */
export interface ArenaPlan {
  cores: number;
  coreBase: number;
  coreStride: number;
  maps: ArenaMapPlan[];
  /** Total bytes (a multiple of WASM_PAGE). */
  bytes: number;
}

/** Everything another thread needs to attach: structured-clone friendly (postMessage / workerData). */
export interface ArenaDescriptor {
  v: 1;
  plan: ArenaPlan;
  memory: SharedMemory;
  maps: MapDescriptor[];
}

/** Views of one core's blocks in the arena (created once per core, never per packet). */
export interface CoreBlocks {
  index: number;
  /** Byte offset of the core's block in the arena. */
  base: number;
  state: StateView;
  stack: Uint8Array;
  /** struct xdp_md words (0..5) and the packet buffer's bookkeeping words (xdp/buffer.ts). */
  ctx: Int32Array;
  ctxBytes: Uint8Array;
  frame: Uint8Array;
  frags: Uint8Array;
}

export interface ArenaOptions {
  /** Core slots: the device's cores plus any host-path slots the caller wants. */
  cores: number;
  /** Simulated CPUs for per-CPU maps. */
  cpus: number;
  env?: MapEnv;
  hashSeed?: number;
  hostCpu?: number;
  maxBytes?: number;
  /** Called when map `index` cannot be planned or created (lets the loader name the ELF map). */
  onMapError?: (index: number, e: unknown) => never;
}

/** Lays out `mapBytes` (each a multiple of 8) after `cores` core blocks. */
export function planArena(cores: number, maps: readonly { name: string; bytes: number }[]): ArenaPlan {
  if (!Number.isInteger(cores) || cores < 1) throw new RangeError(`an arena needs at least one core slot, got ${cores}`);
  let off = CORE_BASE + cores * CORE_STRIDE;
  const placed: ArenaMapPlan[] = [];
  for (const m of maps) {
    off = Math.ceil(off / 64) * 64;
    placed.push({ name: m.name, offset: off, bytes: m.bytes });
    off += m.bytes;
  }
  const bytes = Math.max(WASM_PAGE, Math.ceil(off / WASM_PAGE) * WASM_PAGE);
  return { cores, coreBase: CORE_BASE, coreStride: CORE_STRIDE, maps: placed, bytes };
}

export class Arena {
  readonly memory: SharedMemory;
  readonly sab: SharedArrayBuffer;
  readonly plan: ArenaPlan;
  /** The device's maps, in the order they were given (ObjectSpec order). */
  readonly maps: BpfMap[];
  private readonly blocks: CoreBlocks[];

  private constructor(memory: SharedMemory, plan: ArenaPlan, maps: BpfMap[]) {
    this.memory = memory;
    this.sab = memory.buffer as SharedArrayBuffer;
    this.plan = plan;
    this.maps = maps;
    this.blocks = [];
    for (let i = 0; i < plan.cores; i++) this.blocks.push(this.viewsOf(i));
  }

  /** Plans, allocates and creates every map (BPF_MAP_CREATE semantics, errors as MapError). */
  static create(specs: readonly MapSpec[], opts: ArenaOptions): Arena {
    const sized = specs.map((s, i) => {
      try {
        return { name: s.name ?? `map ${i}`, bytes: planMap(s, { cpus: opts.cpus, ...(opts.maxBytes !== undefined ? { maxBytes: opts.maxBytes } : {}) }).bytes };
      } catch (e) {
        if (opts.onMapError) opts.onMapError(i, e);
        throw e;
      }
    });
    const plan = planArena(opts.cores, sized);
    let memory: SharedMemory;
    try {
      memory = newSharedMemory(plan.bytes / WASM_PAGE);
    } catch (e) {
      throw new RangeError(`cannot allocate a ${plan.bytes}-byte shared arena: ${(e as Error).message}`);
    }
    const sab = memory.buffer as SharedArrayBuffer;
    const header = new Int32Array(sab, 0, 4);
    header[0] = ARENA_MAGIC;
    header[1] = ARENA_VERSION;
    header[2] = plan.cores;
    header[3] = specs.length;
    const maps = specs.map((s, i) => {
      try {
        return createMap(s, {
          cpus: opts.cpus,
          sab,
          offset: plan.maps[i]!.offset,
          ...(opts.env ? { env: opts.env } : {}),
          ...(opts.hashSeed !== undefined ? { hashSeed: opts.hashSeed } : {}),
          ...(opts.hostCpu !== undefined ? { hostCpu: opts.hostCpu } : {}),
          ...(opts.maxBytes !== undefined ? { maxBytes: opts.maxBytes } : {}),
        });
      } catch (e) {
        if (opts.onMapError) opts.onMapError(i, e);
        throw e;
      }
    });
    return new Arena(memory, plan, maps);
  }

  /** Attaches to an arena created elsewhere (another worker thread): same memory, same maps. */
  static attach(desc: ArenaDescriptor, env: MapEnv = {}): Arena {
    const sab = desc?.memory?.buffer;
    if (desc?.v !== 1 || !(sab instanceof SharedArrayBuffer) || sab.byteLength !== desc.plan.bytes) throw new TypeError('not a nicsim arena descriptor');
    const header = new Int32Array(sab, 0, 4);
    if (header[0] !== ARENA_MAGIC || header[1] !== ARENA_VERSION || header[2] !== desc.plan.cores) throw new TypeError('the descriptor does not describe an initialised arena');
    return new Arena(desc.memory, desc.plan, desc.maps.map((d) => attachMap(d, env)));
  }

  describe(): ArenaDescriptor {
    return { v: 1, plan: this.plan, memory: this.memory, maps: this.maps.map((m) => m.describe()) };
  }

  /** Byte offset of core `i`'s block. */
  coreOffset(i: number): number {
    return this.plan.coreBase + i * this.plan.coreStride;
  }

  /** The views of core `i`'s blocks (the same objects every call). */
  core(i: number): CoreBlocks {
    const b = this.blocks[i];
    if (!b) throw new RangeError(`core ${i} is not one of the arena's ${this.plan.cores} core slots`);
    return b;
  }

  /**
   * Copies core `from`'s execution (state block, stack, ctx block, frame and the fragment pages in
   * use) to core `to`, within the arena and without allocating: `resume` on `to` then continues
   * exactly where `from` stopped.
   */
  copyCore(from: number, to: number): void {
    if (from === to) return;
    const src = this.coreOffset(from);
    const dst = this.coreOffset(to);
    const u8 = new Uint8Array(this.sab);
    const nfrags = this.core(from).ctx[CTX_NFRAGS]!;
    u8.copyWithin(dst, src, src + CORE_FRAGS + nfrags * FRAG_SIZE);
  }

  private viewsOf(i: number): CoreBlocks {
    const base = this.coreOffset(i);
    const sab = this.sab;
    return {
      index: i,
      base,
      state: stateView(sab, base + CORE_STATE),
      stack: new Uint8Array(sab, base + CORE_STACK, STACK_BYTES),
      ctx: new Int32Array(sab, base + CORE_CTX, CTX_WORDS),
      ctxBytes: new Uint8Array(sab, base + CORE_CTX, CTX_BYTES),
      frame: new Uint8Array(sab, base + CORE_FRAME, FRAME_SIZE),
      frags: new Uint8Array(sab, base + CORE_FRAGS, MAX_FRAGS * FRAG_SIZE),
    };
  }
}
