// nicsim asm: assemble llvm-syntax or ubpf-syntax BPF assembly (or a bpf_conformance .data file).
import { readFileSync, writeFileSync } from 'node:fs';
import { Exit, InputError, UsageError } from '../../offload/errors.ts';
import { assembleBytes, type AsmSyntax } from '../../offload/isa/index.ts';
import { type Command, str } from './command.ts';

export const asmCommand: Command = {
  usage: ['asm FILE|- [--syntax llvm|ubpf] [--format hex|bin] [-o OUT]'],
  description: `Reads llvm syntax (what llvm-objdump and nicsim disasm print, e.g. "r0 = *(u32 *)(r1 + 0x4)",
labels "name:", objdump lines with pc and bytes) or the ubpf / bpf_conformance syntax ("mov32 %r0, 1").
A bpf_conformance .data file is accepted as is: its "-- asm" section is assembled. The syntax is
detected from %-registers unless --syntax says. Output: hex (one line, the default) or raw bytes.`,
  options: {
    syntax: { type: 'string', arg: 'SYNTAX', help: 'llvm or ubpf (default: detected)' },
    format: { type: 'string', arg: 'FMT', help: 'hex (default) or bin' },
    output: { type: 'string', short: 'o', arg: 'OUT', help: 'write to OUT instead of stdout' },
  },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const file = ctx.positionals[0]!;
    const syntax = str(ctx, 'syntax');
    if (syntax !== undefined && syntax !== 'llvm' && syntax !== 'ubpf') throw new UsageError(`asm: unknown --syntax '${syntax}' (llvm, ubpf)`);
    const format = str(ctx, 'format') ?? 'hex';
    if (format !== 'hex' && format !== 'bin') throw new UsageError(`asm: unknown --format '${format}' (hex, bin)`);
    let text: string;
    try {
      text = file === '-' ? await ctx.io.stdin() : readFileSync(file, 'utf8');
    } catch (e) {
      throw new InputError('asm.read', `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file });
    }
    const bytes = assembleBytes(text, { ...(syntax ? { syntax: syntax as AsmSyntax } : {}), file: file === '-' ? '<stdin>' : file });
    const out = str(ctx, 'output');
    if (format === 'bin') {
      if (!out) throw new UsageError('asm: --format bin needs -o OUT');
      writeFileSync(out, bytes);
      return Exit.ok;
    }
    const hex = Buffer.from(bytes).toString('hex');
    if (out) writeFileSync(out, `${hex}\n`);
    else ctx.out(hex);
    return Exit.ok;
  },
};
