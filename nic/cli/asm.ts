// nicsim asm: assemble llvm-syntax or ubpf-syntax BPF assembly (or a bpf_conformance .data file).
import { Exit, UsageError } from '../../offload/errors.ts';
import { readInputText } from '../../offload/input.ts';
import { assembleBytes, type AsmSyntax } from '../../offload/isa/index.ts';
import { type Command, flag, str } from './command.ts';
import { writeOutputFile } from './output.ts';

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
    json: { type: 'boolean', help: 'print {"hex", "insns"} as one JSON object on stdout' },
  },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const file = ctx.positionals[0]!;
    const syntax = str(ctx, 'syntax');
    if (syntax !== undefined && syntax !== 'llvm' && syntax !== 'ubpf') throw new UsageError(`unknown --syntax '${syntax}' (llvm, ubpf)`);
    const format = str(ctx, 'format') ?? 'hex';
    if (format !== 'hex' && format !== 'bin') throw new UsageError(`unknown --format '${format}' (hex, bin)`);
    const out = str(ctx, 'output');
    if (format === 'bin' && !out) throw new UsageError('--format bin needs -o OUT');
    // standard input and files share one bound (offload/input.ts)
    const text = file === '-' ? await ctx.io.stdin() : readInputText(file, 'asm', { code: 'asm.read', what: 'assembly' });
    const bytes = assembleBytes(text, { ...(syntax ? { syntax: syntax as AsmSyntax } : {}), file: file === '-' ? '<stdin>' : file });
    const hex = Buffer.from(bytes).toString('hex');
    if (out) writeOutputFile(out, format === 'bin' ? bytes : `${hex}\n`, '-o');
    if (flag(ctx, 'json')) ctx.out(JSON.stringify({ hex, insns: bytes.length / 8 }));
    else if (!out) ctx.out(hex);
    return Exit.ok;
  },
};
