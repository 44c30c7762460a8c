// nicsim disasm: disassembly of an object's programs.
import { Exit, InputError, UsageError } from '../../offload/errors.ts';
import { findProgram, loadObject, readObjectFile } from '../../offload/elf/index.ts';
import { objdumpText } from '../../offload/disasm/llvm.ts';
import { annotateProgram } from '../../offload/disasm/annotated.ts';
import { decodeProgram, disasmUbpf } from '../../offload/isa/index.ts';
import { type Command, flag, str } from './command.ts';


export const disasmCommand: Command = {
  usage: ['disasm OBJECT [--program NAME] [--format nicsim|llvm|ubpf] [--source | --no-source]'],
  description: `Default (nicsim) format: every program as the kernel will load it (subprograms appended, map
references relocated), in llvm syntax, annotated with map names, helper names and the C source lines
from BTF line info. --format llvm prints exactly what llvm-objdump-19 -d prints for the object (the
ELF sections as compiled); with --program only that function's block. --format ubpf prints the
bpf_conformance / ubpf assembler syntax.`,
  options: {
    program: { type: 'string', short: 'p', arg: 'NAME', help: 'only this program (C function name)' },
    format: { type: 'string', arg: 'FMT', help: 'nicsim (default), llvm or ubpf' },
    'no-source': { type: 'boolean', help: 'leave out C source lines (nicsim format)' },
    source: { type: 'boolean', help: 'show C source lines (the default in nicsim format)' },
  },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const file = ctx.positionals[0]!;
    const format = str(ctx, 'format') ?? 'nicsim';
    if (!['nicsim', 'llvm', 'ubpf'].includes(format)) throw new UsageError(`unknown --format '${format}' (nicsim, llvm, ubpf)`);
    const bytes = readObjectFile(file);
    const name = str(ctx, 'program');
    if (format === 'llvm') {
      const text = objdumpText(bytes, file);
      if (!name) {
        ctx.io.stdout(text);
        return Exit.ok;
      }
      // Only the block of one symbol (like llvm-objdump --disassemble-symbols).
      const blocks = text.split('\n\n');
      const block = blocks.find((b) => new RegExp(`^[0-9a-f]{16} <${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}>:`).test(b));
      if (!block) throw new InputError('disasm.no_symbol', `no function '${name}' in ${file}`, { file });
      ctx.out(block.replace(/\n$/, ''));
      return Exit.ok;
    }
    const spec = loadObject(bytes, file, { allowUnsupported: true });
    const progs = name ? [findProgram(spec, name)] : spec.programs;
    if (progs[0] === undefined) throw new InputError('disasm.no_program', `no program '${name}' in ${file} (programs: ${spec.programs.map((p) => p.name).join(', ')})`, { file });
    progs.forEach((p, i) => {
      if (!p) return;
      if (i) ctx.out();
      if (format === 'ubpf') {
        ctx.out(`# ${p.name} (section ${p.section})`);
        for (const insn of decodeProgram(p.insns, { loc: { file, section: p.section } })) if (insn) ctx.out(disasmUbpf(insn));
        return;
      }
      for (const line of annotateProgram(spec, p, { source: !flag(ctx, 'no-source') })) ctx.out(line);
    });
    return Exit.ok;
  },
};
