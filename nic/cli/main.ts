// nicsim command-line dispatcher: `nicsim <command> [options]`.
// Conventions for every command: human output by default, `--json` puts exactly one JSON document on
// stdout, diagnostics go to stderr; exit 0 success / positive verdict, 1 negative verdict, 2 usage,
// 3 bad input file, 4 internal error.
import { parseArgs } from 'node:util';
import { Exit, type ExitCode, isNicsimError, UsageError } from '../../offload/errors.ts';
import type { Command, CommandContext, Io } from './command.ts';
import { type CommandEntry, commands } from './registry.ts';

const processIo: Io = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  stdin: async () => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};

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
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    io.stderr(`nicsim: unknown command '${name}' (see nicsim --help)\n`);
    return Exit.usage;
  }
  try {
    const cmd = await entry.load();
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
        const parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
        values = parsed.values as CommandContext['values'];
        positionals = parsed.positionals;
      } catch (e) {
        throw new UsageError(`${name}: ${(e as Error).message.replace(/\. To specify.*$/s, '')}`);
      }
      for (const [k, o] of Object.entries(cmd.options)) if (values[k] === undefined && o.default !== undefined) values[k] = o.default;
      if (positionals.length < cmd.positionals.min) throw new UsageError(`${name}: missing argument (usage: nicsim ${cmd.usage[0]})`);
      if (positionals.length > cmd.positionals.max) throw new UsageError(`${name}: unexpected argument '${positionals[cmd.positionals.max]}'`);
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
      io.stderr(`nicsim ${name}: ${e.message}\n`);
      return e.exit;
    }
    const err = e as Error;
    io.stderr(`nicsim ${name}: internal error: ${err?.message ?? String(e)}\n`);
    if (process.env.NICSIM_DEBUG) io.stderr(`${err?.stack ?? ''}\n`);
    return Exit.internal;
  }
}
