// One NIC core (or one kernel CPU in test_run) executing XDP programs: the interpreter, the packet
// buffer, struct xdp_md, the maps, the programs reachable by tail calls, and the per-core state the
// helpers use (simulated clock, seeded PRNG, trace output, redirect target).
//
// Region layout, identical on every core so that pre-decoded programs can embed pointers:
//   0 stack   1 context (struct xdp_md)   2 packet frame   3 + i  map i
import { type Program, type Env, Vm } from '../vm/interpreter.ts';
import { Fault } from '../vm/fault.ts';
import { makeRegion, MAP_PTR_TAG, type Region, REGION_TAG, RegionKind } from '../vm/memory.ts';
import type { BpfMap } from '../maps/index.ts';
import { XdpBuffer } from './buffer.ts';
import { callHelper } from './helpers.ts';

export const REGION_CTX = 1;
export const REGION_PACKET = 2;
export const REGION_MAP0 = 3;

/** sizeof(struct xdp_md) and its fields. */
export const XDP_MD = { data: 0, data_end: 4, data_meta: 8, ingress_ifindex: 12, rx_queue_index: 16, egress_ifindex: 20, size: 24 } as const;

export const XDP_ACTIONS = ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'] as const;

export type RedirectTarget = { kind: 'ifindex'; ifindex: number } | { kind: 'map'; map: number; key: number };

export interface CoreOptions {
  /** This core's CPU number (per-CPU map copies, bpf_get_smp_processor_id). */
  cpu?: number;
  /** Seed of bpf_get_prandom_u32. */
  seed?: number;
  /** Start of the simulated clock (ns). */
  clockNs?: number;
}

export class XdpCore implements Env {
  readonly vm = new Vm();
  readonly buf = new XdpBuffer();
  readonly cpu: number;
  readonly ctxRegion: Region;
  readonly pktRegion: Region;
  maps: BpfMap[] = [];
  /** Programs by id, for bpf_tail_call through prog_array maps. */
  readonly programs = new Map<number, Program>();
  ingressIfindex = 1;
  /** Interfaces the program can name (bpf_check_mtu): ifindex -> MTU. test_run runs on loopback. */
  readonly mtus = new Map<number, number>([[1, 65536]]);
  rxQueueIndex = 0;
  egressIfindex = 0;
  /** Simulated monotonic clock in ns (bpf_ktime_get_ns); the caller advances it. */
  clockNs: number;
  /** Offset of CLOCK_BOOTTIME from CLOCK_MONOTONIC (bpf_ktime_get_boot_ns). */
  bootOffsetNs = 0;
  /** bpf_trace_printk output of the current run (one message per call). */
  trace: string[] = [];
  /** Target of the last bpf_redirect / bpf_redirect_map of the current run. */
  redirect: RedirectTarget | null = null;
  private prng: number;

  constructor(opts: CoreOptions = {}) {
    this.cpu = opts.cpu ?? 0;
    this.prng = (opts.seed ?? 0x9e3779b9) >>> 0 || 1;
    this.clockNs = opts.clockNs ?? 1_000_000_000;
    this.vm.env = this;
    this.ctxRegion = makeRegion('ctx', new Uint8Array(XDP_MD.size), false, RegionKind.Ctx);
    this.pktRegion = makeRegion('packet', this.buf.frame, true);
    this.vm.addRegion(this.ctxRegion);
    this.vm.addRegion(this.pktRegion);
  }

  /** Attaches the object's maps (in ObjectSpec order): map i becomes region 3 + i. */
  setMaps(maps: BpfMap[]): void {
    this.maps = maps;
    this.vm.regions.length = REGION_MAP0;
    for (const m of maps) {
      const r = makeRegion(`map ${m.name}`, m.data, true);
      r.start = m.base;
      r.size = m.base + m.byteLength;
      this.vm.addRegion(r);
    }
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

  /** Runs `prog` on the packet currently in `buf`; returns the XDP action (r0). */
  runLoaded(prog: Program): number {
    const vm = this.vm;
    this.syncPacket();
    this.trace.length = 0;
    this.redirect = null;
    vm.lo.fill(0);
    vm.hi.fill(0);
    vm.lo[1] = 0;
    vm.hi[1] = REGION_TAG + REGION_CTX;
    return vm.run(prog) >>> 0;
  }

  /** Loads `packet` into the buffer (as test_run does) and runs `prog` on it. */
  run(prog: Program, packet: Uint8Array): number {
    this.buf.reset(packet);
    return this.runLoaded(prog);
  }

  // ---------------------------------------------------------------- Env
  helper(vm: Vm, id: number, pc: number): void {
    callHelper(this, vm, id, pc);
  }

  ctxLoad(vm: Vm, _r: Region, off: number, size: number, pc: number): void {
    if (size !== 4 || off % 4 !== 0) throw new Fault('fault.ctx', `invalid bpf_context access off=${off} size=${size}`, pc);
    const pkt = REGION_TAG + REGION_PACKET;
    vm.rhi = 0;
    switch (off) {
      case XDP_MD.data:
        vm.rlo = this.buf.data;
        vm.rhi = pkt;
        return;
      case XDP_MD.data_end:
        vm.rlo = this.buf.dataEnd;
        vm.rhi = pkt;
        return;
      case XDP_MD.data_meta:
        vm.rlo = this.buf.dataMeta;
        vm.rhi = pkt;
        return;
      case XDP_MD.ingress_ifindex:
        vm.rlo = this.ingressIfindex;
        return;
      case XDP_MD.rx_queue_index:
        vm.rlo = this.rxQueueIndex;
        return;
      case XDP_MD.egress_ifindex:
        vm.rlo = this.egressIfindex;
        return;
      default:
        throw new Fault('fault.ctx', `invalid bpf_context access off=${off} size=${size}`, pc);
    }
  }

  ctxStore(_vm: Vm, _r: Region, off: number, size: number, _lo: number, _hi: number, pc: number): void {
    throw new Fault('fault.ctx', `invalid bpf_context access off=${off} size=${size} (the context is read-only)`, pc);
  }

  // ---------------------------------------------------------------- helper support
  /** The map a map-pointer argument (lo, hi) names. */
  mapArg(lo: number, hi: number, pc: number, what: string): BpfMap {
    const m = hi === MAP_PTR_TAG ? this.maps[lo] : undefined;
    if (!m) throw new Fault('fault.helper', `${what}: argument is not a map pointer`, pc);
    return m;
  }

  mtuOf(ifindex: number): number | undefined {
    return this.mtus.get(ifindex);
  }

  /** Region index of map i. */
  mapRegion(i: number): number {
    return REGION_MAP0 + i;
  }

  /** bpf_get_prandom_u32: xorshift32, seeded per core. */
  nextRandom(): number {
    let x = this.prng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.prng = x >>> 0;
    return this.prng;
  }
}
