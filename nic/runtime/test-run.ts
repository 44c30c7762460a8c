// BPF_PROG_TEST_RUN for XDP, the same contract as the kernel's (net/bpf/test_run.c): the frame is
// loaded with 256 bytes of headroom (longer frames continue in fragments), the program runs `repeat`
// times on the same buffer (each repetition sees the previous one's output, as in the kernel), and
// the result is the last r0 (32 bits), the frame (with any metadata in front) and the map contents.
// It is a one-core device on the engine path (firmware/engine.ts): arena core slot 0 runs the
// program. With `punts`, slot 0 is a NIC core running the programs with PUNT at those pcs and slot 1
// the host path: a punted packet's state is copied there and resumed with the full program (both as
// the same CPU, since test_run runs on one), then the packet is copied back for the next repetition.
import { InputError, NicsimError } from '../../offload/errors.ts';
import { findMap } from '../../offload/elf/index.ts';
import { ArrayOfMaps, type BpfMap, HashOfMaps, PerfEventArray, ProgArray, RingBuf } from '../../firmware/maps/index.ts';
import { EXIT, type Engine } from '../../firmware/engine.ts';
import { type BatchEngine, compileJit, jitEngine, mapBoundsOf } from '../../firmware/jit/engine.ts';
import { S_PC, S_STATUS } from '../../firmware/state.ts';
import { interpreter } from '../../firmware/vm/engine.ts';
import { withPunts } from '../../firmware/vm/interpreter.ts';
import { ETH_HLEN, FRAG_SIZE, MAX_FRAGS, MAX_LINEAR } from '../../firmware/xdp/buffer.ts';
import type { XdpCore } from '../../firmware/xdp/core.ts';
import type { ConntrackTable } from '../../firmware/kfuncs/conntrack.ts';
import { KernelSide } from '../../firmware/kfuncs/kernel.ts';
import { coreFor, type LoadedObject, type LoadedProgram, setSlot } from './load.ts';

export interface TestRunOptions {
  program: string;
  dataIn: Uint8Array;
  repeat?: number;
  /** "MAP:KEYHEX:VALUEHEX" entries, applied in order. */
  mapUpdates?: string[];
  /** "MAP:FIRST:COUNT:V1[,V2...]": index FIRST + i of an array gets V[i % n] (after mapUpdates). */
  mapFills?: string[];
  /** Called as each phase ends: 'map updates', 'JIT compile', 'run', 'results' (test-run --timing). */
  onPhase?: (phase: string) => void;
  /** "PROG_ARRAY:INDEX:PROGRAM" entries. */
  tailCalls?: string[];
  /** Programs run once each on the same input first (to seed maps). */
  before?: string[];
  ingressIfindex?: number;
  rxQueueIndex?: number;
  cpu?: number;
  /** The engine of the (NIC) core: the interpreter (default) or the JIT (firmware/jit), compiled once for this run. */
  engine?: 'interp' | 'jit';
  /** With engine 'jit': called with the reason when the JIT cannot compile the object (it then runs on the interpreter). */
  onJitFallback?: (reason: string) => void;
  /**
   * Open a BPF-output perf event on every CPU, in the CPU's slot of each perf_event_array (what
   * libbpf's perf_buffer does), and return the records in `perf`; without it the slots are empty and
   * bpf_perf_event_output fails with -ENOENT, as in a kernel where nobody listens.
   */
  perfEvents?: boolean;
  /** Consume every ring buffer after the run and return its records in `ringbuf`. */
  drainRingbufs?: boolean;
  /**
   * Map contents in the result: every entry as the kernel's dump lists them ('all', the default of
   * this API), only existing / non-zero ones ('entries', what the CLI shows without --dump-all), or
   * none (the caller streams them with writeMapsJson).
   */
  dump?: 'entries' | 'all' | 'none';
  /** Program name -> pcs where the NIC core punts to the host path (needs an object loaded with 2 core slots). */
  punts?: ReadonlyMap<string, readonly number[]>;
  /** The host's conntrack table the conntrack kfuncs see (--conntrack); reported as `conntrack` after the run. */
  conntrack?: ConntrackTable;
  /** Program name -> pcs where the host path punts back to the NIC core (tests: many hand-offs per packet). */
  hostPunts?: ReadonlyMap<string, readonly number[]>;
  /** false: leave `maps` empty (callers that compare the arena's map bytes themselves). */
  dumpMaps?: boolean;
}

/** Counters of a run, for tests and benchmarks (not part of the JSON result). */
export interface TestRunStats {
  /** Instructions executed on the NIC core (slot 0) and on the host path (slot 1), all repetitions. */
  nicExecuted: number;
  hostExecuted: number;
  /** Hand-offs from the NIC core to the host path, and back (hostPunts). */
  punted: number;
  returned: number;
}

export interface MapEntryJson {
  key: string;
  value?: string;
  values?: string[];
  /** prog_array slots: the program's C name. */
  program?: string;
  /** array_of_maps / hash_of_maps: the inner map's C name. */
  map?: string;
}

export interface TestRunResult {
  retval: number;
  data_out: string;
  duration_ns: number;
  maps: Record<string, MapEntryJson[]>;
  trace?: string[];
  /** The conntrack table after the run (when the run was given one). */
  conntrack?: object[];
  /** bpf_perf_event_output records (with perfEvents), in output order. */
  perf?: PerfRecordJson[];
  /** Ring buffer records (with drainRingbufs), map by map in ObjectSpec order, each in ring order. */
  ringbuf?: RingbufRecordJson[];
}

/** A --perf-out line: CPU, data + sample length, the data and the packet sample (when the flags asked for one). */
export interface PerfRecordJson {
  cpu: number;
  size: number;
  bytes: string;
  sample?: string;
}

/** A --ringbuf-out line: the ring buffer's C name, the sample length and bytes. */
export interface RingbufRecordJson {
  map: string;
  size: number;
  bytes: string;
}

export class TestRunError extends NicsimError {
  readonly errno: string;
  constructor(errno: string, reason: string) {
    super(`test_run.${errno}`, `${errno}: ${reason}`, {}, 3);
    this.errno = errno;
  }
}

/** Two hex digits per byte value: dumps of millions of entries convert bytes without a Buffer per value. */
const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const hex = (b: Uint8Array): string => {
  if (b.length > 64) return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX2[b[i]!];
  return s;
};

export function parseHex(s: string, what: string): Uint8Array {
  const t = s.replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(t)) throw new InputError('test_run.hex', `${what}: '${s}' is not hex bytes`);
  return Uint8Array.from(Buffer.from(t, 'hex'));
}

function program(obj: LoadedObject, name: string): LoadedProgram {
  const p = obj.programs.find((x) => x.spec.name === name) ?? obj.programs.find((x) => x.spec.section === name);
  if (!p) {
    const unsupported = obj.spec.programs.find((x) => x.name === name && x.unsupported.length);
    if (unsupported) throw new InputError('test_run.unsupported', `program '${name}' uses ${unsupported.unsupported[0]!.message}`, { file: obj.spec.file });
    throw new InputError('test_run.no_program', `no program '${name}' in ${obj.spec.file} (programs: ${obj.programs.map((x) => x.spec.name).join(', ')})`, { file: obj.spec.file });
  }
  return p;
}

function mapByName(obj: LoadedObject, name: string): { map: BpfMap; index: number } {
  const spec = findMap(obj.spec, name);
  if (!spec) throw new InputError('test_run.no_map', `no map '${name}' in ${obj.spec.file} (maps: ${obj.spec.maps.map((m) => m.name).join(', ')})`);
  const index = obj.spec.maps.indexOf(spec);
  return { map: obj.maps[index]!, index };
}

/** Applies one "MAP:KEYHEX:VALUEHEX" update (--map-update). */
export function applyMapUpdate(obj: LoadedObject, arg: string): void {
  const m = /^(.+):([0-9a-fA-F]*):([0-9a-fA-F]*)$/.exec(arg);
  if (!m) throw new InputError('test_run.map_update', `--map-update '${arg}' is not MAP:KEYHEX:VALUEHEX`);
  const { map } = mapByName(obj, m[1]!);
  const key = parseHex(m[2]!, '--map-update key');
  let value: Uint8Array | Uint8Array[] = parseHex(m[3]!, '--map-update value');
  if (key.length !== map.keySize) throw new InputError('test_run.map_update', `map '${m[1]}' has ${map.keySize}-byte keys, got ${key.length} bytes`);
  if (map.percpu && value.length === map.valueSize) value = Array.from({ length: map.cpus }, () => value as Uint8Array);
  const rc = map.updateHost(key, value, 0);
  if (rc !== 0) throw new InputError('test_run.map_update', `update of map '${m[1]}' failed with errno ${-rc}`);
}

function applyMapFill(obj: LoadedObject, arg: string): void {
  const m = /^(.+):(\d+):(\d+):([0-9a-fA-F,]+)$/.exec(arg);
  if (!m) throw new InputError('test_run.map_fill', `--map-fill '${arg}' is not MAP:FIRST:COUNT:VALUEHEX[,VALUEHEX...]`);
  const { map } = mapByName(obj, m[1]!);
  if (map.keySize !== 4) throw new InputError('test_run.map_fill', `map '${m[1]}' has ${map.keySize}-byte keys; --map-fill writes u32 indexes`);
  const values = m[4]!.split(',').map((v) => parseHex(v, '--map-fill value'));
  const first = Number(m[2]);
  const count = Number(m[3]);
  const key = new Uint8Array(4);
  const kv = new DataView(key.buffer);
  for (let i = 0; i < count; i++) {
    kv.setUint32(0, first + i, true);
    let v: Uint8Array | Uint8Array[] = values[i % values.length]!;
    if (map.percpu && v.length === map.valueSize) v = Array.from({ length: map.cpus }, () => v as Uint8Array);
    const rc = map.updateHost(key, v, 0);
    if (rc !== 0) throw new InputError('test_run.map_fill', `--map-fill of map '${m[1]}' index ${first + i} failed with errno ${-rc}`);
  }
}

function applyTailCall(obj: LoadedObject, arg: string): void {
  const m = /^(.+):(\d+):(.+)$/.exec(arg);
  if (!m) throw new InputError('test_run.tail_call', `--tail-call '${arg}' is not MAP:INDEX:PROGRAM`);
  const { map } = mapByName(obj, m[1]!);
  if (!(map instanceof ProgArray)) throw new InputError('test_run.tail_call', `map '${m[1]}' is a ${map.type}, not a prog_array`);
  const target = program(obj, m[3]!);
  const rc = setSlot(map, Number(m[2]), target.id);
  if (rc !== 0) throw new InputError('test_run.tail_call', `prog_array '${m[1]}' slot ${m[2]}: errno ${-rc}`);
}

/**
 * Which entries a dump shows. `all` (the default of these functions, what the kernel's dump lists):
 * every index of array-like maps; `all: false` (the CLI without --dump-all): only entries that exist
 * (hash-like maps) or have a non-zero byte (arrays).
 */
export interface DumpOptions {
  all?: boolean;
}

/** One map's entries in `nicsim test-run --json` form, streamed (firmware/maps selects them). */
export function* mapEntriesJson(obj: LoadedObject, index: number, opts: DumpOptions = {}): Generator<MapEntryJson> {
  const map = obj.maps[index]!;
  for (const e of map.entries(opts.all ?? true)) {
    if (map instanceof ProgArray) {
      const id = new DataView(e.value!.buffer, e.value!.byteOffset).getUint32(0, true);
      yield { key: hex(e.key), program: obj.programs.find((p) => p.id === id)?.spec.name ?? `#${id}` };
    } else if (map instanceof ArrayOfMaps || map instanceof HashOfMaps) {
      // Inner maps by name: ids (map index + 1 here, kernel map ids there) are not portable.
      const id = new DataView(e.value!.buffer, e.value!.byteOffset).getUint32(0, true);
      yield { key: hex(e.key), map: obj.spec.maps[id - 1]?.name ?? `#${id}` };
    } else {
      yield e.values ? { key: hex(e.key), values: e.values.map(hex) } : { key: hex(e.key), value: hex(e.value!) };
    }
  }
}

/** Every map of the object in `nicsim test-run --json` form. */
export function dumpMaps(obj: LoadedObject, opts: DumpOptions = {}): Record<string, MapEntryJson[]> {
  const out: Record<string, MapEntryJson[]> = {};
  obj.spec.maps.forEach((spec, i) => {
    if (!obj.ignoredMaps.has(i)) out[spec.name] = [...mapEntriesJson(obj, i, opts)];
  });
  return out;
}

/**
 * The `"maps"` object of `--json` written piece by piece (what dumpMaps returns, as JSON text):
 * memory stays bounded by one chunk whatever the maps hold.
 */
export function writeMapsJson(obj: LoadedObject, write: (text: string) => void, opts: DumpOptions = {}): void {
  let chunk = '{';
  let n = 0;
  obj.spec.maps.forEach((spec, i) => {
    if (obj.ignoredMaps.has(i)) return;
    chunk += `${n++ ? ',' : ''}${JSON.stringify(spec.name)}:[`;
    let first = true;
    // plain arrays (a 65,537-slot hash ring, ...): the text straight from the map's memory
    const map = obj.maps[i]!;
    const d = map.data;
    const size = map.valueSize;
    const plain = map.forEachArrayValue(opts.all ?? true, (index, at) => {
      let v = '';
      for (let b = at; b < at + size; b++) v += HEX2[d[b]!];
      chunk += `${first ? '' : ','}{"key":"${HEX2[index & 0xff]}${HEX2[(index >>> 8) & 0xff]}${HEX2[(index >>> 16) & 0xff]}${HEX2[index >>> 24]}","value":"${v}"}`;
      first = false;
      if (chunk.length >= 1 << 16) {
        write(chunk);
        chunk = '';
      }
    });
    if (plain) {
      chunk += ']';
      return;
    }
    for (const e of mapEntriesJson(obj, i, opts)) {
      // hex strings need no escaping: the common shapes are written directly
      const text =
        e.value !== undefined && e.program === undefined ? `{"key":"${e.key}","value":"${e.value}"}`
        : e.values !== undefined ? `{"key":"${e.key}","values":["${e.values.join('","')}"]}`
        : JSON.stringify(e);
      chunk += (first ? '' : ',') + text;
      first = false;
      if (chunk.length >= 1 << 16) {
        write(chunk);
        chunk = '';
      }
    }
    chunk += ']';
  });
  write(chunk + '}');
}

/**
 * One packet through the device: the NIC core, and the host path if the program punts (and back, if
 * the host's programs punt too: `hostPunts`). Returns the action; the packet ends up on the NIC core.
 */
function runPacket(obj: LoadedObject, nic: XdpCore, host: XdpCore | null, id: number, trace: string[], stats: TestRunStats, engine: Engine): number {
  const k = engine.run(nic, id);
  stats.nicExecuted += nic.executed;
  appendTrace(trace, nic.trace);
  return finishPacket(obj, nic, host, k, trace, stats);
}

function appendTrace(trace: string[], more: readonly string[]): void {
  for (let i = 0; i < more.length; i++) trace.push(more[i]!);
}

/** The rest of a packet whose NIC-core run ended with `k`: the host path after a punt, a fault thrown. */
function finishPacket(obj: LoadedObject, nic: XdpCore, host: XdpCore | null, k: number, trace: string[], stats: TestRunStats): number {
  let cur = nic;
  while (k === EXIT.punt && host) {
    const next = cur === nic ? host : nic;
    if (next === host) stats.punted++;
    else stats.returned++;
    obj.arena.copyCore(cur.blocks.index, next.blocks.index);
    k = interpreter.resume(next);
    if (next === host) stats.hostExecuted += host.executed;
    else stats.nicExecuted += nic.executed;
    appendTrace(trace, next.trace);
    cur = next;
  }
  if (k === EXIT.fault) throw cur.fault!;
  if (k === EXIT.punt) throw new Error(`program punted at pc ${nic.vm.words[S_PC]} without a host path`);
  // The buffer (and the state) come back for the next repetition on the same buffer.
  if (cur !== nic) obj.arena.copyCore(cur.blocks.index, nic.blocks.index);
  return cur.action;
}

/** Repetitions per batch call of an engine that runs batches (the JIT: one JS -> Wasm call each). */
const BATCH = 4096;

/** `n` repetitions of program `id`; returns the last action. */
function repeatPackets(obj: LoadedObject, nic: XdpCore, host: XdpCore | null, id: number, n: number, trace: string[], stats: TestRunStats, engine: Engine | BatchEngine): number {
  let retval = 0;
  if (!('runBatch' in engine)) {
    for (let i = 0; i < n; i++) retval = runPacket(obj, nic, host, id, trace, stats, engine);
    return retval;
  }
  for (let i = 0; i < n; ) {
    const want = Math.min(n - i, BATCH);
    const done = engine.runBatch(nic, id, want);
    stats.nicExecuted += nic.executed;
    appendTrace(trace, nic.trace);
    i += done;
    if (done === want) retval = nic.action;
    else {
      // That packet stopped on the NIC core (punt or fault): the host path finishes it.
      retval = finishPacket(obj, nic, host, nic.vm.words[S_STATUS]!, trace, stats);
      i++;
    }
  }
  return retval;
}

/**
 * The time the repetitions took, as the kernel's bpf_test_timer counts it: it leaves out the time the
 * task was scheduled out (need_resched -> cond_resched), so on a busy machine its duration is time on
 * the CPU. Here that is the process's CPU time over the loop (getrusage, microseconds) when the loop
 * ran long enough to measure it that way (1 ms), else the wall-clock time.
 */
function runDuration(wallNs: number, cpu: { user: number; system: number }): number {
  const cpuNs = (cpu.user + cpu.system) * 1000;
  return wallNs >= 1_000_000 && cpuNs > 0 ? Math.min(wallNs, cpuNs) : wallNs;
}

export function testRun(obj: LoadedObject, opts: TestRunOptions, stats: TestRunStats = { nicExecuted: 0, hostExecuted: 0, punted: 0, returned: 0 }): TestRunResult {
  const repeat = opts.repeat ?? 1;
  if (!Number.isInteger(repeat) || repeat < 0) throw new InputError('test_run.repeat', `--repeat must be a non-negative integer`);
  const data = opts.dataIn;
  if (data.length < ETH_HLEN) throw new TestRunError('EINVAL', `data_in is ${data.length} bytes, shorter than an Ethernet header (${ETH_HLEN})`);
  if (data.length > MAX_LINEAR + MAX_FRAGS * FRAG_SIZE) throw new TestRunError('E2BIG', `data_in is ${data.length} bytes, more than test_run accepts`);
  const main = program(obj, opts.program);
  for (const u of opts.mapUpdates ?? []) applyMapUpdate(obj, u);
  for (const f of opts.mapFills ?? []) applyMapFill(obj, f);
  for (const t of opts.tailCalls ?? []) applyTailCall(obj, t);
  opts.onPhase?.('map updates');
  const cpu = opts.cpu ?? 0;
  const core = coreFor(obj, cpu);
  let host: XdpCore | null = null;
  if (opts.punts) {
    if (obj.arena.plan.cores < 2) throw new Error('testRun with punts needs an object loaded with cores: 2');
    host = coreFor(obj, cpu, undefined, 1);
    for (const p of obj.programs) {
      const pcs = opts.punts.get(p.spec.name);
      if (pcs?.length) core.programs[p.id] = withPunts(p.program, pcs);
      const back = opts.hostPunts?.get(p.spec.name);
      if (back?.length) host.programs[p.id] = withPunts(p.program, back);
    }
  }
  const kernel = new KernelSide(opts.conntrack);
  for (const c of host ? [core, host] : [core]) {
    c.kernel = kernel;
    if (opts.ingressIfindex !== undefined) c.ingressIfindex = opts.ingressIfindex;
    if (opts.rxQueueIndex !== undefined) c.rxQueueIndex = opts.rxQueueIndex;
  }
  // The JIT compiles what the NIC core runs (its punt copies included).
  let engine: Engine | BatchEngine = interpreter;
  if (opts.engine === 'jit') {
    const code = compileJit(obj.programs.map((p) => ({ program: core.programs[p.id] ?? p.program, slots: p.slots, ...(p.proofs ? { proofs: p.proofs } : {}) })), mapBoundsOf(core));
    if (code.unsupported) opts.onJitFallback?.(code.unsupported);
    engine = jitEngine(code);
  }
  opts.onPhase?.(opts.engine === 'jit' ? 'JIT compile' : 'cores');
  if (opts.perfEvents) {
    for (const m of obj.maps) if (m instanceof PerfEventArray) for (let c = 0; c < Math.min(m.cpus, m.maxEntries); c++) m.openEvent(c, c);
  }
  core.perf.length = 0;
  const trace: string[] = [];
  for (const b of opts.before ?? []) {
    core.buf.reset(data);
    runPacket(obj, core, host, program(obj, b).id, [], stats, engine);
  }
  core.buf.reset(data);
  const n = Math.max(1, repeat);
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const retval = repeatPackets(obj, core, host, main.id, n, trace, stats, engine);
  const duration = runDuration(Number(process.hrtime.bigint() - t0), process.cpuUsage(c0)) / n;
  opts.onPhase?.('run');
  const result: TestRunResult = { retval, data_out: hex(core.buf.output()), duration_ns: Math.round(duration), maps: opts.dump === 'none' || opts.dumpMaps === false ? {} : dumpMaps(obj, { all: opts.dump !== 'entries' }) };
  if (trace.length) result.trace = trace;
  if (opts.conntrack) result.conntrack = kernel.conntrack.dump();
  if (opts.perfEvents) {
    result.perf = core.perf.map((r) => ({
      cpu: r.cpu,
      size: r.data.length + (r.sample?.length ?? 0),
      bytes: hex(r.data),
      ...(r.sample ? { sample: hex(r.sample) } : {}),
    }));
  }
  if (opts.drainRingbufs) {
    result.ringbuf = [];
    obj.spec.maps.forEach((spec, i) => {
      const m = obj.maps[i];
      if (m instanceof RingBuf) for (const r of m.drain()) result.ringbuf!.push({ map: spec.name, size: r.size, bytes: hex(r.bytes) });
    });
  }
  opts.onPhase?.('results');
  return result;
}
