// The fault import of a compiled module: turns (kind, pc, register, offset, size, value) into the
// very Fault the interpreter throws at that pc (same code, same text), by re-running the
// interpreter's checks on the region the pointer names. Only runs when a program faults.
import { Fault } from '../vm/fault.ts';
import { ACCESS, JIT_FAULT, MAX_CALL_FRAMES, REGION_CTX, REGION_TAG } from './abi.ts';

/** A region as the interpreter sees it at the moment of the fault. */
export interface FaultRegion {
  name: string;
  start: number;
  /** One past the last accessible offset (the interpreter's `size`). */
  end: number;
  writable: boolean;
  ctx: boolean;
  /** Offset the interpreter calls 0 in this region (messages are relative to it; default 0). */
  origin?: number;
}

export interface FaultContext {
  /** Region `index` now (stack bounds for the frame whose r10 low word is given), or undefined. */
  region(index: number, r10lo: number): FaultRegion | undefined;
  /** Name and slot count of program `id` (the fall-off message). */
  program(id: number): { name: string; slots: number };
}

const hex = (n: number) => (n >>> 0).toString(16);

/**
 * Builds the interpreter's Fault for a fault the module reported; `value` is the pointer register.
 * `passed(region)` is called when the access had passed the region's bounds check before it faulted
 * (a write into the context or a read-only region, a bad context field: the interpreter charged the
 * region's memory stall by then; a misaligned atomic's stall the module charged itself).
 */
export function jitFault(ctx: FaultContext, kind: number, pc: number, prog: number, reg: number, off: number, size: number, value: bigint, r10lo: number, passed?: (region: number) => void): Fault {
  const lo = Number(BigInt.asUintN(32, value));
  const hi = Number(BigInt.asUintN(32, value >> 32n)) | 0;
  switch (kind) {
    case JIT_FAULT.depth:
      return new Fault('fault.stack', `call depth exceeds ${MAX_CALL_FRAMES} frames`, pc);
    case JIT_FAULT.falloff: {
      const p = ctx.program(prog);
      return new Fault('fault.mem', `execution fell off the end of program ${p.name} (${p.slots} slots)`, pc);
    }
    case JIT_FAULT.kfunc:
      return new Fault('fault.helper', `kfunc calls (BTF id ${off}) are not supported`, pc);
    default:
  }
  const base = `r${reg}${off < 0 ? '' : '+'}${off}`;
  const r = ctx.region(hi - REGION_TAG, r10lo >>> 0);
  if (r === undefined)
    return new Fault('fault.mem', `invalid memory access of ${size} bytes at ${base} (r${reg} = 0x${hex(hi)}${hex(lo).padStart(8, '0')} is not a pointer into any region)`, pc);
  const o = r.origin ?? 0;
  const ea = lo + off;
  if (ea < r.start || ea + size > r.end) return new Fault('fault.mem', `out-of-bounds access of ${size} bytes at ${base}: offset ${ea - o} outside ${r.name} [${r.start - o}, ${r.end - o})`, pc);
  const isCtx = r.ctx || hi - REGION_TAG === REGION_CTX;
  if (passed && kind !== JIT_FAULT.misaligned) passed(hi - REGION_TAG);
  switch (kind) {
    case ACCESS.load:
      return new Fault('fault.ctx', `invalid bpf_context access off=${ea} size=${size}`, pc);
    case ACCESS.store:
      if (isCtx) return new Fault('fault.ctx', `invalid bpf_context access off=${ea} size=${size} (the context is read-only)`, pc);
      return new Fault('fault.readonly', `write into read-only ${r.name}`, pc);
    case ACCESS.atomic:
      if (isCtx) return new Fault('fault.ctx', 'atomic operation on the context', pc);
      return new Fault('fault.readonly', `atomic write into read-only ${r.name}`, pc);
    case JIT_FAULT.misaligned:
      return new Fault('fault.misaligned', `misaligned ${size}-byte atomic at offset ${ea - o} of ${r.name}`, pc);
    default:
      return new Fault('fault.mem', `jit: unknown fault kind ${kind}`, pc);
  }
}
