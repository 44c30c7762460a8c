// The device facade: `Nic.open(object, profile, options)` admits the program (safety + capability
// verifiers) and builds the device image; `nic.run(packets)` streams packets through RSS into the
// core workers' rings, collects one completion per packet in input order, writes the output pcaps and
// returns the run's accounting. The core pool is private: piscina threads, one per host thread used,
// each running one or more modeled cores (core c runs on worker c mod workers).
//
// Faults: a worker that throws, crashes (its thread dies) or hangs (no progress for `hangMs`) is
// detected; its thread is terminated if still alive, the completions it published are kept, and the
// packets it had not completed are sent again, in order, to a fresh worker running the same cores. A
// packet that fails a second time fails the run with one message. Each packet is counted once.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { Piscina } from 'piscina';
import { InputError, NicsimError, UsageError } from '../../offload/errors.ts';
import { findMap, loadObjectFile, type ObjectSpec, type ProgramSpec, lineAt } from '../../offload/elf/index.ts';
import type { CheckResult } from '../../offload/capability/index.ts';
import type { Profile } from '../profile/index.ts';
import type { LoadedObject } from '../runtime/load.ts';
import { dumpMaps, type MapEntryJson, parseHex } from '../runtime/test-run.ts';
import { engineByName } from './engines.ts';
import { admit, buildImage, type DeviceImage, pickProgram } from './image.ts';
import { type Packet, type PacketSink, pcapSink } from './io.ts';
import type { ServeTask, WorkerReport } from './messages.ts';
import {
  C_CORE, C_E2BIG, C_FALLBACK_PC, C_FAULT_PC, C_HOST_INSNS, C_INDEX, C_NIC_INSNS, C_OUT_LEN, C_OUTCOME, C_PCIE_BYTES, C_REASON,
  C_REDIRECT_KIND, C_REDIRECT_TARGET, CPL_HEADER, HOST_PLACEMENT, Outcome, P_INDEX, P_LEN, P_QUEUE, P_RSS_HASH, P_TS_F64, P_WIRE, PKT_HEADER,
  RedirectKind, REASONS, C_COMPUTE_F64, C_STALL_F64, C_HOST_F64,
} from './records.ts';
import { RunModel, type RunModelJson } from '../model/device-model.ts';
import type { ModelResult } from '../model/throughput.ts';
import type { HotLine } from '../model/report.ts';
import { ByteRing } from './ring.ts';
import { RxModel } from './rx-model.ts';
import { Rss } from './rss.ts';
import { CursorFrame } from '../traffic/index.ts';
import { FALLBACK_WORKER, workerFile } from './worker-entry.ts';
import type { ConntrackTable, CtDumpEntry } from '../../firmware/kfuncs/conntrack.ts';
import { setRxClock } from '../../firmware/kfuncs/rx-meta.ts';

const RING_BYTES = 4 << 20;
/** Packets in flight at most (sent, completion not yet handled). */
const WINDOW = 1 << 16;
const POLL_MS = 50;
/** A worker thread may take this long to start before it counts as hung. */
const STARTUP_MS = 60_000;
/** The simulated clock (bpf_ktime_get_ns, conntrack lifetimes) at the first packet's arrival. */
export const CLOCK_BASE_NS = 1_000_000_000;

export interface NicOptions {
  program?: string;
  /** Modeled cores (default: the profile's cores.count). */
  cores?: number;
  /** Host threads (default: min(cores, available parallelism)). */
  workers?: number;
  seed?: number;
  engine?: string;
  /** Per-packet instruction budget of the engine. */
  budget?: number;
  /** "MAP:KEYHEX:VALUEHEX", applied before the run. */
  mapUpdates?: string[];
  /** The host conntrack table the run starts with (--conntrack; times relative to CLOCK_BASE_NS). */
  conntrack?: ConntrackTable;
}

export interface RunOptions {
  /** Write pass.pcap, tx.pcap, redirect-if<N>.pcap... here (default: no files). */
  outDir?: string;
  /** Stop after this many packets. */
  packets?: number;
  /** No progress of a worker with work for this long = hung (default 10 s). */
  hangMs?: number;
  /** Called every few thousand packets with the packets completed so far. */
  onProgress?: (done: number) => void;
  /** Test hooks: fault injection from outside the workers. */
  hooks?: {
    /** Called after each handled completion; may terminate worker threads. */
    afterPacket?: (done: number, ctl: { terminateWorker(w: number): Promise<void> }) => void;
    /** Worker w throws after n packets (its first incarnation only). */
    failAfter?: { worker: number; packets: number };
  };
}

export interface FallbackPc {
  packets: number;
  source: string | null;
}

export interface RunResult {
  object: string;
  program: string;
  profile: string;
  verdict: CheckResult['verdict'];
  engine: string;
  cores: number;
  workers: number;
  /** Modeled cores per host thread (> 1: several cores share one thread). */
  cores_per_worker: number[];
  packets: number;
  actions: { aborted: number; drop: number; pass: number; tx: number; redirect: number };
  nic_drops: number;
  aborted: { by_reason: Record<string, number>; messages: Record<string, string> };
  fallback: {
    packets: number;
    /** punt: reached a punt pc; host: the whole program runs on the host. */
    by_reason: Record<string, number>;
    by_pc: Record<string, FallbackPc>;
    pcie_bytes: number;
    host_instructions: number;
  };
  nic_instructions: number;
  map_full_errors: number;
  per_core: { core: number; worker: number; packets: number }[];
  queues: { queue: number; packets: number; nic_drops: number }[];
  maps: Record<string, MapEntryJson[]>;
  outputs: Record<string, string>;
  recovered: { worker: number; reason: string; resent: number }[];
  wall_seconds: number;
  wall_mpps: number;
  /** The throughput model: simulated time on the profile's hardware (see nic/model/). */
  model: RunModelJson;
  /** The conntrack table after the run (when the object calls conntrack kfuncs or a table was given). */
  conntrack?: { entries: number; inserted_by_program: number; table: CtDumpEntry[] };
  /** The model's full result and hot lines (for --report; not part of --json's documented shape). */
  modelDetail: { result: ModelResult; hot: HotLine[] };
}

interface Slot {
  index: number;
  cores: number[];
  input: ByteRing;
  /** Output rings, oldest first: a failed worker's ring is drained before its successor's. */
  outputs: ByteRing[];
  task: Promise<WorkerReport> | null;
  failure: string | null;
  settled: boolean;
  report: WorkerReport | null;
  lastBeat: number;
  lastHead: number;
  lastChange: number;
  startedAt: number;
  generation: number;
  abort: AbortController;
}

const ACTION_KEYS = ['aborted', 'drop', 'pass', 'tx', 'redirect'] as const;

export class Nic {
  readonly spec: ObjectSpec;
  readonly program: ProgramSpec;
  readonly profile: Profile;
  readonly check: CheckResult;
  readonly image: DeviceImage;
  readonly loaded: LoadedObject;
  readonly workers: number;
  /** The shared conntrack table (main thread's view), or null. */
  readonly conntrack: ConntrackTable | null;
  private readonly steering: Rss;

  private constructor(spec: ObjectSpec, program: ProgramSpec, profile: Profile, check: CheckResult, image: DeviceImage, loaded: LoadedObject, workers: number, conntrack: ConntrackTable | null = null) {
    this.conntrack = conntrack;
    this.spec = spec;
    this.program = program;
    this.profile = profile;
    this.check = check;
    this.image = image;
    this.loaded = loaded;
    this.workers = workers;
    this.steering = new Rss({
      queues: profile.rx.queues,
      ...(profile.rx.rss_key !== null ? { key: Buffer.from(profile.rx.rss_key, 'hex') } : {}),
      ...(profile.rx.indirection !== null ? { indirection: profile.rx.indirection } : {}),
    });
  }

  /** Admission (throws AdmissionError for `rejected`), map creation, device image. */
  static open(object: string | ObjectSpec, profile: Profile, o: NicOptions = {}): Nic {
    const spec = typeof object === 'string' ? loadObjectFile(object) : object;
    const program = pickProgram(spec, o.program);
    const a = admit(spec, program, profile);
    engineByName(o.engine ?? 'interp');
    const cores = o.cores ?? profile.cores.count;
    if (o.budget !== undefined && !(Number.isInteger(o.budget) && o.budget >= 1 && o.budget <= 0x7fffffff)) throw new UsageError(`instruction budget ${o.budget} is not between 1 and 2^31 - 1`);
    const { image, loaded, conntrack } = buildImage(spec, program, profile, a, { cores, seed: o.seed ?? 1, engine: o.engine ?? 'interp', ...(o.budget !== undefined ? { budget: o.budget } : {}), ...(o.conntrack ? { conntrack: o.conntrack } : {}) });
    for (const u of o.mapUpdates ?? []) applyMapUpdate(loaded, u);
    const workers = Math.max(1, Math.min(cores, o.workers ?? availableParallelism()));
    return new Nic(spec, program, profile, a.check, image, loaded, workers, conntrack);
  }

  /** Runs every packet of `source` (in input order) through the device. */
  async run(source: Iterable<Packet> | AsyncIterable<Packet>, o: RunOptions = {}): Promise<RunResult> {
    const img = this.image;
    const C = img.cores;
    const W = this.workers;
    const Q = img.queues;
    const hangMs = o.hangMs ?? 10_000;
    const limit = o.packets ?? Infinity;
    const t0 = performance.now();
    const filename = await workerFile();
    const pool = new Piscina({ filename, minThreads: W, maxThreads: W, idleTimeout: 60_000, concurrentTasksPerWorker: 1, execArgv: workerExecArgv(filename) });
    const rx = RxModel.create(Q, img.ringDepth, C);
    const outs = new Map<string, PacketSink>();
    const outputs: Record<string, string> = {};
    if (o.outDir !== undefined) mkdirSync(o.outDir, { recursive: true });

    // Accounting.
    /** Packets per outcome code (Outcome.aborted .. Outcome.redirect); `actions` of the result. */
    const byOutcome = new Float64Array(ACTION_KEYS.length);
    let nicDrops = 0;
    const byReason: Record<string, number> = {};
    const fbReason: Record<string, number> = {};
    const byPc = new Map<number, number>();
    let fbPackets = 0;
    let pcieBytes = 0;
    let hostInsns = 0;
    let nicInsns = 0;
    let e2big = 0;
    const perCore = new Float64Array(C);
    const perQueue = new Float64Array(Q);
    const dropsQueue = new Float64Array(Q);
    const recovered: RunResult['recovered'] = [];
    const retried = new Set<number>();

    // In-flight packets, by index mod WINDOW: arrival in ns after the first packet (exact below 2^52 ns;
    // a packet further away keeps its bigint timestamp in `farTs`), captured length, wire bytes the
    // capture left out.
    const relOf = new Float64Array(WINDOW);
    const farTs = new Map<number, bigint>();
    const wireOf = new Int32Array(WINDOW);
    const lenOf = new Int32Array(WINDOW);
    const model = new RunModel(this.profile, this.program, img.entry, C, img.ringDepth);
    // every packet crosses PCIe into host memory before a driver-mode program runs; on a NIC only
    // what the device hands over does (PASS, fallback)
    const driverMode = this.profile.kind === 'driver';
    const queueOf = new Uint16Array(WINDOW);
    const coreWorker = (c: number) => c % W;
    // queue q -> core q mod cores -> the worker running that core
    const workerOfQueue = Uint16Array.from({ length: Q }, (_, q) => coreWorker(q % C));
    const slotOfQueue = (q: number) => workerOfQueue[q]!;
    const afterPacket = o.hooks?.afterPacket;

    const slots: Slot[] = [];
    const startTask = (s: Slot, failAfter?: number) => {
      const task: ServeTask = {
        kind: 'serve',
        image: img,
        input: s.input.describe(),
        output: s.outputs[s.outputs.length - 1]!.describe(),
        cores: s.cores,
        rx: rx.d,
        outputs: o.outDir !== undefined,
        clockBaseNs: CLOCK_BASE_NS,
        ...(failAfter !== undefined ? { failAfter } : {}),
      };
      s.settled = false;
      s.failure = null;
      const gen = ++s.generation;
      s.lastChange = s.startedAt = performance.now();
      s.abort = new AbortController();
      s.task = pool.run(task, { signal: s.abort.signal }) as Promise<WorkerReport>;
      s.task.then(
        (r) => {
          if (s.generation !== gen) return;
          s.report = r;
          s.settled = true;
        },
        (e: unknown) => {
          if (s.generation !== gen) return;
          s.failure = `${(e as Error)?.message ?? String(e)}`;
          s.settled = true;
        },
      );
    };
    for (let w = 0; w < W; w++) {
      const cores: number[] = [];
      for (let c = w; c < C; c += W) cores.push(c);
      const s: Slot = { index: w, cores, input: ByteRing.create(RING_BYTES), outputs: [ByteRing.create(RING_BYTES)], task: null, failure: null, settled: false, report: null, lastBeat: 0, lastHead: 0, lastChange: 0, startedAt: 0, generation: 0, abort: new AbortController() };
      slots.push(s);
      startTask(s, o.hooks?.failAfter?.worker === w ? o.hooks.failAfter.packets : undefined);
    }

    const sinkFor = (name: string): PacketSink | null => {
      if (o.outDir === undefined) return null;
      let s = outs.get(name);
      if (!s) {
        const file = join(o.outDir, name);
        s = pcapSink(file);
        outs.set(name, s);
        outputs[name.replace(/\.pcap$/, '')] = file;
      }
      return s;
    };
    const outputName = (outcome: number, kind: number, target: number): string => {
      if (outcome === Outcome.pass) return 'pass.pcap';
      if (outcome === Outcome.tx) return 'tx.pcap';
      if (kind === RedirectKind.cpumap) return `cpumap-cpu${target}.pcap`;
      if (kind === RedirectKind.xsk) return `xsk-q${target}.pcap`;
      return `redirect-if${target}.pcap`;
    };

    let produced = 0;
    let consumed = 0;
    let sourceDone = false;
    const iter: Iterator<Packet> | AsyncIterator<Packet> =
      Symbol.asyncIterator in source ? (source as AsyncIterable<Packet>)[Symbol.asyncIterator]() : (source as Iterable<Packet>)[Symbol.iterator]();
    const asyncSource = Symbol.asyncIterator in source;
    let pending: Packet | null = null;
    // Arrival times: the first packet's timestamp, and for capture frames (nic/traffic's CursorFrame)
    // the raw timestamp words of the first frame of the last clock seen, so that a frame's offset from
    // the first packet is computed in numbers (Clock.diffNs), without a bigint per packet.
    let ts0: bigint | null = null;
    let clk: CursorFrame['clock'] | null = null;
    let clkHi = 0;
    let clkLo = 0;
    let clkOff = 0;
    const FAR = 2 ** 52;
    const arrival = (p: Packet, index: number): number => {
      if (ts0 === null) {
        ts0 = p.tsNs;
        if (img.kernel.rxMeta) setRxClock(img.kernel.rxMeta, p.tsNs);
      }
      if (p instanceof CursorFrame) {
        if (p.clock !== clk) {
          clk = p.clock;
          clkHi = p.tsHi;
          clkLo = p.tsLo;
          clkOff = Number(p.tsNs - ts0);
        }
        const rel = clkOff + clk.diffNs(p.tsHi, p.tsLo, clkHi, clkLo);
        if (rel < FAR && rel > -FAR && Math.abs(clkOff) < FAR) return rel;
      }
      const ts = p.tsNs;
      const rel = Number(ts - ts0);
      if (!(rel < FAR && rel > -FAR)) farTs.set(index, ts);
      return rel;
    };
    const tsOf = (index: number): bigint => farTs.get(index) ?? ts0! + BigInt(relOf[index & (WINDOW - 1)]!);
    /** The latest arrival (ns after the first packet): the conntrack report's clock. */
    let lastRel = 0;

    const handle = (ring: ByteRing, at: number): void => {
      const i = ring.i32;
      const w = at >> 2;
      const index = i[w + C_INDEX]!;
      if (index !== consumed) throw new Error(`completion for packet ${index} while expecting ${consumed}`);
      const outcome = i[w + C_OUTCOME]!;
      const slotIx = index & (WINDOW - 1);
      const q = queueOf[slotIx]!;
      const core = i[w + C_CORE]!;
      const fpc = i[w + C_FALLBACK_PC]!;
      {
        const f = at >> 3;
        const len = lenOf[slotIx]!;
        const wire = len + wireOf[slotIx]!;
        const pass = outcome === Outcome.pass;
        const dropped = outcome === Outcome.nic_drop;
        const f64 = ring.f64;
        model.addPacket(core, relOf[slotIx]!, wire, q, f64[f + C_COMPUTE_F64]!, f64[f + C_STALL_F64]!, f64[f + C_HOST_F64]!, dropped ? 0 : driverMode ? wire : i[w + C_PCIE_BYTES]! + (pass && fpc === -1 ? len : 0), pass, dropped ? 1 : 0);
      }
      if (outcome === Outcome.nic_drop) {
        nicDrops++;
        dropsQueue[q]!++;
      } else {
        perQueue[q]!++;
        perCore[core]!++;
        byOutcome[outcome]!++;
        nicInsns += i[w + C_NIC_INSNS]!;
        e2big += i[w + C_E2BIG]!;
        const reason = i[w + C_REASON]!;
        if (outcome === Outcome.aborted) {
          const pc = i[w + C_FAULT_PC]!;
          const key = pc >= 0 ? `${REASONS[reason]}@${pc}` : REASONS[reason]!;
          byReason[key] = (byReason[key] ?? 0) + 1;
        }
        if (fpc !== -1) {
          fbPackets++;
          const r = fpc === HOST_PLACEMENT ? 'host' : 'punt';
          fbReason[r] = (fbReason[r] ?? 0) + 1;
          if (fpc >= 0) byPc.set(fpc, (byPc.get(fpc) ?? 0) + 1);
          pcieBytes += i[w + C_PCIE_BYTES]!;
          hostInsns += i[w + C_HOST_INSNS]!;
        }
        const len = i[w + C_OUT_LEN]!;
        if (outcome === Outcome.pass || outcome === Outcome.tx || outcome === Outcome.redirect) {
          const sink = sinkFor(outputName(outcome, i[w + C_REDIRECT_KIND]!, i[w + C_REDIRECT_TARGET]!));
          if (sink) sink.write({ tsNs: tsOf(index), data: ring.u8.subarray(at + CPL_HEADER, at + CPL_HEADER + len), wireLen: len + wireOf[slotIx]! });
        }
      }
      if (farTs.size > 0) farTs.delete(index);
      consumed++;
      if (o.onProgress && (consumed & 4095) === 0) o.onProgress(consumed);
      if (afterPacket !== undefined) afterPacket(consumed, ctl);
    };

    /** Handles every completion that is next in input order. */
    const drain = (): number => {
      let n = 0;
      while (consumed < produced) {
        const s = slots[slotOfQueue(queueOf[consumed & (WINDOW - 1)]!)]!;
        let ring = s.outputs[0]!;
        let at = ring.peek();
        while (at < 0 && s.outputs.length > 1) {
          // A dead worker's ring is finished once drained; its successor's follows.
          s.outputs.shift();
          ring = s.outputs[0]!;
          at = ring.peek();
        }
        if (at < 0) break;
        handle(ring, at);
        ring.next();
        n++;
        if ((n & 255) === 0) ring.release();
      }
      for (const s of slots) s.outputs[0]!.release();
      return n;
    };

    const produce = async (): Promise<number> => {
      let n = 0;
      for (;;) {
        if (produced - consumed >= WINDOW) break;
        if (pending === null) {
          if (sourceDone || produced >= limit) {
            sourceDone = true;
            break;
          }
          const r = asyncSource ? await iter.next() : (iter as Iterator<Packet>).next();
          if (r.done) {
            sourceDone = true;
            break;
          }
          pending = r.value;
        }
        const p: Packet = pending;
        // (a capture frame's `data` is a reused view the reader fills with copyWithin: measured cheaper
        // than copying out of the reader's buffer with Buffer.copy or a subarray per packet)
        const data = p.data;
        const len = data.length;
        const steering = this.steering;
        const q = steering.queueAt(data, 0, len);
        const s = slots[slotOfQueue(q)]!;
        if (PKT_HEADER + len > s.input.maxRecord) throw new InputError('run.packet', `packet ${produced} is ${len} bytes, more than the device accepts`);
        const at = s.input.reserve(PKT_HEADER + len);
        if (at < 0) break;
        const w = at >> 2;
        const rel = arrival(p, produced);
        const i32 = s.input.i32;
        i32[w + P_LEN] = len;
        i32[w + P_WIRE] = p.wireLen;
        i32[w + P_QUEUE] = q;
        i32[w + P_INDEX] = produced;
        i32[w + P_RSS_HASH] = steering.lastHash;
        if (rel > lastRel) lastRel = rel;
        s.input.f64[(at >> 3) + P_TS_F64] = rel;
        s.input.u8.set(data, at + PKT_HEADER);
        const slotIx = produced & (WINDOW - 1);
        relOf[slotIx] = rel;
        wireOf[slotIx] = Math.max(0, p.wireLen - len);
        lenOf[slotIx] = len;
        queueOf[slotIx] = q;
        produced++;
        pending = null;
        n++;
        if ((n & 63) === 0) s.input.publish();
      }
      for (const s of slots) s.input.publish();
      return n;
    };

    const terminateThread = async (s: Slot): Promise<boolean> => {
      const id = s.input.owner;
      const t = id === 0 ? undefined : pool.threads.find((x) => x.threadId === id);
      if (!t) return false;
      await t.terminate();
      return true;
    };
    const ctl = {
      terminateWorker: async (w: number) => void (await terminateThread(slots[w]!)),
    };

    /** Replaces a failed worker: keeps its published completions, re-sends what it had not completed. */
    const recover = async (s: Slot, reason: string): Promise<void> => {
      if (!s.settled) {
        // Its thread if it is known, else through piscina (which terminates the thread running the task).
        if (!(await terminateThread(s))) s.abort.abort();
        await s.task!.catch(() => undefined);
      }
      const old = s.input;
      const oldOut = s.outputs[s.outputs.length - 1]!;
      // The index of the last completion the dead worker published.
      let last = -1;
      {
        const scan = ByteRing.attach(oldOut.describe());
        scan.seek(oldOut.released);
        for (let at = scan.peek(); at >= 0; at = scan.peek()) {
          last = scan.i32[(at >> 2) + C_INDEX]!;
          scan.next();
        }
        if (last < 0) last = consumed - 1;
      }
      const fresh = ByteRing.create(RING_BYTES);
      const scan = ByteRing.attach(old.describe());
      scan.seek(old.released);
      let resent = 0;
      let first = -1;
      for (let at = scan.peek(); at >= 0; at = scan.peek()) {
        const index = scan.i32[(at >> 2) + P_INDEX]!;
        if (index > last) {
          const bytes = scan.i32[at >> 2]!;
          const to = fresh.reserve(bytes);
          if (to < 0) throw new Error('re-sent packets do not fit a fresh ring');
          fresh.u8.set(scan.u8.subarray(at, at + bytes), to);
          if (first < 0) first = index;
          resent++;
        }
        scan.next();
      }
      if (first >= 0 && retried.has(first)) {
        throw new NicsimError('run.worker', `core worker ${s.index} (cores ${s.cores.join(', ')}) failed twice on packet ${first}: ${reason}`, {}, 4);
      }
      if (first >= 0) retried.add(first);
      recovered.push({ worker: s.index, reason, resent });
      s.input = fresh;
      s.outputs.push(ByteRing.create(RING_BYTES));
      startTask(s);
      fresh.publish();
    };

    /** Detects dead and hung workers (after a wait without progress). */
    const checkWorkers = async (): Promise<void> => {
      const now = performance.now();
      for (const s of slots) {
        if (s.failure !== null) {
          await recover(s, `worker thread failed: ${s.failure}`);
          continue;
        }
        if (s.settled) continue;
        const beat = s.input.beats;
        const head = s.outputs[s.outputs.length - 1]!.published;
        const busy = s.input.published !== s.input.released || s.input.used() > 0;
        // A worker still starting (loading the engine) is not hung, up to STARTUP_MS.
        const starting = s.input.owner === 0 && now - s.startedAt < STARTUP_MS;
        if (beat !== s.lastBeat || head !== s.lastHead || !busy || starting) {
          s.lastBeat = beat;
          s.lastHead = head;
          s.lastChange = now;
        } else if (now - s.lastChange > hangMs) {
          await recover(s, `no progress for ${(hangMs / 1000).toFixed(1)} s (the engine does not return)`);
        }
      }
    };

    try {
      for (;;) {
        const got = drain() + (await produce());
        if (sourceDone && pending === null && consumed === produced) break;
        if (got === 0) {
          const s = slots[slotOfQueue(queueOf[consumed & (WINDOW - 1)]!)]!;
          if (consumed < produced) await s.outputs[s.outputs.length - 1]!.waitDataAsync(POLL_MS);
          else await new Promise((r) => setTimeout(r, 1));
          await checkWorkers();
        }
      }
      for (const s of slots) s.input.close();
      await Promise.all(slots.map((s) => s.task!.catch(() => undefined)));
      for (const s of slots) {
        if (s.failure !== null) throw new NicsimError('run.worker', `core worker ${s.index} failed after the last packet: ${s.failure}`, {}, 4);
      }
    } finally {
      for (const s of outs.values()) await s.close();
      await pool.destroy();
    }
    const wall = (performance.now() - t0) / 1000;
    for (const s of slots) s.report?.cycles.forEach((c, id) => c && model.addCycles(id, c));
    const modeled = model.finish();
    const messages: Record<string, string> = {};
    for (const s of slots) Object.assign(messages, s.report?.faultMessages ?? {});
    const by_pc: Record<string, FallbackPc> = {};
    for (const [pc, n] of [...byPc].sort((a, b) => a[0] - b[0])) {
      const l = lineAt(this.program.lineInfo, pc);
      by_pc[String(pc)] = { packets: n, source: l ? `${l.file.split('/').pop()}:${l.line}: ${l.text.trim()}` : null };
    }
    return {
      object: this.spec.file,
      program: this.program.name,
      profile: this.profile.name,
      verdict: this.check.verdict,
      engine: img.engine,
      cores: C,
      workers: W,
      cores_per_worker: slots.map((s) => s.cores.length),
      packets: produced,
      actions: { aborted: byOutcome[Outcome.aborted]!, drop: byOutcome[Outcome.drop]!, pass: byOutcome[Outcome.pass]!, tx: byOutcome[Outcome.tx]!, redirect: byOutcome[Outcome.redirect]! },
      nic_drops: nicDrops,
      aborted: { by_reason: byReason, messages },
      fallback: { packets: fbPackets, by_reason: fbReason, by_pc, pcie_bytes: pcieBytes, host_instructions: hostInsns },
      nic_instructions: nicInsns,
      map_full_errors: e2big,
      per_core: Array.from(perCore, (n, core) => ({ core, worker: coreWorker(core), packets: n })),
      queues: Array.from(perQueue, (n, queue) => ({ queue, packets: n, nic_drops: dropsQueue[queue]! })),
      // existing entries of hash-like maps, non-zero ones of arrays (never memory in proportion to max_entries)
      maps: dumpMaps(this.loaded, { all: false }),
      outputs,
      recovered,
      wall_seconds: wall,
      wall_mpps: wall > 0 ? produced / wall / 1e6 : 0,
      model: modeled.json,
      ...(this.conntrack ? { conntrack: conntrackReport(this.conntrack, (CLOCK_BASE_NS + lastRel) / 1e6) } : {}),
      modelDetail: { result: modeled.model, hot: modeled.hot },
    };
  }
}

const LOADER_FLAGS = ['--import', '--require', '-r', '--loader', '--experimental-loader'];

/**
 * The node flags of the core workers: the process's, without module loaders (`--import tsx` when the
 * process runs from source) when the workers load the bundled worker, which needs none; a loader in
 * every worker thread costs start-up time and tens of MB each.
 */
function workerExecArgv(filename: string): string[] {
  if (filename === FALLBACK_WORKER) return process.execArgv;
  const out: string[] = [];
  const args = process.execArgv;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (LOADER_FLAGS.includes(a)) i++;
    else if (!LOADER_FLAGS.some((f) => a.startsWith(`${f}=`))) out.push(a);
  }
  return out;
}

/** The conntrack table at the last packet's time: live entries, and how many the program inserted. */
function conntrackReport(t: ConntrackTable, nowMs: number): NonNullable<RunResult['conntrack']> {
  const table = t.dump(nowMs);
  return { entries: table.length, inserted_by_program: table.filter((e) => e.by_program).length, table };
}

/** --map-update MAP:KEYHEX:VALUEHEX (the test-run syntax). */
function applyMapUpdate(obj: LoadedObject, arg: string): void {
  const m = /^(.+):([0-9a-fA-F]*):([0-9a-fA-F]*)$/.exec(arg);
  if (!m) throw new InputError('run.map_update', `--map-update '${arg}' is not MAP:KEYHEX:VALUEHEX`);
  const spec = findMap(obj.spec, m[1]!);
  if (!spec) throw new InputError('run.map_update', `no map '${m[1]}' in ${obj.spec.file} (maps: ${obj.spec.maps.map((x) => x.name).join(', ')})`);
  const map = obj.maps[obj.spec.maps.indexOf(spec)]!;
  const key = parseHex(m[2]!, '--map-update key');
  let value: Uint8Array | Uint8Array[] = parseHex(m[3]!, '--map-update value');
  if (key.length !== map.keySize) throw new InputError('run.map_update', `map '${m[1]}' has ${map.keySize}-byte keys, got ${key.length} bytes`);
  if (map.percpu && value.length === map.valueSize) value = Array.from({ length: map.cpus }, () => value as Uint8Array);
  const rc = map.updateHost(key, value, 0);
  if (rc !== 0) throw new InputError('run.map_update', `update of map '${m[1]}' failed with errno ${-rc}`);
}
