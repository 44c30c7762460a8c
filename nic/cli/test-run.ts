// nicsim test-run: BPF_PROG_TEST_RUN for XDP programs of a clang-built object.
import { cpus } from 'node:os';
import { Exit, InputError, NicsimError, UsageError } from '../../offload/errors.ts';
import { loadObjectFile } from '../../offload/elf/index.ts';
import { readInputFile } from '../../offload/input.ts';
import { addDepths, type StackDepths } from '../runtime/depths.ts';
import { loadForRun } from '../runtime/load.ts';
import { verifyProgram } from '../../offload/verifier/index.ts';
import { mapEntriesJson, testRun, TestRunError, writeMapsJson } from '../runtime/test-run.ts';
import { Fault } from '../../firmware/vm/fault.ts';
import { Limits } from '../../firmware/maps/constants.ts';
import { type Command, type CommandContext, flag, str, strs } from './command.ts';
import { intOption, U32_MAX } from './numbers.ts';
import { writeOutputFile } from './output.ts';
import { loaderOptions, loaderSettings, prepareObject } from './loader-options.ts';
import { autoloadOnly } from '../../offload/elf/configure.ts';
import { type ConntrackTable, parseConntrack } from '../../firmware/kfuncs/conntrack.ts';
import { PhaseTimer, timingWanted } from './timing.ts';

/** A u32 field of BPF_PROG_TEST_RUN's attributes (repeat, cpu) or of struct xdp_md. */
const u32 = (ctx: CommandContext, name: string) => intOption(name, str(ctx, name), { min: 0, max: U32_MAX, why: '(a u32, as in the kernel)' });

export const testRunCommand: Command = {
  usage: [
    'test-run OBJECT --program NAME --data-in FILE [--data-out FILE] [--repeat N]',
    '         [--map-update MAP:KEYHEX:VALUEHEX]... [--map-fill MAP:FIRST:COUNT:VALUEHEX[,...]]... [--tail-call MAP:INDEX:PROGRAM]... [--before PROGRAM]...',
    '         [--map-size MAP=N]... [--set NAME=VALUE]... [--conntrack FILE] [--dump-all] [--perf-out FILE] [--ringbuf-out FILE] [--engine interp|jit] [--json]',
  ],
  description: `Loads OBJECT (clang -O2 -g -target bpf), creates its maps, runs PROGRAM on the frame in FILE and
reports the return value, the output frame and every map. Same contract as the kernel's test_run: frames
shorter than 14 bytes are refused (EINVAL), the output includes the metadata area the program grew,
--repeat runs the program N times on the same buffer (each run sees the previous output), duration_ns is
the mean per repetition (time on the CPU, as the kernel's, which leaves out time scheduled out). Keys and values are hex bytes in memory order; per-CPU maps take one value for
every CPU or all CPUs' values concatenated. Internal maps are named .bss, .data, .rodata.
Only PROGRAM and the programs named by --tail-call and --before are loaded (libbpf with autoload off
for the others): as in the kernel, each of them must pass the verifier first (nicsim verify), while
the object's other programs are not looked at. --no-verify runs unverified code (faults are still
caught, with the pc). --map-size and --set change the object before load as its loader would; a map
left with max_entries 0 fails at map creation (EINVAL), as in the kernel.
--conntrack seeds the host conntrack table the conntrack kfuncs (bpf_xdp_ct_lookup, ...) see, from a JSON
list of {"proto", "src", "dst", "sport", "dport", "status"?, "timeout_ms"?, "zone"?}; without it the table
is empty (as in a fresh network namespace). The table after the run is reported as "conntrack".
Maps show the
entries that exist (hash-like maps) or are non-zero (arrays; a per-CPU index if any CPU's value is);
--dump-all lists every index of arrays too. --json is written as it is produced, so maps of millions of
entries need no memory in proportion. --perf-out opens a BPF-output perf event on every CPU in each
perf_event_array (without it bpf_perf_event_output finds no event: -ENOENT, as in the kernel when
nobody listens) and writes one JSON line per record: {"cpu", "size", "bytes", "sample"} (sample: the
packet bytes the ctx-size bits of the flags asked for). --ringbuf-out consumes every ring buffer after
the run and writes one line per committed record: {"map", "size", "bytes"}.`,
  options: {
    program: { type: 'string', short: 'p', arg: 'NAME', help: 'program to run (C function name)' },
    'data-in': { type: 'string', arg: 'FILE', help: 'input frame (raw bytes)' },
    'data-out': { type: 'string', arg: 'FILE', help: 'write the output frame here' },
    repeat: { type: 'string', arg: 'N', help: 'run N times (default 1; a u32, 0 counts as 1, as in the kernel)' },
    'map-update': { type: 'string', multiple: true, arg: 'MAP:KEY:VALUE', help: 'write a map entry before the run' },
    'map-fill': { type: 'string', multiple: true, arg: 'MAP:FIRST:COUNT:V[,V...]', help: 'write array indexes FIRST.. (COUNT of them) cycling through the values (e.g. a hash ring)' },
    'tail-call': { type: 'string', multiple: true, arg: 'MAP:INDEX:PROG', help: 'put PROG into a prog_array slot' },
    before: { type: 'string', multiple: true, arg: 'PROGRAM', help: 'run PROGRAM first on the same input (seeds maps)' },
    cpus: { type: 'string', arg: 'N', help: 'possible CPUs: number of per-CPU values (default: this machine\'s)' },
    cpu: { type: 'string', arg: 'N', help: 'CPU the program runs on (default 0)' },
    'ingress-ifindex': { type: 'string', arg: 'N', help: 'xdp_md.ingress_ifindex (default 1, loopback)' },
    'rx-queue': { type: 'string', arg: 'N', help: 'xdp_md.rx_queue_index (default 0)' },
    conntrack: { type: 'string', arg: 'FILE', help: 'seed the host conntrack table the conntrack kfuncs see (JSON list of tuples)' },
    'no-verify': { type: 'boolean', help: 'run without verifying first (the kernel always verifies)' },
    engine: { type: 'string', arg: 'interp|jit', help: 'execution engine: the WebAssembly JIT (default) or the interpreter' },
    ...loaderOptions,
    'dump-all': { type: 'boolean', help: 'list every array index, zero values included' },
    'perf-out': { type: 'string', arg: 'FILE', help: 'open a perf event per CPU on perf_event_arrays; write each bpf_perf_event_output record as a JSON line' },
    'ringbuf-out': { type: 'string', arg: 'FILE', help: 'consume the ring buffers after the run; write each record as a JSON line' },
    json: { type: 'boolean', help: 'print one JSON object on stdout' },
    timing: { type: 'boolean', help: 'print where the wall time went (start-up, load, verifier, maps, run, output) on stderr (also NICSIM_TIMING=1)' },
  },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const file = ctx.positionals[0]!;
    const timer = new PhaseTimer(timingWanted(ctx));
    const name = str(ctx, 'program');
    const dataInPath = str(ctx, 'data-in');
    if (!name) throw new UsageError('--program is required');
    if (!dataInPath) throw new UsageError('--data-in is required');
    const engine = str(ctx, 'engine') ?? 'jit';
    if (engine !== 'interp' && engine !== 'jit') throw new UsageError(`--engine must be interp or jit, not '${engine}'`);
    const ncpu = intOption('cpus', str(ctx, 'cpus'), { min: 1, max: Limits.NR_CPUS, why: "(the recorded kernel's NR_CPUS)" }) ?? cpus().length;
    const cpu = u32(ctx, 'cpu') ?? 0;
    const repeat = u32(ctx, 'repeat') ?? 1;
    const ingressIfindex = u32(ctx, 'ingress-ifindex');
    const rxQueueIndex = u32(ctx, 'rx-queue');
    if (cpu >= ncpu) throw new UsageError(`--cpu ${cpu} is not one of the ${ncpu} CPUs`);
    const dataIn = readInputFile(dataInPath, 'packet', { code: 'test_run.read', what: '--data-in' });
    // One program at a time, as libbpf with autoload off for the others: PROGRAM and what the command
    // line makes it reach (tail-call targets, programs run before it) are loaded, nothing else.
    const keep = new Set([name, ...strs(ctx, 'before'), ...strs(ctx, 'tail-call').map((t) => t.slice(t.lastIndexOf(':') + 1))]);
    timer.mark('options and input');
    const spec = autoloadOnly(prepareObject(loadObjectFile(file, { allowUnsupported: true }), loaderSettings(ctx)), keep);
    timer.mark('ELF/BTF load');
    for (const p of spec.programs) {
      const u = p.autoload ? p.unsupported[0] : undefined;
      if (u) throw new InputError(u.code, `program ${p.name}: ${u.message}`, u.location);
    }
    const ctPath = str(ctx, 'conntrack');
    let conntrack: ConntrackTable | undefined;
    if (ctPath !== undefined) conntrack = parseConntrack(Buffer.from(readInputFile(ctPath, 'profile', { code: 'test_run.read', what: '--conntrack' })).toString('utf8'), ctPath);
    // Like the kernel, only programs the verifier accepts can run, and each one's stack depth is
    // taken from the verifier.
    const depths: StackDepths = { stackDepths: new Map(), calleeDepths: new Map(), accessProofs: new Map() };
    if (!flag(ctx, 'no-verify')) {
      for (const p of spec.programs) {
        if (!p.autoload || p.typeName !== 'xdp') continue;
        const v = verifyProgram(spec, p);
        if (!v.accepted) {
          const e = v.error!;
          const where = e.source ? ` (${e.source.file.replace(/^.*\//, '')}:${e.source.line})` : '';
          const reason = `program ${p.name} is rejected by the verifier at pc ${e.pc}${where}: ${e.message} (nothing runs, as the kernel refuses to load it; see nicsim verify)`;
          throw new NicsimError('test_run.rejected', reason, { file }, Exit.negative);
        }
        addDepths(depths, p.name, v);
      }
    }
    timer.mark('safety verifier');
    const obj = loadForRun(spec, { cpus: ncpu, ...depths });
    timer.mark('map creation');
    for (const n of obj.notes) ctx.err(`nicsim test-run: note: ${n}`);
    const json = flag(ctx, 'json');
    const all = flag(ctx, 'dump-all');
    try {
      const r = testRun(obj, {
        program: name,
        dataIn,
        repeat,
        mapUpdates: strs(ctx, 'map-update'),
        mapFills: strs(ctx, 'map-fill'),
        tailCalls: strs(ctx, 'tail-call'),
        before: strs(ctx, 'before'),
        cpu,
        engine,
        onJitFallback: (why) => ctx.err(`nicsim test-run: the JIT cannot compile ${file} (${why}); it runs on the interpreter`),
        ...(ingressIfindex !== undefined ? { ingressIfindex } : {}),
        ...(rxQueueIndex !== undefined ? { rxQueueIndex } : {}),
        ...(conntrack ? { conntrack } : {}),
        dump: 'none',
        perfEvents: str(ctx, 'perf-out') !== undefined,
        drainRingbufs: str(ctx, 'ringbuf-out') !== undefined,
        onPhase: (phase) => timer.mark(phase),
      });
      const dataOut = str(ctx, 'data-out');
      if (dataOut) writeOutputFile(dataOut, Buffer.from(r.data_out, 'hex'), '--data-out');
      const lines = (xs: object[]) => xs.map((x) => JSON.stringify(x) + '\n').join('');
      const perfOut = str(ctx, 'perf-out');
      if (perfOut) writeOutputFile(perfOut, Buffer.from(lines(r.perf ?? [])), '--perf-out');
      const rbOut = str(ctx, 'ringbuf-out');
      if (rbOut) writeOutputFile(rbOut, Buffer.from(lines(r.ringbuf ?? [])), '--ringbuf-out');
      if (json) {
        // {"retval", "data_out", "duration_ns", "maps"[, "trace"]}, the maps streamed
        ctx.io.stdout(`{"retval":${r.retval},"data_out":"${r.data_out}","duration_ns":${r.duration_ns},"maps":`);
        writeMapsJson(obj, (t) => ctx.io.stdout(t), { all });
        ctx.out(`${r.trace ? `,"trace":${JSON.stringify(r.trace)}` : ''}${r.conntrack ? `,"conntrack":${JSON.stringify(r.conntrack)}` : ''}}`);
        timer.mark('JSON output');
        timer.report(ctx);
        return Exit.ok;
      }
      const action = ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'][r.retval] ?? 'unknown action';
      ctx.out(`Return value: ${r.retval} (${action}), duration (average): ${r.duration_ns}ns`);
      ctx.out(`data_out: ${r.data_out.length / 2} bytes`);
      for (const line of hexdump(r.data_out)) ctx.out(`  ${line}`);
      for (const t of r.trace ?? []) ctx.out(`trace: ${t}`);
      obj.spec.maps.forEach((m, i) => {
        if (obj.ignoredMaps.has(i)) return;
        const shown: string[] = [];
        let n = 0;
        for (const e of mapEntriesJson(obj, i, { all })) {
          if (n++ >= 16) continue;
          const v = e.program !== undefined ? `program ${e.program}` : e.map !== undefined ? `map ${e.map}` : e.values ? e.values.map((x, c) => `cpu${c}=${x}`).join(' ') : e.value;
          shown.push(`  ${e.key}: ${v}`);
        }
        ctx.out(`map ${m.name}: ${n} entr${n === 1 ? 'y' : 'ies'}`);
        for (const line of shown) ctx.out(line);
        if (n > 16) ctx.out(`  ... ${n - 16} more (use --json)`);
      });
      timer.mark('output');
      timer.report(ctx);
      return Exit.ok;
    } catch (e) {
      // TestRunError (the kernel's errno for a frame size) is printed by the dispatcher, located at
      // the frame's file
      if (e instanceof TestRunError) throw e.at({ file: dataInPath });
      // A fault of the running program (exit 1): name the object and the program it happened in (a
      // tail-called program's own name).
      if (e instanceof Fault) throw e.at({ file, section: e.site?.program ?? name });
      throw e;
    }
  },
};

function hexdump(h: string): string[] {
  const out: string[] = [];
  for (let o = 0; o < h.length; o += 32) {
    const row = h.slice(o, o + 32).match(/../g)!.join(' ');
    out.push(`${(o / 2).toString(16).padStart(4, '0')}: ${row}`);
  }
  return out;
}
