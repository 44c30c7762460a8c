// Device benchmark (issue 9 targets): simulated packets per second (wall) of `nicsim run` with 1 and 2
// modeled cores on three examples of different size; the ring + dispatch overhead (the same packets
// through test-run's path, one core in this thread, vs through the device's rings with one core on
// one worker); a streamed pcap of 10 million packets (wall Mpps, peak RSS). Steady state: timed from
// the 20 % mark to the end of each run (worker start-up excluded). The device reads its packets from a
// pcap file (as `nicsim run --pcap` does), 1 µs apart: a rate no modeled core drops at, so that 1 and 2
// cores run the program on the same packets (at a rate that overloads one modeled core, the NIC drops
// some and the 1-core run would do less work). Run: npx tsx bench/device.ts [--packets N] [--stream N]
// (or npm run bench). Never a timed test; compare ratios on a quiet machine. On Linux it also prints
// each thread's on-CPU time per packet (main thread, core workers, all threads), the time the threads
// waited for a CPU while runnable (other processes: on a shared machine this, not the device, sets the
// wall numbers), and the wall Mpps those CPU times allow on 2 idle CPUs.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { loadObjectFile } from '../offload/elf/index.ts';
import { type Packet, pcapSink, readCapture } from '../nic/device/io.ts';
import { Nic } from '../nic/device/nic.ts';
import { admit, pickProgram } from '../nic/device/image.ts';
import { loadProfile } from '../nic/profile/index.ts';
import { coreFor, loadForRun } from '../nic/runtime/load.ts';
import { CoreRunner } from '../nic/device/engines.ts';
import { Arena } from '../firmware/arena.ts';

const ROOT = new URL('../', import.meta.url).pathname;
const PROFILE = `${ROOT}configs/host-x86.yaml`;

/** Three examples: small, medium, large (reachable BPF instructions 68, 265, 413). */
export const BENCH_EXAMPLES = [
  { object: 'examples/xdp_fallback.o', program: 'fallback', mapUpdates: ['cfg:00000000:07000000'] },
  { object: 'examples/xdp_firewall.o', program: 'firewall', mapUpdates: [] as string[] },
  { object: 'examples/xdp_count.o', program: 'count_protocols', mapUpdates: [] as string[] },
];

/** The bundled corpus's frames under 1 KiB, each in FLOWS copies with a different IPv4 source (many RSS flows). */
function framePool(): Uint8Array[] {
  const frames = (JSON.parse(readFileSync(`${ROOT}test/fixtures/packets/packets.json`, 'utf8')) as { hex: string }[])
    .map((p) => Uint8Array.from(Buffer.from(p.hex, 'hex')))
    .filter((f) => f.length >= 14 && f.length < 1024);
  const FLOWS = 64;
  const pool: Uint8Array[] = [];
  for (let k = 0; k < FLOWS; k++) {
    for (const f of frames) {
      const c = Uint8Array.from(f);
      if (c.length >= 34 && c[12] === 0x08 && c[13] === 0x00) {
        c[28] = k;
        c[29] = (k * 7) & 255;
      }
      pool.push(c);
    }
  }
  return pool;
}

/** Arrival spacing of the benchmark's packets (1 Mpps offered). */
const SPACING_NS = 1000n;

/** Writes the benchmark's traffic (packet i is pool[i * 7919 mod size]) into a pcap file. */
function writeTraffic(file: string, pool: Uint8Array[], n: number): void {
  const w = pcapSink(file);
  for (let i = 0; i < n; i++) w.write({ tsNs: 1_700_000_000_000_000_000n + BigInt(i) * SPACING_NS, data: pool[(i * 7919) % pool.length]! });
  void w.close();
}

/** Steady-state packets per second of a device run (from the 20 % mark to the end). */
async function deviceMpps(
  ex: (typeof BENCH_EXAMPLES)[number],
  cores: number,
  workers: number,
  src: Iterable<Packet>,
  n: number,
): Promise<{ mpps: number; wall: number; cpuUs: number; nicDrops: number; threads: PerThread | null }> {
  const nic = Nic.open(`${ROOT}${ex.object}`, loadProfile(PROFILE), { program: ex.program, cores, workers, mapUpdates: ex.mapUpdates });
  let t20 = 0;
  let d20 = 0;
  let tEnd = 0;
  let dEnd = 0;
  let cpu20 = 0;
  let cpuEnd = 0;
  const cpu = () => {
    const u = process.cpuUsage();
    return u.user + u.system;
  };
  let th20: Map<number, ThreadTime> | null = null;
  let th95: Map<number, ThreadTime> | null = null;
  let d95 = 0;
  const r = await nic.run(src, {
    onProgress: (done) => {
      const t = performance.now();
      if (!t20 && done >= n * 0.2) {
        t20 = t;
        d20 = done;
        cpu20 = cpu();
        th20 = threadTimes();
      }
      if (th20 && !th95 && done >= n * 0.95) {
        th95 = threadTimes();
        d95 = done;
      }
      tEnd = t;
      dEnd = done;
      cpuEnd = cpu();
    },
  });
  if (r.packets !== n) throw new Error(`ran ${r.packets} of ${n} packets`);
  return { mpps: (dEnd - d20) / ((tEnd - t20) * 1000), wall: r.wall_seconds, cpuUs: (cpuEnd - cpu20) / (dEnd - d20), nicDrops: r.nic_drops, threads: th20 && th95 ? perThread(th20, th95, d95 - d20, workers) : null };
}

/** On-CPU and run-queue time of one thread (Linux /proc/self/task/TID/schedstat), ns. */
interface ThreadTime {
  cpu: number;
  runq: number;
}

function threadTimes(): Map<number, ThreadTime> | null {
  try {
    const m = new Map<number, ThreadTime>();
    for (const t of readdirSync('/proc/self/task')) {
      const [cpu, runq] = readFileSync(`/proc/self/task/${t}/schedstat`, 'utf8').split(' ').map(Number);
      m.set(Number(t), { cpu: cpu!, runq: runq! });
    }
    return m;
  } catch {
    return null;
  }
}

/**
 * Per-packet thread times between two snapshots: the main thread's, the `workers` busiest other threads'
 * (the core workers), all threads' together, and the time they waited for a CPU while runnable (other
 * processes on the machine). `bound` is the wall Mpps these CPU times allow on 2 idle CPUs: no thread
 * faster than its own CPU time, all of them within 2 CPUs.
 */
interface PerThread {
  mainUs: number;
  workerUs: number[];
  totalUs: number;
  runqUs: number;
  bound: number;
}

function perThread(a: Map<number, ThreadTime>, b: Map<number, ThreadTime>, packets: number, workers: number): PerThread {
  const us = (ns: number) => ns / 1000 / packets;
  const d: { tid: number; cpu: number; runq: number }[] = [];
  for (const [tid, t] of b) {
    const t0 = a.get(tid) ?? { cpu: 0, runq: 0 };
    d.push({ tid, cpu: us(t.cpu - t0.cpu), runq: us(t.runq - t0.runq) });
  }
  const main = d.find((x) => x.tid === process.pid);
  const others = d.filter((x) => x !== main).sort((x, y) => y.cpu - x.cpu);
  const workerUs = others.slice(0, workers).map((x) => x.cpu);
  const totalUs = d.reduce((s, x) => s + x.cpu, 0);
  const mainUs = main?.cpu ?? 0;
  const slowest = Math.max(mainUs, ...workerUs);
  return { mainUs, workerUs, totalUs, runqUs: (main?.runq ?? 0) + others.slice(0, workers).reduce((s, x) => s + x.runq, 0), bound: 1 / Math.max(slowest, totalUs / 2) };
}

/**
 * The same packets through test-run's path: one core in this thread, buf.reset + run per packet. With
 * `accounted`, the device's own core runner (nic/device/engines.ts) with the cost model's cycle
 * accounting the device's cores do (what the device pays beyond test-run before any ring or thread).
 */
function directMpps(ex: (typeof BENCH_EXAMPLES)[number], pool: Uint8Array[], n: number, accounted: boolean): { mpps: number; cpuUs: number } {
  let run: (frame: Uint8Array, i: number) => void;
  if (accounted) {
    const img = Nic.open(`${ROOT}${ex.object}`, loadProfile(PROFILE), { program: ex.program, cores: 1, workers: 1, mapUpdates: ex.mapUpdates }).image;
    const r = new CoreRunner({ arena: Arena.attach(img.arena), cpu: 0, cores: 1, readonly: img.readonly, programs: img.programs, entry: img.entry, placement: img.placement, puntPcs: img.puntPcs, seed: 1, engine: 'interp', cycles: img.cycles });
    run = (frame, i) => void r.run(frame, 0, i * 1000);
  } else {
    const spec = loadObjectFile(`${ROOT}${ex.object}`);
    const prog = pickProgram(spec, ex.program);
    const a = admit(spec, prog, loadProfile(PROFILE));
    const obj = loadForRun(spec, { cpus: 1, stackDepths: a.stackDepths, calleeDepths: a.calleeDepths });
    for (const u of ex.mapUpdates) {
      const [m, k, v] = u.split(':');
      obj.maps[spec.maps.findIndex((x) => x.name === m)]!.updateHost(Buffer.from(k!, 'hex'), Buffer.from(v!, 'hex'));
    }
    const core = coreFor(obj, 0);
    const loaded = obj.programs.find((p) => p.spec === prog)!;
    run = (frame) => void core.run(loaded.program, frame);
  }
  let t20 = 0;
  let c20 = process.cpuUsage();
  const from = Math.floor(n * 0.2);
  for (let i = 0; i < n; i++) {
    if (i === from) {
      t20 = performance.now();
      c20 = process.cpuUsage();
    }
    run(pool[(i * 7919) % pool.length]!, i);
  }
  const c = process.cpuUsage(c20);
  return { mpps: (n - from) / ((performance.now() - t20) * 1000), cpuUs: (c.user + c.system) / (n - from) };
}

export interface DeviceBench {
  /** Wall Mpps of 1 and 2 cores, CPU µs per packet (all threads) of each, NIC drops (0 at this rate). */
  scaling: { example: string; one: number; two: number; ratio: number; oneCpuUs: number; twoCpuUs: number; nicDrops: number; oneThreads: PerThread | null; twoThreads: PerThread | null }[];
  /** Wall Mpps and CPU µs per packet (all threads of the process) of each path; `accounted*`: test-run's
   * path plus the cost model's cycle accounting, the device's per-packet work before rings and threads. */
  overhead: { example: string; direct: number; device: number; overhead: number; directCpuUs: number; deviceCpuUs: number; cpuOverhead: number; accounted: number; accountedCpuUs: number; ringOverhead: number }[];
  stream: { packets: number; mpps: number; wall: number; peakRssMb: number; fileMb: number } | null;
}

export async function runDeviceBench(opts: { packets?: number; stream?: number } = {}): Promise<DeviceBench> {
  const n = opts.packets ?? 400_000;
  const pool = framePool();
  const scaling: DeviceBench['scaling'] = [];
  const overhead: DeviceBench['overhead'] = [];
  const file = join(tmpdir(), `nicsim-bench-${process.pid}-traffic.pcap`);
  try {
    writeTraffic(file, pool, n);
    for (const ex of BENCH_EXAMPLES) {
      const one = await deviceMpps(ex, 1, 1, readCapture(file), n);
      const two = await deviceMpps(ex, 2, 2, readCapture(file), n);
      const example = `${ex.object.split('/').pop()} ${ex.program}`;
      scaling.push({ example, one: one.mpps, two: two.mpps, ratio: two.mpps / one.mpps, oneCpuUs: one.cpuUs, twoCpuUs: two.cpuUs, nicDrops: one.nicDrops + two.nicDrops, oneThreads: one.threads, twoThreads: two.threads });
      const direct = directMpps(ex, pool, n, false);
      const accounted = directMpps(ex, pool, n, true);
      overhead.push({
        example,
        direct: direct.mpps,
        device: one.mpps,
        overhead: 1 - one.mpps / direct.mpps,
        directCpuUs: direct.cpuUs,
        deviceCpuUs: one.cpuUs,
        cpuOverhead: 1 - direct.cpuUs / one.cpuUs,
        accounted: accounted.mpps,
        accountedCpuUs: accounted.cpuUs,
        ringOverhead: 1 - one.mpps / accounted.mpps,
      });
    }
  } finally {
    if (existsSync(file)) unlinkSync(file);
  }
  const m = opts.stream ?? 10_000_000;
  // In a child process of its own, so that its peak RSS is the streamed run's alone.
  let stream: DeviceBench['stream'] = null;
  if (m > 0) {
    const child = spawnSync(process.execPath, [...process.execArgv, new URL(import.meta.url).pathname, '--stream-child', String(m)], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (child.status !== 0) throw new Error(`streamed-pcap bench failed: ${child.stderr}`);
    stream = JSON.parse(child.stdout.trim().split('\n').pop()!) as NonNullable<DeviceBench['stream']>;
  }
  return { scaling, overhead, stream };
}

/** The streamed run: writes an m-packet pcap of small frames, runs it on 2 cores, reports peak RSS. */
async function streamChild(m: number): Promise<NonNullable<DeviceBench['stream']>> {
  const pool = framePool().filter((f) => f.length <= 128);
  const file = join(tmpdir(), `nicsim-bench-${process.pid}.pcap`);
  try {
    const w = pcapSink(file);
    for (let i = 0; i < m; i++) w.write({ tsNs: 1_700_000_000_000_000_000n + BigInt(i) * SPACING_NS, data: pool[(i * 7919) % pool.length]! });
    w.close();
    const fileMb = statSync(file).size / 2 ** 20;
    const r = await deviceMpps(BENCH_EXAMPLES[0]!, 2, 2, readCapture(file), m);
    return { packets: m, mpps: r.mpps, wall: r.wall, peakRssMb: process.resourceUsage().maxRSS / 1024, fileMb };
  } finally {
    if (existsSync(file)) unlinkSync(file);
  }
}

export function formatDeviceBench(b: DeviceBench): string[] {
  const out = ['1 vs 2 modeled cores (2 workers), host-x86 profile, steady-state wall Mpps (target: 2 cores >= 1.85x)'];
  const threads = (t: PerThread) => `main ${t.mainUs.toFixed(2)}, workers ${t.workerUs.map((w) => w.toFixed(2)).join(' + ')}, all threads ${t.totalUs.toFixed(2)}`;
  for (const s of b.scaling) {
    out.push(`  ${s.example.padEnd(34)} 1 core ${s.one.toFixed(3)}  2 cores ${s.two.toFixed(3)}  x${s.ratio.toFixed(2)};  CPU ${s.oneCpuUs.toFixed(2)} / ${s.twoCpuUs.toFixed(2)} µs/packet; NIC drops ${s.nicDrops}`);
    const [o, t] = [s.oneThreads, s.twoThreads];
    if (o && t) {
      out.push(`  ${''.padEnd(34)}   on-CPU µs/packet: 1 core: ${threads(o)}; 2 cores: ${threads(t)}`);
      out.push(`  ${''.padEnd(34)}   waiting for a CPU (other processes): ${o.runqUs.toFixed(2)} / ${t.runqUs.toFixed(2)} µs/packet; bound on 2 idle CPUs from these CPU times: ${o.bound.toFixed(3)} / ${t.bound.toFixed(3)} Mpps, x${(t.bound / o.bound).toFixed(2)}`);
    }
  }
  out.push('ring + dispatch overhead: test-run path (one core, this thread) vs the device (1 core, 1 worker) (target <= 10 %)');
  for (const o of b.overhead)
    out.push(
      `  ${o.example.padEnd(34)} wall: direct ${o.direct.toFixed(3)} Mpps, device ${o.device.toFixed(3)} Mpps, overhead ${(o.overhead * 100).toFixed(1)} %;  CPU: ${o.directCpuUs.toFixed(2)} vs ${o.deviceCpuUs.toFixed(2)} µs/packet, overhead ${(o.cpuOverhead * 100).toFixed(1)} %`,
      `  ${''.padEnd(34)}   of which cost-model accounting: direct + cycle accounting ${o.accounted.toFixed(3)} Mpps (${o.accountedCpuUs.toFixed(2)} µs/packet); rings + dispatch alone ${(o.ringOverhead * 100).toFixed(1)} %`,
    );
  if (b.stream) {
    const s = b.stream;
    out.push(`streamed pcap: ${s.packets.toLocaleString('en-US')} packets (${s.fileMb.toFixed(0)} MiB), 2 cores: ${s.mpps.toFixed(3)} Mpps steady, ${s.wall.toFixed(1)} s wall, peak RSS ${s.peakRssMb.toFixed(0)} MB of the process running it (target <= 300 MB)`);
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}` && process.argv[2] === '--stream-child') {
  console.log(JSON.stringify(await streamChild(Number(process.argv[3]))));
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const b = await runDeviceBench({ ...(arg('--packets') !== undefined ? { packets: arg('--packets')! } : {}), ...(arg('--stream') !== undefined ? { stream: arg('--stream')! } : {}) });
  for (const l of formatDeviceBench(b)) console.log(l);
}
