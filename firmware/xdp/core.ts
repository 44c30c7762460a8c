// One NIC core (or one kernel CPU in test_run) executing XDP programs: a slot of the device's arena
// (state block, stack, struct xdp_md, packet frame), the interpreter bound to it, the maps, the
// programs reachable by tail calls, and the per-core inputs the helpers use (simulated clock, seeded
// PRNG, trace output). It is the EngineCore an engine runs on and the HelperHost helpers (and the
// KfuncHost kfuncs) work on.
//
// Region layout, identical on every core (firmware/layout.ts): 0 stack, 1 ctx, 2 packet, 3 + i map i.
import { KernelSide } from '../kfuncs/kernel.ts';
import { callKfunc, type KfuncHost } from '../kfuncs/table.ts';
import { type Engine, type EngineCore, EXIT, type ExitKind } from '../engine.ts';
import type { Arena, CoreBlocks } from '../arena.ts';
import { callHelper } from '../helpers/table.ts';
import { MAP_PTR_TAG, REGION_CTX, REGION_MAP0, REGION_PACKET, REGION_STACK, REGION_TAG } from '../layout.ts';
import type { BpfMap } from '../maps/index.ts';
import { REDIRECT_IFINDEX, REDIRECT_MAP, REDIRECT_NONE, S_CLOCK, S_PC, S_PRNG, S_REDIR, S_REDIR_A, S_REDIR_B, S_TAIL } from '../state.ts';
import { interpreter } from '../vm/engine.ts';
import { type Env, MAX_TAIL_CALLS, type Program, Vm } from '../vm/interpreter.ts';
import { Fault } from '../vm/fault.ts';
import { makeRegion, type Region, RegionKind } from '../vm/memory.ts';
import { CTX_EGRESS_IFINDEX, CTX_INGRESS_IFINDEX, CTX_RX_QUEUE, XdpBuffer } from './buffer.ts';


/** sizeof(struct xdp_md) and its fields. */
export const XDP_MD = { data: 0, data_end: 4, data_meta: 8, ingress_ifindex: 12, rx_queue_index: 16, egress_ifindex: 20, size: 24 } as const;

export const XDP_ACTIONS = ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'] as const;

/** One bpf_perf_event_output record: the CPU, the perf_event_array slot, the data and the packet sample. */
export interface PerfRecord {
  cpu: number;
  index: number;
  data: Uint8Array;
  sample: Uint8Array | null;
}

export type RedirectTarget = { kind: 'ifindex'; ifindex: number } | { kind: 'map'; map: number; key: number };

export interface CoreOptions {
  /** This core's CPU number (per-CPU map copies, bpf_get_smp_processor_id). */
  cpu?: number;
  /** Seed of bpf_get_prandom_u32. */
  seed?: number;
  /** Start of the simulated clock (ns). */
  clockNs?: number;
  /** Per-packet instruction budget. */
  budget?: number;
}

export class XdpCore implements Env, EngineCore, KfuncHost {
  readonly arena: Arena;
  readonly blocks: CoreBlocks;
  readonly vm: Vm;
  readonly buf: XdpBuffer;
  readonly cpu: number;
  readonly ctxRegion: Region;
  readonly pktRegion: Region;
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  readonly maps: readonly BpfMap[];
  readonly mapOfMaps: Uint8Array;
  /** Programs by id (index = id), for tail calls through prog_array maps, returns and resume. */
  readonly programs: (Program | undefined)[] = [];
  /** Interfaces the program can name (bpf_check_mtu): ifindex -> MTU. test_run runs on loopback. */
  readonly mtus = new Map<number, number>([[1, 65536]]);
  /** The state block's S_CLOCK word pair as a float64 (the simulated clock lives in shared memory). */
  private readonly clock: Float64Array;
  /** Offset of CLOCK_BOOTTIME from CLOCK_MONOTONIC (bpf_ktime_get_boot_ns). */
  bootOffsetNs = 0;
  /** The host kernel's side for kfuncs: conntrack table, kernel objects held, the packet's receive metadata. */
  kernel = new KernelSide();
  /** bpf_trace_printk output of the current packet (one message per call). */
  trace: string[] = [];
  /** bpf_perf_event_output records since the caller last emptied the list (the perf buffers of this CPU). */
  perf: PerfRecord[] = [];
  executed = 0;
  fault: Fault | null = null;

  constructor(arena: Arena, slot: number, opts: CoreOptions = {}) {
    this.arena = arena;
    this.blocks = arena.core(slot);
    const b = this.blocks;
    this.cpu = opts.cpu ?? 0;
    const words = b.state.words;
    this.clock = new Float64Array(words.buffer, words.byteOffset + S_CLOCK * 4, 1);
    this.clockNs = opts.clockNs ?? 1_000_000_000;
    this.vm = new Vm({ state: b.state, stack: b.stack });
    b.state.words[S_PRNG] = (opts.seed ?? 0x9e3779b9) >>> 0 || 1;
    if (opts.budget !== undefined) this.vm.budget = opts.budget;
    this.vm.env = this;
    this.vm.programs = this.programs;
    this.lo = this.vm.lo;
    this.hi = this.vm.hi;
    this.buf = new XdpBuffer({ frame: b.frame, frags: b.frags, ctx: b.ctx });
    if (this.buf.w[CTX_INGRESS_IFINDEX] === 0) this.buf.w[CTX_INGRESS_IFINDEX] = 1;
    this.ctxRegion = makeRegion('ctx', b.ctxBytes.subarray(0, XDP_MD.size), false, RegionKind.Ctx);
    this.pktRegion = makeRegion('packet', b.frame, true);
    if (this.vm.addRegion(this.ctxRegion) !== REGION_CTX || this.vm.addRegion(this.pktRegion) !== REGION_PACKET || this.vm.regions[REGION_STACK] !== this.vm.stack)
      throw new Error('XdpCore: region layout does not match firmware/layout.ts');
    this.maps = arena.maps;
    this.mapOfMaps = new Uint8Array(arena.maps.length);
    arena.maps.forEach((m, i) => {
      const r = makeRegion(`map ${m.name}`, m.data, true);
      r.start = m.base;
      r.size = m.base + m.byteLength;
      this.vm.addRegion(r);
      this.mapOfMaps[i] = m.type === 'array_of_maps' || m.type === 'hash_of_maps' ? 1 : 0;
    });
    this.syncPacket();
  }

  /** Simulated monotonic clock in ns (bpf_ktime_get_ns); the caller advances it. */
  get clockNs(): number {
    return this.clock[0]!;
  }
  set clockNs(ns: number) {
    this.clock[0] = ns;
  }

  get budget(): number {
    return this.vm.budget;
  }
  set budget(n: number) {
    this.vm.budget = n;
  }
  get ingressIfindex(): number {
    return this.buf.w[CTX_INGRESS_IFINDEX]!;
  }
  set ingressIfindex(v: number) {
    this.buf.w[CTX_INGRESS_IFINDEX] = v;
  }
  get rxQueueIndex(): number {
    return this.buf.w[CTX_RX_QUEUE]!;
  }
  set rxQueueIndex(v: number) {
    this.buf.w[CTX_RX_QUEUE] = v;
  }
  get egressIfindex(): number {
    return this.buf.w[CTX_EGRESS_IFINDEX]!;
  }
  set egressIfindex(v: number) {
    this.buf.w[CTX_EGRESS_IFINDEX] = v;
  }

  /** Marks map i read-only for programs (BPF_F_RDONLY_PROG, .rodata). */
  setMapReadonly(i: number, readonly: boolean): void {
    this.vm.regions[REGION_MAP0 + i]!.writable = !readonly;
  }

  /** Keeps the packet region's window equal to [data_meta, data_end). */
  syncPacket(): void {
    this.pktRegion.start = this.buf.dataMeta;
    this.pktRegion.size = this.buf.dataEnd;
  }

  /** Before an engine call: the packet window from the buffer, no trace; a fresh run: no redirect target. */
  beginPacket(resuming = false): void {
    this.syncPacket();
    if (this.trace.length) this.trace.length = 0;
    if (!resuming) this.blocks.state.words[S_REDIR] = REDIRECT_NONE;
    this.fault = null;
  }

  /** Fresh registers for a run: all zero, r1 = the context. */
  resetRegisters(): void {
    // Element writes: cheaper than a typed-array fill call for 22 words.
    const lo = this.lo;
    const hi = this.hi;
    for (let r = 0; r < 11; r++) {
      lo[r] = 0;
      hi[r] = 0;
    }
    hi[1] = REGION_TAG + REGION_CTX;
  }

  /** Runs program `id` with `engine` on the packet in `buf` (EXIT.exit / punt / fault). */
  start(engine: Engine, id: number): ExitKind {
    return engine.run(this, id);
  }

  /** Continues from the state block (after a punt copied in). */
  resume(engine: Engine): ExitKind {
    return engine.resume(this);
  }

  /** Runs `prog` with the interpreter on the packet in `buf`; returns the XDP action, throws its Fault. */
  runLoaded(prog: Program): number {
    if (this.programs[prog.id] !== prog) {
      // A program not (or differently) registered under its id: run it as a bare program.
      this.beginPacket();
      this.resetRegisters();
      const vm = this.vm;
      try {
        vm.start(prog);
        if (vm.continue() !== EXIT.exit) throw new Fault('fault.punt', `program ${prog.name} stopped at a punt pc`, vm.words[S_PC]!);
      } finally {
        this.executed = vm.executed;
      }
      return this.action;
    }
    const k = interpreter.run(this, prog.id);
    if (k === EXIT.fault) throw this.fault!;
    if (k === EXIT.punt) throw new Fault('fault.punt', `program ${prog.name} stopped at punt pc ${this.vm.words[S_PC]} (resume it on a host-path core)`, this.vm.words[S_PC]!);
    return this.action;
  }

  /** Loads `packet` into the buffer (as test_run does) and runs `prog` on it with the interpreter. */
  run(prog: Program, packet: Uint8Array): number {
    this.buf.reset(packet);
    return this.runLoaded(prog);
  }

  /** The XDP action after EXIT.exit (r0's low word, unsigned). */
  get action(): number {
    return this.lo[0]! >>> 0;
  }

  /** Target of bpf_redirect / bpf_redirect_map of the current packet (allocates: reports only). */
  get redirect(): RedirectTarget | null {
    const w = this.blocks.state.words;
    switch (w[S_REDIR]) {
      case REDIRECT_IFINDEX:
        return { kind: 'ifindex', ifindex: w[S_REDIR_A]! >>> 0 };
      case REDIRECT_MAP:
        return { kind: 'map', map: w[S_REDIR_A]!, key: w[S_REDIR_B]! >>> 0 };
      default:
        return null;
    }
  }

  // ---------------------------------------------------------------- Env (the interpreter's hooks)
  helper(_vm: Vm, id: number, pc: number): void {
    callHelper(this, id, pc);
  }

  kfunc(_vm: Vm, btfId: number, pc: number): void {
    callKfunc(this, btfId, pc);
  }

  ctxLoad(vm: Vm, _r: Region, off: number, size: number, pc: number): void {
    if (size !== 4 || off % 4 !== 0 || off >= XDP_MD.size) throw new Fault('fault.ctx', `invalid bpf_context access off=${off} size=${size}`, pc);
    // data, data_end, data_meta are offsets into the frame: as pointers they point into the packet.
    vm.rlo = this.buf.w[off >> 2]!;
    vm.rhi = off < XDP_MD.ingress_ifindex ? REGION_TAG + REGION_PACKET : 0;
  }

  ctxStore(_vm: Vm, _r: Region, off: number, size: number, _lo: number, _hi: number, pc: number): void {
    throw new Fault('fault.ctx', `invalid bpf_context access off=${off} size=${size} (the context is read-only)`, pc);
  }

  // ---------------------------------------------------------------- HelperHost
  resolveAddr(lo: number, hi: number, size: number, pc: number, what: string): Region {
    return this.vm.resolveAddr(lo, hi, size, pc, what);
  }

  get lastEa(): number {
    return this.vm.lastEa;
  }

  mapIndex(lo: number, hi: number, pc: number, what: string): number {
    if (hi !== MAP_PTR_TAG || lo >>> 0 >= this.maps.length) throw new Fault('fault.helper', `${what}: argument is not a map pointer`, pc);
    return lo;
  }

  nowNs(boot: boolean): number {
    return this.clockNs + (boot ? this.bootOffsetNs : 0);
  }

  perfOutput(index: number, data: Uint8Array, sample: Uint8Array | null): void {
    this.perf.push({ cpu: this.cpu, index, data, sample });
  }

  printk(msg: string): void {
    this.trace.push(msg);
  }

  setRedirect(kind: number, a: number, b: number): void {
    const w = this.blocks.state.words;
    w[S_REDIR] = kind;
    w[S_REDIR_A] = a;
    w[S_REDIR_B] = b;
  }

  tailCall(id: number): boolean {
    const w = this.blocks.state.words;
    const target = this.programs[id];
    if (!target || w[S_TAIL]! >= MAX_TAIL_CALLS) return false;
    w[S_TAIL] = w[S_TAIL]! + 1;
    this.vm.tailTarget = target;
    return true;
  }

  mtuOf(ifindex: number): number | undefined {
    return this.mtus.get(ifindex);
  }

  callback(fnPc: number, callerPc: number): number {
    const prog = this.vm.current;
    if (!prog) throw new Fault('fault.helper', 'a callback outside a running program', callerPc);
    const r = this.vm.callback(prog, fnPc, callerPc);
    this.vm.current = prog;
    return r;
  }

  /** bpf_get_prandom_u32: xorshift32, seeded per core, its state in the state block (S_PRNG). */
  nextRandom(): number {
    const w = this.blocks.state.words;
    let x = w[S_PRNG]!;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    w[S_PRNG] = x;
    return x >>> 0;
  }
}
