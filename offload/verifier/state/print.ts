// The kernel's textual register and state format (print_reg_state / print_verifier_state in
// kernel/bpf/log.c): `R1=ctx() R2=pkt(off=14,r=14) R3=scalar(smin=0,smax=umax=255,var_off=(0x0; 0xff))
// R10=fp0 fp-8=mmmm????`. Used for the level-2 trace and the infinite-loop report.
import type { MapSpec } from '../../elf/index.ts';
import { ADD_CONST, base, idBase, isPktPointer, type Reg, T, typeStr } from '../domain/reg.ts';
import { S32_MAX, S32_MIN, S64_MAX, S64_MIN, U32_MAX, U64_MAX } from '../domain/u64.ts';
import { dynptrTypeStr, ST, typesString } from './stack.ts';
import type { FuncState, VState } from './state.ts';

const isSnumDecimal = (v: bigint): boolean => v >= -32768n && v <= 32767n;

/** verbose_snum */
export function fmtSnum(v: bigint): string {
  return isSnumDecimal(v) ? v.toString() : '0x' + BigInt.asUintN(64, v).toString(16);
}

/** verbose_unum */
export function fmtUnum(v: bigint): string {
  return v <= 65535n ? v.toString() : '0x' + v.toString(16);
}

/** tnum_str */
export function fmtTnum(value: bigint, mask: bigint): string {
  return `(0x${value.toString(16)}; 0x${mask.toString(16)})`;
}

/** print_scalar_ranges: equal bounds share one value (`smax=umax=15`). */
function scalarRanges(r: Reg): string[] {
  const s32 = (v: number): bigint => (isSnumDecimal(BigInt(v)) ? BigInt(v) : BigInt(v >>> 0));
  const m = [
    { name: 'smin', val: r.smin, omit: r.smin === S64_MIN, signed: true },
    { name: 'smax', val: r.smax, omit: r.smax === S64_MAX, signed: true },
    { name: 'umin', val: r.umin, omit: r.umin === 0n, signed: false },
    { name: 'umax', val: r.umax, omit: r.umax === U64_MAX, signed: false },
    { name: 'smin32', val: s32(r.s32min), omit: r.s32min === S32_MIN, signed: true },
    { name: 'smax32', val: s32(r.s32max), omit: r.s32max === S32_MAX, signed: true },
    { name: 'umin32', val: BigInt(r.u32min), omit: r.u32min === 0, signed: false },
    { name: 'umax32', val: BigInt(r.u32max), omit: r.u32max === U32_MAX, signed: false },
  ];
  const out: string[] = [];
  for (let i = 0; i < m.length; i++) {
    const a = m[i]!;
    if (a.omit) continue;
    const neg1 = a.signed && a.val < 0n;
    let s = `${a.name}=`;
    for (let j = i + 2; j < m.length; j += 2) {
      const b = m[j]!;
      if (b.omit || BigInt.asUintN(64, b.val) !== BigInt.asUintN(64, a.val)) continue;
      const neg2 = b.signed && b.val < 0n;
      if (neg1 !== neg2) continue;
      b.omit = true;
      s += `${b.name}=`;
    }
    s += a.signed ? fmtSnum(a.val) : fmtUnum(a.val);
    out.push(s);
  }
  return out;
}

export interface PrintCtx {
  maps: MapSpec[];
}

/** print_reg_state for a register seen from frame `frameno`. */
export function fmtReg(r: Reg, frameno: number, ctx: PrintCtx): string {
  const t = r.type;
  const konst = r.var.mask === 0n;
  let s = '';
  if (t === T.SCALAR && r.precise) s += 'P';
  if (t === T.SCALAR && konst) return s + fmtSnum(BigInt.asIntN(64, r.var.value));
  s += typeStr(t);
  if (t === T.STACK) {
    if (r.frameno !== frameno) s += `[${r.frameno}]`;
    if (konst) return s + fmtSnum(BigInt.asIntN(64, r.var.value) + BigInt(r.off));
  }
  if (base(t) === T.BTF_ID) s += r.btf;
  const parts: string[] = [];
  if (r.id) {
    const id = idBase(r.id);
    parts.push(`id=${id}` + (r.id >= ADD_CONST ? (r.off >= 0 ? `+${r.off}` : `${r.off}`) : ''));
  }
  if (r.refObjId) parts.push(`ref_obj_id=${r.refObjId}`);
  if ((base(t) === T.MAP_PTR || base(t) === T.MAP_VALUE || base(t) === T.MAP_KEY) && r.map >= 0) {
    const m = ctx.maps[r.map];
    if (m) {
      // the kernel's map name (libbpf's for internal maps: `map_roda.bss`); inner-map templates have none
      if (m.kernelName) parts.push(`map=${m.kernelName}`);
      parts.push(`ks=${m.keySize},vs=${m.valueSize}`);
    }
  }
  if (t !== T.SCALAR && r.off) parts.push(`off=${fmtSnum(BigInt(r.off))}`);
  if (isPktPointer(base(t))) parts.push(`r=${fmtUnum(BigInt.asUintN(64, BigInt(r.range)))}`);
  if (base(t) === T.MEM) parts.push(`sz=${fmtUnum(BigInt(r.memSize))}`);
  if (konst) {
    if (r.var.value) parts.push(`imm=${fmtSnum(BigInt.asIntN(64, r.var.value))}`);
  } else {
    parts.push(...scalarRanges(r));
    if (r.var.mask !== U64_MAX) parts.push(`var_off=${fmtTnum(r.var.value, r.var.mask)}`);
  }
  return `${s}(${parts.join(',')})`;
}

/** print_verifier_state for one frame: every initialised register and stack slot (or only `regs`). */
export function fmtFrame(st: VState, frameno: number, ctx: PrintCtx, regMask = 0x7ff, withStack: boolean | ((spi: number) => boolean) = true): string {
  const f: FuncState = st.frames[frameno]!;
  let out = '';
  if (f.frameno) out += ` frame${f.frameno}:`;
  for (let i = 0; i < 11; i++) {
    const r = f.regs[i]!;
    if (r.type === T.NOT_INIT || !(regMask & (1 << i))) continue;
    out += ` R${i}=${fmtReg(r, f.frameno, ctx)}`;
  }
  if (withStack) {
    for (let i = 0; i < f.allocated / 8; i++) {
      const s = f.slot(i);
      if (s.types === 0 || (withStack !== true && !withStack(i))) continue;
      const off = -(i + 1) * 8;
      if (s.isSpilled() && s.spilled) {
        // the bytes below a sub-register spill print as their types first (`????0`)
        const firstSpill = [0, 1, 2, 3, 4, 5, 6, 7].find((j) => s.typeAt(j) === ST.SPILL) ?? 8;
        out += ` fp${off}=${typesString(s).slice(0, firstSpill)}${fmtReg(s.spilled, f.frameno, ctx)}`;
      }
      else if (s.typeAt(7) === ST.DYNPTR) {
        // a dynptr prints once, at its first (higher) slot: `fp-16=dynptr_xdp(id=1,dynptr_id=1)`
        const main = f.slot(i + 1);
        const r = main.spilled ?? s.spilled;
        const kind = dynptrTypeStr(r?.dynptrType ?? 0);
        const parts: string[] = [];
        if (r?.id) parts.push(`id=${r.id}`);
        if (r?.refObjId) parts.push(`ref_id=${r.refObjId}`);
        if (r?.id) parts.push(`dynptr_id=${r.id}`);
        out += ` fp${-(i + 2) * 8}=dynptr_${kind}(${parts.join(',')})`;
        i++;
      }
      else out += ` fp${off}=${typesString(s)}`;
    }
  }
  if (frameno === st.curframe && st.refs.length) out += ` refs=${st.refs.map((r) => r.id).join(',')}`;
  if (f.inCallbackFn) out += ' cb';
  return out;
}
