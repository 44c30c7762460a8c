// Stack accesses: bounds (check_stack_access_within_bounds), spills and fills at fixed offsets,
// variable-offset reads and writes, and the initialisation check of memory handed to helpers
// (check_stack_range_initialized).
import { isNullReg, markConstZero, setKnownBounds } from '../domain/bounds.ts';
import { ADD_CONST, Reg, T } from '../domain/reg.ts';
import { fls64 } from '../domain/u64.ts';
import { ALL_MISC, byteOf, Slot, spiOf, ST, withType } from '../state/stack.ts';
import { type FuncState, MAX_BPF_STACK } from '../state/state.ts';
import type { Env } from './env.ts';
import { curRegs, markRegUnknown } from './regs.ts';
import { markPrecise, stackAccess } from './precise.ts';

export const BPF_MAX_VAR_OFF = 1 << 29;

export type Access = 'read' | 'write';

/** The frame a stack pointer points into. */
export function frameOf(env: Env, reg: Reg): FuncState {
  return env.cur.frames[reg.frameno]!;
}

const isSpillable = (t: number): boolean => {
  const b = t & 0xff;
  return (
    b === T.MAP_VALUE ||
    b === T.STACK ||
    b === T.CTX ||
    b === T.PKT ||
    b === T.PKT_META ||
    b === T.PKT_END ||
    b === T.FLOW_KEYS ||
    b === T.MAP_PTR ||
    b === T.SOCKET ||
    b === T.SOCK_COMMON ||
    b === T.TCP_SOCK ||
    b === T.XDP_SOCK ||
    b === T.BTF_ID ||
    b === T.BUF ||
    b === T.MEM ||
    b === T.FUNC ||
    b === T.MAP_KEY
  );
};

/** grow_stack_state, and the subprogram's stack depth. */
export function growStack(env: Env, f: FuncState, size: number): void {
  const n = Math.ceil(size / 8) * 8;
  if (n <= f.allocated) return;
  f.grow(n);
  const sp = env.subprogs[f.subprogno]!;
  if (sp.stackDepth < n) sp.stackDepth = n;
}

/** check_stack_access_within_bounds; `off` includes the register's fixed offset. */
export function checkStackBounds(env: Env, regno: number, off: number, size: number, t: Access): void {
  const reg = curRegs(env)[regno]!;
  const f = frameOf(env, reg);
  const extra = t === 'read' ? ' read from' : ' write to';
  let minOff: number;
  let maxOff: number;
  const isConst = reg.var.mask === 0n;
  if (isConst) {
    minOff = Number(BigInt.asIntN(64, reg.var.value)) + off;
    maxOff = minOff + size;
  } else {
    if (reg.smax >= BigInt(BPF_MAX_VAR_OFF) || reg.smin <= -BigInt(BPF_MAX_VAR_OFF))
      env.fail('EACCES', `invalid unbounded variable-offset${extra} stack R${regno}`);
    minOff = Number(reg.smin) + off;
    maxOff = Number(reg.smax) + off + size;
  }
  const minValid = t === 'write' || env.priv.allowUninitStack ? -MAX_BPF_STACK : -f.allocated;
  let bad: 'EACCES' | 'EINVAL' | 'EFAULT' | null = null;
  if (minOff < minValid || minOff > -1) bad = 'EACCES';
  else if (maxOff > 0) bad = 'EINVAL';
  else if (size < 0) bad = 'EFAULT';
  if (bad) {
    if (isConst) env.fail(bad, `invalid${extra} stack R${regno} off=${minOff} size=${size}`);
    env.fail(bad, `invalid variable-offset${extra} stack R${regno} var_off=${reg.var.toString()} off=${off} size=${size}`);
  }
  growStack(env, f, -minOff);
}

const isSpilledScalar = (s: Slot): boolean => s.isSpilled() && s.spilled!.type === T.SCALAR;
const isSpecial = (s: Slot): boolean => {
  const t = s.typeAt(7);
  return t === ST.SPILL || t === ST.DYNPTR || t === ST.ITER;
};

/** mark_stack_slot_misc on one byte type. */
function miscByte(t: number): number {
  if (t === ST.ZERO || t === ST.INVALID) return t;
  return ST.MISC;
}
/** scrub_spilled_slot */
const scrub = (t: number): number => (t !== ST.INVALID ? ST.MISC : t);

/** save_register_state: spill `reg` into the top `size` bytes of slot spi. */
function saveRegState(f: FuncState, spi: number, reg: Reg, size: number): void {
  const old = f.slot(spi);
  let types = old.types;
  let i = 8;
  for (; i > 8 - size; i--) types = withType(types, i - 1, ST.SPILL);
  for (; i; i--) types = withType(types, i - 1, miscByte((types >> (3 * (i - 1))) & 7));
  f.stack[spi] = new Slot(types, reg.clone());
}

/** Ensure a scalar has an id before it is copied (assign_scalar_id_before_mov). */
export function assignScalarIdBeforeMov(env: Env, src: Reg): void {
  if (src.type !== T.SCALAR) return;
  if (src.id >= ADD_CONST) {
    src.id = 0;
    src.off = 0;
  }
  if (!src.id && src.var.mask !== 0n) src.id = env.newId();
}

/** check_stack_write_fixed_off: `off` is the absolute stack offset. */
function stackWriteFixed(env: Env, f: FuncState, off: number, size: number, valueRegno: number, imm: number | null): void {
  const slot = -off - 1;
  const spi = (slot / 8) | 0;
  const old = f.slot(spi);
  const cur = env.cur.frames[env.cur.curframe]!;
  if (!env.priv.allowPtrLeaks && old.isSpilled() && !isSpilledScalar(old) && size !== 8)
    env.fail('EACCES', 'attempt to corrupt spilled pointer on stack');
  const reg = valueRegno >= 0 ? cur.regs[valueRegno]! : null;
  if (!env.priv.bypassSpecV4) {
    let sanitize = reg !== null && isSpillable(reg.type);
    for (let i = 0; i < size && !sanitize; i++) {
      const t = old.typeAt(i);
      if (t !== ST.MISC && t !== ST.ZERO) sanitize = true;
    }
    if (sanitize) env.aux[env.insnIdx]!.nospecResult = true;
  }
  // only a whole aligned slot counts as overwritten (check_stack_write_fixed_off)
  if (size === 8 && off % 8 === 0) env.stackLive.markWrite(f.frameno, spi);
  if (reg && off % 8 === 0 && reg.type === T.SCALAR) {
    const fits = fls64(reg.umax) <= 8 * size;
    if (fits) assignScalarIdBeforeMov(env, reg);
    saveRegState(f, spi, reg, size);
    if (!fits) f.stack[spi]!.spilled!.id = 0;
    env.pushHistory(env.cur, stackAccess(f.frameno, spi), 0, null);
  } else if (!reg && off % 8 === 0 && imm !== null) {
    const tmp = new Reg();
    tmp.type = T.SCALAR;
    setKnownBounds(tmp, BigInt(imm));
    saveRegState(f, spi, tmp, size);
    env.pushHistory(env.cur, stackAccess(f.frameno, spi), 0, null);
  } else if (reg && isSpillable(reg.type)) {
    if (size !== 8) env.fail('EACCES', 'invalid size of register spill');
    if (f !== cur && reg.type === T.STACK) env.fail('EINVAL', 'cannot spill pointers to stack into stack frame of the caller');
    saveRegState(f, spi, reg, size);
    env.pushHistory(env.cur, stackAccess(f.frameno, spi), 0, null);
  } else {
    let types = old.types;
    if (isSpecial(old)) for (let i = 0; i < 8; i++) types = withType(types, i, scrub((types >> (3 * i)) & 7));
    const zero = (reg !== null && isNullReg(reg)) || (reg === null && imm === 0);
    if (zero && valueRegno >= 0) markPrecise(env, valueRegno);
    const t = zero ? ST.ZERO : ST.MISC;
    for (let i = 0; i < size; i++) types = withType(types, (slot - i) % 8, t);
    f.stack[spi] = new Slot(types, null);
  }
}

/** check_stack_write_var_off */
function stackWriteVar(env: Env, f: FuncState, ptrRegno: number, off: number, size: number, valueRegno: number, imm: number | null): void {
  const cur = env.cur.frames[env.cur.curframe]!;
  const ptr = cur.regs[ptrRegno]!;
  const minOff = Number(ptr.smin) + off;
  const maxOff = Number(ptr.smax) + off + size;
  const value = valueRegno >= 0 ? cur.regs[valueRegno]! : null;
  const writingZero = (value !== null && isNullReg(value)) || (value === null && imm === 0);
  let zeroUsed = false;
  for (let i = minOff; i < maxOff; i++) {
    const slot = -i - 1;
    const spi = (slot / 8) | 0;
    const s = f.slot(spi);
    const b = slot % 8;
    const t = s.typeAt(b);
    if (!env.priv.allowPtrLeaks && t !== ST.MISC && t !== ST.ZERO)
      env.fail('EINVAL', `spilled ptr in range of var-offset stack write; insn ${env.insnIdx}, ptr off: ${i}`);
    if (writingZero && t === ST.SPILL && isSpilledScalar(s) && s.spilled!.var.mask === 0n && s.spilled!.var.value === 0n) continue;
    let nt: number = ST.MISC;
    if (writingZero && t === ST.ZERO) {
      nt = ST.ZERO;
      zeroUsed = true;
    }
    if (t === ST.INVALID && !env.priv.allowUninitStack)
      env.fail('EINVAL', `uninit stack in range of var-offset write prohibited for !root; insn ${env.insnIdx}, off: ${i}`);
    f.stack[spi] = new Slot(withType(s.types, b, nt), null);
  }
  if (zeroUsed && valueRegno >= 0) markPrecise(env, valueRegno);
}

/** check_stack_write: stack[ptr + off] = value (value -1 = an immediate or unknown value). */
export function checkStackWrite(env: Env, ptrRegno: number, off: number, size: number, valueRegno: number, imm: number | null): void {
  const reg = curRegs(env)[ptrRegno]!;
  const f = frameOf(env, reg);
  if (reg.var.mask === 0n) stackWriteFixed(env, f, off + Number(BigInt.asIntN(64, reg.var.value)), size, valueRegno, imm);
  else stackWriteVar(env, f, ptrRegno, off, size, valueRegno, imm);
}

/** bpf_stack_narrow_access_ok */
function narrowOk(off: number, size: number, spillSize: number): boolean {
  // Little endian: the spilled value lives in the low bytes, at the slot's start.
  return off % 8 === 0 && size <= spillSize;
}

/** mark_reg_stack_read: all-zero bytes give a known zero, anything else an unknown scalar. */
function markRegStackRead(env: Env, ptrFrame: FuncState, minOff: number, maxOff: number, dst: number): void {
  let zeros = 0;
  for (let i = minOff; i < maxOff; i++) {
    const slot = -i - 1;
    if (ptrFrame.slot((slot / 8) | 0).typeAt(slot % 8) !== ST.ZERO) break;
    zeros++;
  }
  const regs = curRegs(env);
  if (zeros === maxOff - minOff) markConstZero(regs[dst]!, false);
  else markRegUnknown(regs[dst]!);
}

/** check_stack_read_fixed_off: `off` is the absolute stack offset; dst -1 = not into a register. */
function stackReadFixed(env: Env, f: FuncState, off: number, size: number, dst: number): void {
  const slot = -off - 1;
  const spi = (slot / 8) | 0;
  const s = f.slot(spi);
  const regs = curRegs(env);
  env.stackLive.markRead(env.cur, f.frameno, env.insnIdx, spi, spi);
  if (s.isSpilled()) {
    let spillSize = 1;
    for (let i = 7; i > 0 && s.typeAt(i - 1) === ST.SPILL; i--) spillSize++;
    const reg = s.spilled!;
    if (size !== 8 || spillSize !== 8) {
      if (reg.type !== T.SCALAR) env.fail('EACCES', 'invalid size of register fill');
      if (dst < 0) return;
      if (size <= spillSize && narrowOk(off, size, spillSize)) {
        const subregDef = regs[dst]!.subregDef;
        const copy = reg.clone();
        if (size === 4 && spillSize === 4 && fls64(reg.umax) <= 32) {
          assignScalarIdBeforeMov(env, copy);
          if (copy.id !== reg.id) f.stack[spi] = new Slot(s.types, copy.clone());
        }
        regs[dst]!.assign(copy);
        regs[dst]!.subregDef = subregDef;
        if (fls64(reg.umax) > size * 8) regs[dst]!.id = 0;
        env.pushHistory(env.cur, stackAccess(f.frameno, spi), 0, null);
      } else {
        let spillCnt = 0;
        let zeroCnt = 0;
        for (let i = 0; i < size; i++) {
          const t = s.typeAt((slot - i) % 8);
          if (t === ST.SPILL) spillCnt++;
          else if (t === ST.MISC) continue;
          else if (t === ST.ZERO) zeroCnt++;
          else if (t === ST.INVALID && env.priv.allowUninitStack) continue;
          else env.fail('EACCES', `invalid read from stack off ${off}+${i} size ${size}`);
        }
        if (spillCnt === size && reg.var.mask === 0n && reg.var.value === 0n) {
          markConstZero(regs[dst]!, false);
          env.pushHistory(env.cur, stackAccess(f.frameno, spi), 0, null);
        } else if (zeroCnt === size) markConstZero(regs[dst]!, false);
        else markRegUnknown(regs[dst]!);
      }
    } else if (dst >= 0) {
      // a full fill copies the spilled register (ids are assigned when spilling)
      regs[dst]!.assign(reg);
      env.pushHistory(env.cur, stackAccess(f.frameno, spi), 0, null);
    } else if (!env.priv.allowPtrLeaks && reg.type !== T.SCALAR) {
      env.fail('EACCES', `leaking pointer from stack off ${off}`);
    }
    return;
  }
  for (let i = 0; i < size; i++) {
    const t = s.typeAt((slot - i) % 8);
    if (t === ST.MISC || t === ST.ZERO) continue;
    if (t === ST.INVALID && env.priv.allowUninitStack) continue;
    env.fail('EACCES', `invalid read from stack off ${off}+${i} size ${size}`);
  }
  if (dst >= 0) markRegStackRead(env, f, off, off + size, dst);
}

/** check_stack_read */
export function checkStackRead(env: Env, ptrRegno: number, off: number, size: number, dst: number): void {
  const reg = curRegs(env)[ptrRegno]!;
  const f = frameOf(env, reg);
  const varOff = reg.var.mask !== 0n;
  if (dst < 0 && varOff)
    env.fail(
      'EACCES',
      `variable offset stack pointer cannot be passed into helper function; var_off=${reg.var.toString()} off=${off} size=${size}`,
    );
  if (!varOff) {
    stackReadFixed(env, f, off + Number(BigInt.asIntN(64, reg.var.value)), size, dst);
    return;
  }
  checkStackRangeInitialized(env, ptrRegno, off, size, false, 'read', null);
  const minOff = Number(reg.smin) + off;
  const maxOff = Number(reg.smax) + off;
  markRegStackRead(env, f, minOff, maxOff + size, dst);
}

export interface RawModeMeta {
  rawMode: boolean;
  accessSize: number;
  regno: number;
}

/** check_stack_range_initialized: memory handed to a helper (or read at a variable offset). */
export function checkStackRangeInitialized(
  env: Env,
  regno: number,
  off: number,
  accessSize: number,
  zeroSizeAllowed: boolean,
  type: Access,
  meta: RawModeMeta | null,
): void {
  const reg = curRegs(env)[regno]!;
  const f = frameOf(env, reg);
  if (accessSize === 0 && !zeroSizeAllowed) env.fail('EACCES', 'invalid zero-sized read');
  const clobber = type === 'write';
  checkStackBounds(env, regno, off, accessSize, type);
  let minOff: number;
  let maxOff: number;
  if (reg.var.mask === 0n) {
    minOff = maxOff = Number(BigInt.asIntN(64, reg.var.value)) + off;
  } else {
    if (!env.priv.bypassSpecV1)
      env.fail('EACCES', `R${regno} variable offset stack access prohibited for !root, var_off=${reg.var.toString()}`);
    if (meta && meta.rawMode) meta = null;
    minOff = Number(reg.smin) + off;
    maxOff = Number(reg.smax) + off;
  }
  if (meta && meta.rawMode) {
    for (let i = minOff; i < maxOff + accessSize; i++) {
      const so = -i - 1;
      if (f.allocated <= so) continue;
      if (f.slot((so / 8) | 0).typeAt(so % 8) === ST.DYNPTR) env.fail('EACCES', `potential write to dynptr at off=${i} disallowed`);
    }
    meta.accessSize = accessSize;
    meta.regno = regno;
    return;
  }
  for (let i = minOff; i < maxOff + accessSize; i++) {
    const slot = -i - 1;
    const spi = (slot / 8) | 0;
    if (f.allocated <= slot) env.fail('EFAULT', 'allocated_stack too small');
    const s = f.slot(spi);
    const b = slot % 8;
    const t = s.typeAt(b);
    // reading any byte of a slot marks the whole slot read
    if (t === ST.MISC) {
      env.stackLive.markRead(env.cur, f.frameno, env.insnIdx, spi, spi);
      continue;
    }
    if (t === ST.ZERO || (t === ST.INVALID && env.priv.allowUninitStack)) {
      if (clobber) f.stack[spi] = new Slot(withType(s.types, b, ST.MISC), s.spilled);
      env.stackLive.markRead(env.cur, f.frameno, env.insnIdx, spi, spi);
      continue;
    }
    if (s.isSpilled() && (s.spilled!.type === T.SCALAR || env.priv.allowPtrLeaks)) {
      if (clobber) {
        let types = s.types;
        for (let j = 0; j < 8; j++) types = withType(types, j, scrub((types >> (3 * j)) & 7));
        f.stack[spi] = new Slot(types, null);
      }
      env.stackLive.markRead(env.cur, f.frameno, env.insnIdx, spi, spi);
      continue;
    }
    if (reg.var.mask === 0n) env.fail('EACCES', `invalid read from stack R${regno} off ${minOff}+${i - minOff} size ${accessSize}`);
    env.fail('EACCES', `invalid read from stack R${regno} var_off ${reg.var.toString()}+${i - minOff} size ${accessSize}`);
  }
}

export { ALL_MISC, byteOf, spiOf };
