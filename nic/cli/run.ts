// nicsim run: the virtual NIC. Admits an XDP object for a hardware profile, then runs every packet of
// a pcap (or generated traffic) through RSS queues and worker-thread cores, and reports what happened.
import { performance } from 'node:perf_hooks';
import cliProgress from 'cli-progress';
import { Exit, UsageError } from '../../offload/errors.ts';
import { loadProfile } from '../profile/index.ts';
import { CLOCK_BASE_NS, Nic, type RunResult } from '../device/nic.ts';
import { parseConntrack } from '../../firmware/kfuncs/conntrack.ts';
import { readInputFile } from '../../offload/input.ts';
import { generatedTraffic, readCapture, type Packet } from '../device/io.ts';
import { formatRun, runJson } from '../device/summary.ts';
import { ENGINE_NAMES } from '../device/engines.ts';
import { type Command, flag, str, strs } from './command.ts';
import { reportRun, writeReport } from '../model/run-report.ts';
import { intOption, U32_MAX } from './numbers.ts';

/** Numeric options through nicsim's one parser (numbers.ts): at most a u32. */
function intOpt(v: string | undefined, name: string, min = 0): number | undefined {
  return intOption(name, v, { min, max: U32_MAX });
}

export const runCommand: Command = {
  usage: [
    'run OBJECT [--program NAME] --profile FILE (--pcap FILE | --traffic SPEC) [--packets N]',
    '    [--cores N] [--out DIR] [--seed N] [--map-update MAP:KEYHEX:VALUEHEX]... [--conntrack FILE]',
    '    [--engine interp|jit] [--report FILE.html] [--json]',
  ],
  description: `Admission first: the safety verifier and the capability verifier for the profile (nicsim check).
Verdict rejected refuses the run (exit 1); offload runs every packet on the NIC cores; partial runs on
the NIC cores and continues packets that reach a punt pc on the host path; host runs every packet on
the host path. Packets are spread over the profile's RX queues by RSS (rx.queues, rx.rss_key,
rx.indirection); queue q is served by modeled core q mod cores; a packet that arrives (by its
timestamp) while its ring holds rx.ring_depth packets is dropped by the NIC. Modeled cores (--cores,
default cores.count) run on worker threads, one per host thread used. Maps are shared by all cores,
per-CPU maps have one copy per modeled core. With --out, PASS packets go to pass.pcap, TX to tx.pcap,
REDIRECT to redirect-if<N>.pcap / cpumap-cpu<N>.pcap / xsk-q<N>.pcap, each in input order.
Same input, seed and core count give the same outputs and map dumps for programs whose cross-core map
updates commute (README "nicsim run").
The model section prices each packet's executed path with the profile's cost model (cycles per
instruction class as translated for the NIC, memory latency by region, helper cycles, fixed and
per-action costs, threads hiding stalls) and replays the arrivals in simulated time: Mpps and Gbit/s at
the offered load, capacity, bottleneck (cores, one hot queue, line rate, PCIe, host path), per-core
utilisation, latency percentiles and the hottest C lines. --report FILE.html draws it.
--conntrack seeds the host conntrack table all cores share (the conntrack kfuncs), in test-run's
format; lifetimes run on the packets' timestamps; the table after the run is reported as "conntrack".`,
  options: {
    program: { type: 'string', short: 'p', arg: 'NAME', help: 'program to run (default: the only XDP program)' },
    profile: { type: 'string', arg: 'FILE', help: 'hardware profile (configs/*.yaml)' },
    pcap: { type: 'string', arg: 'FILE', help: 'input packets (pcap or pcapng, streamed)' },
    traffic: { type: 'string', arg: 'SPEC', help: 'generated traffic: a YAML file or key=value,... (README "Traffic"), seeded by --seed' },
    packets: { type: 'string', arg: 'N', help: 'stop after N packets' },
    cores: { type: 'string', arg: 'N', help: 'modeled cores (default: the profile\'s cores.count)' },
    out: { type: 'string', arg: 'DIR', help: 'write the output pcaps here' },
    seed: { type: 'string', arg: 'N', help: 'seed of bpf_get_prandom_u32 and of generated traffic (default 1)' },
    'map-update': { type: 'string', multiple: true, arg: 'MAP:KEY:VALUE', help: 'write a map entry before the run' },
    conntrack: { type: 'string', arg: 'FILE', help: 'seed the host conntrack table all cores share (JSON list of tuples, as test-run)' },
    engine: { type: 'string', arg: 'NAME', help: `engine of the cores: ${ENGINE_NAMES.join(' | ')} (default interp)` },
    report: { type: 'string', arg: 'FILE.html', help: 'write a self-contained HTML report (charts of the model, hot lines)' },
    json: { type: 'boolean', help: 'print one JSON object on stdout' },
  },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const file = ctx.positionals[0]!;
    const profilePath = str(ctx, 'profile');
    if (!profilePath) throw new UsageError('--profile FILE is required');
    const pcap = str(ctx, 'pcap');
    const traffic = str(ctx, 'traffic');
    if ((pcap === undefined) === (traffic === undefined)) throw new UsageError('give exactly one of --pcap FILE or --traffic SPEC');
    const cores = intOpt(str(ctx, 'cores'), 'cores', 1);
    const seed = intOpt(str(ctx, 'seed'), 'seed') ?? 1;
    const limit = intOpt(str(ctx, 'packets'), 'packets', 1);
    const engine = str(ctx, 'engine') ?? 'interp';
    // a bad profile throws ProfileError: the dispatcher prints each diagnostic (and the --json document)
    const profile = loadProfile(profilePath);
    const ctPath = str(ctx, 'conntrack');
    // seeded entries' timeouts count from the first packet's arrival
    const conntrack = ctPath === undefined ? undefined : parseConntrack(Buffer.from(readInputFile(ctPath, 'profile', { code: 'run.read', what: '--conntrack' })).toString('utf8'), ctPath, CLOCK_BASE_NS / 1e6);
    const nic = Nic.open(file, profile, {
      ...(str(ctx, 'program') !== undefined ? { program: str(ctx, 'program')! } : {}),
      ...(cores !== undefined ? { cores } : {}),
      seed,
      engine,
      mapUpdates: strs(ctx, 'map-update'),
      ...(conntrack ? { conntrack } : {}),
    });
    let source: Iterable<Packet> | AsyncIterable<Packet>;
    let total = limit;
    let warnings: () => string[] = () => [];
    if (pcap !== undefined) {
      const reader = readCapture(pcap);
      source = reader;
      warnings = () => reader.warnings.map((w) => `${pcap}: record ${w.record} at byte ${w.offset}: ${w.message}`);
    } else {
      const g = generatedTraffic(traffic!, seed);
      source = g.source;
      total = Math.min(g.packets, limit ?? Infinity);
    }
    const json = flag(ctx, 'json');
    const tty = !json && process.stdout.isTTY === true;
    const progress = tty ? progressBar(total) : undefined;
    let r: RunResult;
    try {
      r = await nic.run(source, {
        ...(str(ctx, 'out') !== undefined ? { outDir: str(ctx, 'out')! } : {}),
        ...(limit !== undefined ? { packets: limit } : {}),
        ...(progress ? { onProgress: progress.update } : {}),
      });
    } finally {
      progress?.stop();
    }
    for (const w of warnings()) ctx.err(`nicsim run: warning: ${w}`);
    const report = str(ctx, 'report');
    if (report !== undefined) writeReport(report, { runs: [reportRun(r)] });
    if (json) ctx.out(JSON.stringify(runJson(r)));
    else for (const l of formatRun(r)) ctx.out(l);
    return Exit.ok;
  },
};

/** A cli-progress bar that appears once a run has taken a second (packets, Mpps, ETA when the total is known). */
function progressBar(total: number | undefined): { update(done: number): void; stop(): void } {
  const t0 = performance.now();
  let bar: cliProgress.SingleBar | null = null;
  return {
    update(done: number) {
      const s = (performance.now() - t0) / 1000;
      if (!bar) {
        if (s < 1) return;
        const fmt = total !== undefined ? ' {bar} {value}/{total} packets | {mpps} Mpps | ETA {eta}s' : ' {value} packets | {mpps} Mpps';
        bar = new cliProgress.SingleBar({ format: fmt, hideCursor: true, clearOnComplete: true, stream: process.stderr }, cliProgress.Presets.shades_classic);
        bar.start(total ?? 0, done, { mpps: '0' });
      }
      bar.update(done, { mpps: (done / s / 1e6).toFixed(3) });
    },
    stop() {
      bar?.stop();
    },
  };
}
