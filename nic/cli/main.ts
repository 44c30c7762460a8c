// nicsim command-line dispatcher: `nicsim <command> [options]`.
// Conventions for every command: human output by default, `--json` puts exactly one JSON document on
// stdout, diagnostics go to stderr; exit 0 success / positive verdict, 1 negative verdict, 2 usage,
// 3 bad input file, 4 internal error.
// With `--json` anywhere before `--`, every outcome is exactly one JSON document on stdout, errors
// included: `{"error": {"code", "message", "location"}}` (usage errors too, and for commands without
// a JSON form, where `--json` itself is the usage error).
import { parseArgs } from 'node:util';
import { Exit, type ExitCode, isNicsimError, NicsimError, UsageError } from '../../offload/errors.ts';
import { readStreamCapped } from '../../offload/input.ts';
import type { Command, CommandContext, Io } from './command.ts';
import { type CommandEntry, commands } from './registry.ts';
import { COMMAND_MARK } from './timing.ts';

const processIo: Io = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  stdin: async () => Buffer.from(await readStreamCapped(process.stdin, 'asm', { code: 'stdin.read', what: 'standard input', shown: '<stdin>' })).toString('utf8'),
};

/**
 * `--opt -5` → `--opt=-5` for string options, so that a negative number reaches the option's own
 * check (one line, exit 2) instead of parseArgs' three-line "ambiguous argument" message.
 */
function joinNegativeValues(args: string[], cmd: Command): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      out.push(...args.slice(i));
      break;
    }
    const long = a.startsWith('--') ? cmd.options[a.slice(2)] : undefined;
    const short = !long && /^-[^-]$/.test(a) ? Object.entries(cmd.options).find(([, o]) => o.short === a[1]) : undefined;
    const name = long ? a.slice(2) : short?.[0];
    const opt = long ?? short?.[1];
    const next = args[i + 1];
    if (name !== undefined && opt?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`--${name}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

function wantsJson(args: string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).includes('--json');
}

/** The JSON document of an error: code, message (the reason) and location. */
export function errorJson(e: NicsimError): string {
  return JSON.stringify({ error: e.toJSON() });
}

export function topLevelHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = [
    'nicsim - SmartNIC hardware-offload simulator for XDP (eBPF) programs',
    '',
    'usage: nicsim <command> [options]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `nicsim <command> --help` for the options of a command.',
    'Exit status: 0 success/positive verdict, 1 negative verdict, 2 usage error, 3 bad input, 4 internal error.',
  ];
  return lines.join('\n') + '\n';
}

export function commandHelp(entry: CommandEntry, c: Command): string {
  const lines = [`nicsim ${entry.name} - ${entry.summary}`, '', ...c.usage.map((u, i) => `${i === 0 ? 'usage: ' : '       '}nicsim ${u}`)];
  if (c.description) lines.push('', c.description.trimEnd());
  const opts = Object.entries(c.options);
  if (opts.length) {
    lines.push('', 'options:');
    const rows = opts.map(([name, o]) => {
      const left = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.arg ? ` ${o.arg}` : ''}`;
      return [left, o.help + (o.multiple ? ' (repeatable)' : '')] as const;
    });
    rows.push(['    --help', 'show this help']);
    const w = Math.max(...rows.map((r) => r[0].length));
    for (const [l, h] of rows) lines.push(`  ${l.padEnd(w)}  ${h}`);
  }
  return lines.join('\n') + '\n';
}

export async function main(argv: string[], io: Io = processIo): Promise<ExitCode> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    if (name === 'help' && rest[0]) return main([rest[0], '--help'], io);
    io.stdout(topLevelHelp());
    return name === undefined ? Exit.usage : Exit.ok;
  }
  if (name === '--version') {
    io.stdout('nicsim 0.1.0\n');
    return Exit.ok;
  }
  const json = wantsJson(rest);
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    const e = new UsageError(`unknown command '${name}' (see nicsim --help)`);
    if (json) io.stdout(errorJson(e) + '\n');
    io.stderr(`nicsim: ${e.message}\n`);
    return Exit.usage;
  }
  try {
    const cmd = await entry.load();
    performance.clearMarks(COMMAND_MARK); // one per process: a server (conformance-plugin --serve) dispatches many
    performance.mark(COMMAND_MARK);
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout(commandHelp(entry, cmd));
      return Exit.ok;
    }
    let values: CommandContext['values'];
    let positionals: string[];
    if (cmd.lenientArgs) {
      values = {};
      positionals = rest;
    } else {
      const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
      for (const [k, o] of Object.entries(cmd.options)) {
        options[k] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
      }
      try {
        const parsed = parseArgs({ args: joinNegativeValues(rest, cmd), options, allowPositionals: true, strict: true });
        values = parsed.values as CommandContext['values'];
        positionals = parsed.positionals;
      } catch (e) {
        throw new UsageError(`${(e as Error).message.split('\n')[0]!.replace(/\. To specify.*$/s, '')}`);
      }
      for (const [k, o] of Object.entries(cmd.options)) if (values[k] === undefined && o.default !== undefined) values[k] = o.default;
      if (positionals.length < cmd.positionals.min) throw new UsageError(`missing argument (usage: nicsim ${cmd.usage[0]})`);
      if (positionals.length > cmd.positionals.max) throw new UsageError(`unexpected argument '${positionals[cmd.positionals.max]}'`);
    }
    const ctx: CommandContext = {
      values,
      positionals,
      io,
      out: (l = '') => io.stdout(l + '\n'),
      err: (l = '') => io.stderr(l + '\n'),
    };
    return await cmd.run(ctx);
  } catch (e) {
    if (isNicsimError(e)) {
      if (json) io.stdout(errorJson(e) + '\n');
      for (const line of e.lines()) io.stderr(`nicsim ${name}: ${line}\n`);
      return e.exit;
    }
    const err = e as Error;
    const reason = `internal error: ${err?.message ?? String(e)}`;
    if (json) io.stdout(errorJson(new NicsimError('internal', reason, {}, Exit.internal)) + '\n');
    io.stderr(`nicsim ${name}: ${reason}\n`);
    if (process.env.NICSIM_DEBUG) io.stderr(`${err?.stack ?? ''}\n`);
    return Exit.internal;
  }
}
