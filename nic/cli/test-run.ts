// nicsim test-run: BPF_PROG_TEST_RUN for XDP programs of a clang-built object.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { Exit, InputError, UsageError } from '../../offload/errors.ts';
import { loadObjectFile } from '../../offload/elf/index.ts';
import { addDepths, type StackDepths } from '../runtime/depths.ts';
import { loadForRun } from '../runtime/load.ts';
import { verifyProgram } from '../../offload/verifier/index.ts';
import { testRun, TestRunError } from '../runtime/test-run.ts';
import { Fault } from '../../firmware/vm/fault.ts';
import { type ConntrackTable, parseConntrack } from '../../firmware/kfuncs/conntrack.ts';
import { type Command, flag, str, strs } from './command.ts';

function intOpt(v: string | undefined, name: string, min = 0): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`--${name} must be an integer >= ${min}, got '${v}'`);
  return Number(v);
}

export const testRunCommand: Command = {
  name: 'test-run',
  summary: 'run an XDP program on one packet, like BPF_PROG_TEST_RUN',
  usage: [
    'test-run OBJECT --program NAME --data-in FILE [--data-out FILE] [--repeat N]',
    '         [--map-update MAP:KEYHEX:VALUEHEX]... [--tail-call MAP:INDEX:PROGRAM]... [--before PROGRAM]...',
    '         [--conntrack FILE] [--json]',
  ],
  description: `Loads OBJECT (clang -O2 -g -target bpf), creates its maps, runs PROGRAM on the frame in FILE and
reports the return value, the output frame and every map. Same contract as the kernel's test_run: frames
shorter than 14 bytes are refused (EINVAL), the output includes the metadata area the program grew,
--repeat runs the program N times on the same buffer (each run sees the previous output), duration_ns is
the mean per repetition. Keys and values are hex bytes in memory order; per-CPU maps take one value for
every CPU or all CPUs' values concatenated. Internal maps are named .bss, .data, .rodata.
--conntrack seeds the host conntrack table the conntrack kfuncs (bpf_xdp_ct_lookup, ...) see, from a JSON
list of {"proto", "src", "dst", "sport", "dport", "status"?, "timeout_ms"?, "zone"?}; without it the table
is empty (as in a fresh network namespace). The table after the run is reported as "conntrack".
As in the kernel, every program of the object must pass the verifier first (nicsim verify);
--no-verify runs unverified code (faults are still caught, with the pc).`,
  options: {
    program: { type: 'string', short: 'p', arg: 'NAME', help: 'program to run (C function name)' },
    'data-in': { type: 'string', arg: 'FILE', help: 'input frame (raw bytes)' },
    'data-out': { type: 'string', arg: 'FILE', help: 'write the output frame here' },
    repeat: { type: 'string', arg: 'N', help: 'run N times (default 1)' },
    'map-update': { type: 'string', multiple: true, arg: 'MAP:KEY:VALUE', help: 'write a map entry before the run' },
    'tail-call': { type: 'string', multiple: true, arg: 'MAP:INDEX:PROG', help: 'put PROG into a prog_array slot' },
    before: { type: 'string', multiple: true, arg: 'PROGRAM', help: 'run PROGRAM first on the same input (seeds maps)' },
    cpus: { type: 'string', arg: 'N', help: 'possible CPUs: number of per-CPU values (default: this machine\'s)' },
    cpu: { type: 'string', arg: 'N', help: 'CPU the program runs on (default 0)' },
    'ingress-ifindex': { type: 'string', arg: 'N', help: 'xdp_md.ingress_ifindex (default 1, loopback)' },
    'rx-queue': { type: 'string', arg: 'N', help: 'xdp_md.rx_queue_index (default 0)' },
    conntrack: { type: 'string', arg: 'FILE', help: 'seed the host conntrack table the conntrack kfuncs see (JSON list of tuples)' },
    'no-verify': { type: 'boolean', help: 'run without verifying first (the kernel always verifies)' },
    json: { type: 'boolean', help: 'print one JSON object on stdout' },
  },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const file = ctx.positionals[0]!;
    const name = str(ctx, 'program');
    const dataInPath = str(ctx, 'data-in');
    if (!name) throw new UsageError('test-run: --program is required');
    if (!dataInPath) throw new UsageError('test-run: --data-in is required');
    const ncpu = intOpt(str(ctx, 'cpus'), 'cpus', 1) ?? cpus().length;
    const cpu = intOpt(str(ctx, 'cpu'), 'cpu') ?? 0;
    if (cpu >= ncpu) throw new UsageError(`--cpu ${cpu} is not one of the ${ncpu} CPUs`);
    let dataIn: Uint8Array;
    try {
      dataIn = readFileSync(dataInPath);
    } catch (e) {
      throw new InputError('test_run.read', `cannot read --data-in: ${(e as Error).message}`, { file: dataInPath });
    }
    const ctPath = str(ctx, 'conntrack');
    let conntrack: ConntrackTable | undefined;
    if (ctPath !== undefined) {
      let text: string;
      try {
        text = readFileSync(ctPath, 'utf8');
      } catch (e) {
        throw new InputError('test_run.read', `cannot read --conntrack: ${(e as Error).message}`, { file: ctPath });
      }
      conntrack = parseConntrack(text, ctPath);
    }
    const spec = loadObjectFile(file);
    // Like the kernel, only programs the verifier accepts can run: every program of the object is
    // verified first (bpftool prog loadall), and each one's stack depth is taken from the verifier.
    const depths: StackDepths = { stackDepths: new Map(), calleeDepths: new Map() };
    if (!flag(ctx, 'no-verify')) {
      for (const p of spec.programs) {
        if (!p.autoload || p.unsupported.length || p.typeName !== 'xdp') continue;
        const v = verifyProgram(spec, p);
        if (!v.accepted) {
          const e = v.error!;
          const where = e.source ? ` (${e.source.file.replace(/^.*\//, '')}:${e.source.line})` : '';
          ctx.err(`nicsim test-run: ${file}: program ${p.name} is rejected by the verifier at pc ${e.pc}${where}: ${e.message} (nothing runs, as bpftool prog loadall fails; see nicsim verify)`);
          return Exit.negative;
        }
        addDepths(depths, p.name, v);
      }
    }
    const obj = loadForRun(spec, { cpus: ncpu, ...depths });
    const json = flag(ctx, 'json');
    try {
      const r = testRun(obj, {
        program: name,
        dataIn,
        repeat: intOpt(str(ctx, 'repeat'), 'repeat') ?? 1,
        mapUpdates: strs(ctx, 'map-update'),
        tailCalls: strs(ctx, 'tail-call'),
        before: strs(ctx, 'before'),
        cpu,
        ...(conntrack ? { conntrack } : {}),
        ...(str(ctx, 'ingress-ifindex') !== undefined ? { ingressIfindex: intOpt(str(ctx, 'ingress-ifindex'), 'ingress-ifindex')! } : {}),
        ...(str(ctx, 'rx-queue') !== undefined ? { rxQueueIndex: intOpt(str(ctx, 'rx-queue'), 'rx-queue')! } : {}),
      });
      const dataOut = str(ctx, 'data-out');
      if (dataOut) writeFileSync(dataOut, Buffer.from(r.data_out, 'hex'));
      if (json) {
        ctx.out(JSON.stringify(r));
        return Exit.ok;
      }
      const action = ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'][r.retval] ?? 'unknown action';
      ctx.out(`Return value: ${r.retval} (${action}), duration (average): ${r.duration_ns}ns`);
      ctx.out(`data_out: ${r.data_out.length / 2} bytes`);
      for (const line of hexdump(r.data_out)) ctx.out(`  ${line}`);
      for (const t of r.trace ?? []) ctx.out(`trace: ${t}`);
      for (const [m, entries] of Object.entries(r.maps)) {
        ctx.out(`map ${m}: ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}`);
        for (const e of entries.slice(0, 16)) {
          const v = e.program !== undefined ? `program ${e.program}` : e.values ? e.values.map((x, i) => `cpu${i}=${x}`).join(' ') : e.value;
          ctx.out(`  ${e.key}: ${v}`);
        }
        if (entries.length > 16) ctx.out(`  ... ${entries.length - 16} more (use --json)`);
      }
      return Exit.ok;
    } catch (e) {
      if (e instanceof TestRunError) {
        if (json) ctx.out(JSON.stringify({ error: e.errno, message: e.reason }));
        ctx.err(`nicsim test-run: ${e.reason}`);
        return Exit.badInput;
      }
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
