// Text for the verifier's log: instructions as the kernel prints them, and the register / stack
// masks of its precision-tracking lines.
import { kernelInsnText } from '../cfg/ktext.ts';
import type { Env } from './env.ts';

/** Instruction text in the log, as the kernel prints it (kernel/bpf/disasm.c). */
export function logInsnText(env: Env, pc: number): string {
  return kernelInsnText(env.prog.raws, pc, {
    allowPtrLeaks: env.priv.allowPtrLeaks,
    kfuncName: (p) => env.prog.kfuncs.get(p),
    // a stable stand-in for the kernel address of the map (or of the value at the offset)
    mapAddr: (raw, next) => 0xffff888100000000n + BigInt(raw.imm >>> 0) * 0x10000n + (raw.src === 2 || raw.src === 6 ? BigInt(next.imm >>> 0) : 0n),
  });
}

/** fmt_reg_mask: `r1,r7`. */
export function fmtRegMask(mask: number): string {
  const out: string[] = [];
  for (let i = 0; i < 11; i++) if (mask & (1 << i)) out.push(`r${i}`);
  return out.join(',');
}

/** bpf_fmt_stack_mask: `-8,-16` (slot spi at -(spi + 1) * 8). */
export function fmtStackMask(lo: number, hi: number): string {
  const out: string[] = [];
  for (let i = 0; i < 64; i++) if (i < 32 ? lo & (1 << i) : hi & (1 << (i - 32))) out.push(`-${(i + 1) * 8}`);
  return out.join(',');
}
