// nicsim verify: the safety verifier (the Linux 6.18 eBPF verifier's rules for XDP). Would the
// kernel load this program, and if not, which instruction and source line does it refuse and why?
import { Exit, InputError, UsageError } from '../../offload/errors.ts';
import { loadObjectFile, type ProgramSpec } from '../../offload/elf/index.ts';
import { verifyProgram, type VerifyResult } from '../../offload/verifier/index.ts';
import { type Command, flag, str } from './command.ts';
import { loaderOptions, loaderSettings, prepareObject } from './loader-options.ts';
import { intOption } from './numbers.ts';

/** libbpf's default log buffer (BPF_LOG_BUF_SIZE, UINT32_MAX >> 8 bytes). */
export const DEFAULT_LOG_SIZE = 0xffffffff >>> 8;
/** The kernel's largest log_size (UINT_MAX >> 2; larger is EINVAL). */
export const MAX_LOG_SIZE = 0xffffffff >>> 2;

function parseLevel(v: string | undefined): 0 | 1 | 2 {
  if (v === undefined) return 0;
  if (v === '0' || v === '1' || v === '2') return Number(v) as 0 | 1 | 2;
  throw new UsageError(`--log-level must be 0, 1 or 2 (got '${v}')`);
}

function resultJson(r: VerifyResult, withLog: boolean): unknown {
  const e = r.error;
  return {
    name: r.program,
    accepted: r.accepted,
    insns_processed: r.insnsProcessed,
    error: e
      ? {
          pc: e.pc,
          code: e.code,
          message: e.message,
          insn: e.insn,
          source: e.source ? { file: e.source.file, line: e.source.line, text: e.source.text } : null,
        }
      : null,
    ...(withLog ? { log: r.log, log_true_size: r.logTrueSize, log_truncated: r.logTruncated === true } : {}),
  };
}

function humanLines(r: VerifyResult, logSize: number): string[] {
  const full = r.logTruncated ? [`  log truncated: it needs ${r.logTrueSize} bytes, --log-size is ${logSize}; the kernel fails this load with ENOSPC`] : [];
  if (r.accepted) return [`${r.program}: accepted (${r.insnsProcessed} insns processed)`, ...full];
  const e = r.error!;
  const lines = [`${r.program}: rejected (${r.insnsProcessed} insns processed)`];
  if (e.pc !== null) lines.push(`  pc ${e.pc}: ${e.insn ?? '?'}`);
  if (e.source) lines.push(`  ${e.source.file}:${e.source.line}: ${e.source.text.trim()}`);
  lines.push(`  ${e.message}  [${e.code}]`, ...full);
  return lines;
}

export const verifyCommand: Command = {
  usage: ['verify OBJECT [--program NAME] [--unprivileged] [--offload] [--dev-bound] [--log-level 0|1|2] [--log-size BYTES] [--no-btf] [--map-size MAP=N]... [--set NAME=VALUE]... [--json]'],
  description: `Runs nicsim's safety verifier, which applies the rules of the Linux 6.18 eBPF verifier to XDP
programs: register types and bounds, packet/stack/map/context access checks, helper prototypes,
reference tracking, bpf-to-bpf calls, bounded loops (by path exploration with state pruning) and the
1,000,000-instruction limit. A rejection names the instruction, its C source line (from BTF line info)
and the kernel's message. --unprivileged applies the rules for a loader with CAP_BPF and CAP_NET_ADMIN
but without CAP_PERFMON (no pointer leaks or comparisons, no uninitialised stack reads, speculative
paths checked). --offload verifies the program as loaded for a NIC (prog_ifindex set): the kernel
then also lets it write xdp_md.rx_queue_index (and refuses the XDP metadata kfuncs: "can't be
offloaded"); --dev-bound verifies it as bound to a device without offloading it
(BPF_F_XDP_DEV_BOUND_ONLY), as the metadata kfuncs need; what the NIC itself can run is \`nicsim check\`'s question.
--log-level 1 and 2 print what the kernel's verifier log shows at those levels (the failing path;
every state), line for line. --program verifies that program alone (libbpf with autoload off for the
others). --map-size and --set change the object before load as its loader would; a map left with
max_entries 0 fails at map creation (EINVAL), as in the kernel.
The log is capped like the kernel's: --log-size BYTES (default libbpf's
16 MiB) keeps the last BYTES - 1 bytes, and a log that needed more fails the load with ENOSPC.
Exit status: 0 when every program is accepted, 1 when one is rejected, 3 for a bad object.`,
  options: {
    program: { type: 'string', short: 'p', arg: 'NAME', help: 'only this program (default: every XDP program)' },
    unprivileged: { type: 'boolean', help: 'verify as a loader without CAP_PERFMON / CAP_SYS_ADMIN' },
    'log-level': { type: 'string', arg: 'N', help: 'verifier log: 0 none, 1 failing path, 2 every state' },
    'log-size': { type: 'string', arg: 'BYTES', help: `log buffer size (default ${DEFAULT_LOG_SIZE}, libbpf's; at most ${MAX_LOG_SIZE}): the log keeps its last BYTES - 1 bytes, ENOSPC when it needed more` },
    offload: { type: 'boolean', help: 'verify as a program loaded for a NIC (rx_queue_index writable)' },
    'dev-bound': { type: 'boolean', help: 'verify as a program bound to a device (BPF_F_XDP_DEV_BOUND_ONLY: the XDP metadata kfuncs)' },
    'no-btf': { type: 'boolean', help: 'ignore BTF func/line info (as a raw BPF_PROG_LOAD would)' },
    ...loaderOptions,
    json: { type: 'boolean', help: 'print one JSON object on stdout' },
  },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const file = ctx.positionals[0]!;
    const logLevel = parseLevel(str(ctx, 'log-level'));
    const logSize = intOption('log-size', str(ctx, 'log-size'), { min: 1, max: MAX_LOG_SIZE }) ?? DEFAULT_LOG_SIZE;
    const spec = prepareObject(loadObjectFile(file, { allowUnsupported: true }), loaderSettings(ctx));
    const name = str(ctx, 'program');
    let progs: ProgramSpec[];
    if (name !== undefined) {
      const p = spec.programs.find((x) => x.name === name);
      if (!p) throw new InputError('verify.no_program', `no program named '${name}' (programs: ${spec.programs.map((x) => x.name).join(', ') || 'none'})`, { file });
      if (p.typeName !== 'xdp') throw new InputError('verify.not_xdp', `program '${name}' is not an XDP program (section '${p.section}')`, { file });
      progs = [p];
    } else {
      progs = spec.programs.filter((p) => p.typeName === 'xdp');
      if (!progs.length) throw new InputError('verify.no_program', 'no XDP program in the object', { file });
    }
    const results = progs.map((p) =>
      verifyProgram(spec, p, { unprivileged: flag(ctx, 'unprivileged'), logLevel, logSize, withoutBtf: flag(ctx, 'no-btf'), offloaded: flag(ctx, 'offload'), devBound: flag(ctx, 'dev-bound'), facts: false }),
    );
    if (flag(ctx, 'json')) {
      ctx.out(JSON.stringify({ programs: results.map((r) => resultJson(r, logLevel > 0)) }));
    } else {
      for (const r of results) {
        if (logLevel > 0) {
          ctx.out(`== ${r.program}: verifier log (level ${logLevel})`);
          for (const l of r.log.replace(/\n$/, '').split('\n')) ctx.out(l);
        }
        for (const l of humanLines(r, logSize)) ctx.out(l);
      }
    }
    // a truncated log fails the load (ENOSPC) like a rejection
    return results.every((r) => r.accepted && !r.logTruncated) ? Exit.ok : Exit.negative;
  },
};
