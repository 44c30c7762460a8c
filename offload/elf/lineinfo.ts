// Stage: func_info and line_info of a linked program. .BTF.ext records are per ELF section with byte
// offsets; each placed function takes the records inside its own range, shifted to where it was
// placed in the program (libbpf's adjust_prog_btf_ext_info). The result is sorted by pc.

import type { BtfExt } from '../btf/ext.ts';
import type { Btf } from '../btf/types.ts';
import type { PlacedFunction } from './link.ts';
import type { LineInfo } from './spec.ts';

export interface FuncInfoEntry {
  pc: number;
  typeId: number;
  name: string;
}

export function programLineInfo(ext: BtfExt | undefined, placed: PlacedFunction[]): LineInfo[] {
  if (!ext) return [];
  const out: LineInfo[] = [];
  for (const { fn, pc } of placed) {
    const lo = fn.sectionPc * 8;
    const hi = (fn.sectionPc + fn.length) * 8;
    for (const sec of ext.lineInfo) {
      if (sec.section !== fn.section) continue;
      for (const r of sec.records) {
        if (r.insnOff < lo || r.insnOff >= hi || r.insnOff % 8 !== 0) continue;
        out.push({ pc: pc + r.insnOff / 8 - fn.sectionPc, file: r.file, line: r.line, col: r.col, text: r.text });
      }
    }
  }
  return out.sort((a, b) => a.pc - b.pc);
}

export function programFuncInfo(ext: BtfExt | undefined, btf: Btf | undefined, placed: PlacedFunction[]): FuncInfoEntry[] {
  if (!ext || !btf) return [];
  const out: FuncInfoEntry[] = [];
  for (const { fn, pc } of placed) {
    for (const sec of ext.funcInfo) {
      if (sec.section !== fn.section) continue;
      for (const r of sec.records) {
        if (r.insnOff !== fn.sectionPc * 8) continue;
        const t = btf.types[r.typeId];
        out.push({ pc, typeId: r.typeId, name: t?.kind === 'func' ? t.name : '' });
      }
    }
  }
  return out;
}

/** The line-info entry covering `pc` (the last entry at or before it). */
export function lineAt(lines: LineInfo[], pc: number): LineInfo | undefined {
  let lo = 0;
  let hi = lines.length - 1;
  let best: LineInfo | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const l = lines[mid]!;
    if (l.pc <= pc) {
      best = l;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}
