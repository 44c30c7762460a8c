// nicsim's own disassembly of loaded programs (relocated, subprograms appended): llvm syntax, with
// the names llvm-objdump cannot know written as comments — map names for map references, helper
// names for calls, and the C source line (from BTF line info) above the instructions it produced.
// Every instruction line still assembles back (`;` starts a comment).
import { kfuncById } from '../btf/kfuncs.ts';
import { type ObjectSpec, type ProgramSpec } from '../elf/index.ts';
import { decodeProgram, disasm, type Insn } from '../isa/index.ts';
import { helperName } from '../../firmware/helpers/names.ts';

export interface AnnotateOptions {
  /** Interleave `; file:line  text` lines (default true). */
  source?: boolean;
}

function comment(insn: Insn, spec: ObjectSpec): string | undefined {
  if (insn.kind === 'call') {
    if (insn.callee === 'helper') {
      const n = helperName(insn.imm);
      return n ? `bpf_${n}` : `unknown helper ${insn.imm}`;
    }
    if (insn.callee === 'kfunc') {
      const k = insn.off === 0 && insn.imm !== 0 ? kfuncById(insn.imm) : undefined;
      return k ? `kfunc ${k.name}` : 'kfunc';
    }
    return undefined;
  }
  if (insn.kind === 'lddw' && (insn.pseudo === 5 || insn.pseudo === 6)) {
    const m = spec.maps[insn.imm];
    const name = m ? m.name : `#${insn.imm}`;
    return insn.pseudo === 5 ? `map ${name}` : `&${name}[0] + ${insn.imm2}`;
  }
  if (insn.kind === 'lddw' && insn.pseudo === 4) return 'callback';
  return undefined;
}

export function annotateProgram(spec: ObjectSpec, prog: ProgramSpec, opts: AnnotateOptions = {}): string[] {
  const slots = decodeProgram(prog.insns, { loc: { file: spec.file, section: prog.section, offset: prog.offset } });
  const funcs = [...prog.funcs].sort((a, b) => a.pc - b.pc);
  const funcAt = new Map(funcs.map((f) => [f.pc, f]));
  const label = (t: number) => {
    let best = funcs[0];
    for (const f of funcs) if (f.pc <= t) best = f;
    if (!best) return `pc ${t}`;
    const off = (t - best.pc) * 8;
    return off ? `${best.name}+0x${off.toString(16)}` : best.name;
  };
  const lines = new Map(prog.lineInfo.map((l) => [l.pc, l]));
  const out: string[] = [`; ${prog.name}: section ${prog.section}, ${slots.length} instructions, ${prog.funcs.length} function${prog.funcs.length === 1 ? '' : 's'}`];
  const width = String(slots.length).length;
  let lastLine = '';
  for (let pc = 0; pc < slots.length; pc++) {
    const f = funcAt.get(pc);
    if (f) out.push('', `${f.name}:`);
    const li = lines.get(pc);
    if (opts.source !== false && li) {
      const key = `${li.file}:${li.line}`;
      if (key !== lastLine) out.push(`; ${li.file.replace(/^.*\//, '')}:${li.line}  ${li.text.trim()}`);
      lastLine = key;
    }
    const insn = slots[pc];
    if (!insn) continue;
    const text = disasm(insn, { pc, label });
    const c = comment(insn, spec);
    out.push(`${String(pc).padStart(width + 2)}: ${c ? `${text.padEnd(40)} ; ${c}` : text}`);
  }
  return out;
}
