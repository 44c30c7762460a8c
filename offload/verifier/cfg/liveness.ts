// Register liveness before each instruction (compute_live_registers): registers an instruction or
// a later one may read before they are overwritten. State pruning compares only live registers.
import { xdpHelperProto } from '../../../firmware/helpers/protos.ts';
import type { Env } from '../check/env.ts';
import { kfuncById } from '../../btf/kfuncs.ts';
import { flowOf, jmpOffset } from './raw.ts';

const ALL_CALLER_SAVED = 0b111111;


function defUse(env: Env, pc: number): [number, number] {
  const r = env.prog.raws[pc]!;
  const cls = r.code & 7;
  const op = r.code & 0xf0;
  const mode = r.code & 0xe0;
  const src = 1 << r.src;
  const dst = 1 << r.dst;
  const x = (r.code & 8) !== 0;
  switch (cls) {
    case 0: // LD
      if (mode === 0 && (r.code & 0x18) === 0x18) return [dst, 0];
      return [0, 0xffff];
    case 1:
      if (mode === 0x60 || mode === 0x80) return [dst, src];
      return [0, 0xffff];
    case 2:
      if (mode === 0x60) return [0, dst];
      return [0, 0xffff];
    case 3:
      if (mode === 0x60) return [0, dst | src];
      if (mode === 0xc0) {
        if (r.imm === 0xf1) return [1, 1 | dst | src];
        if (r.imm === 0x100) return [dst, src];
        if (r.imm === 0x110) return [0, dst | src];
        return [r.imm & 1 ? src : 0, dst | src];
      }
      return [0, 0xffff];
    case 4:
    case 7:
      if (op === 0xd0) return [dst, dst];
      if (op === 0xb0) return [dst, x ? src : 0];
      return [dst, x ? dst | src : dst];
    default:
      switch (op) {
        case 0x00:
          return [0, x ? dst : 0];
        case 0xe0:
          return [0, 0];
        case 0x90:
          return [0, 1];
        case 0x80: {
          let use = ALL_CALLER_SAVED & ~1;
          if (r.src === 0) {
            // get_call_summary: a helper this loader may not call has no prototype (r1-r5 used)
            const p = xdpHelperProto(r.imm, env.priv.allowPtrLeaks);
            if (p) use = ((1 << (p.args.length + 1)) - 1) & ~1;
          } else if (r.src === 2) {
            // a kfunc: its BTF prototype's parameter count (fetch_kfunc_meta fails for one XDP may not call)
            const k = r.off === 0 ? kfuncById(r.imm) : undefined;
            if (k?.xdp) use = ((1 << (k.params.length + 1)) - 1) & ~1;
          }
          return [ALL_CALLER_SAVED, use];
        }
        default:
          return [0, x ? dst | src : dst];
      }
  }
}

/** Fills env.aux[*].liveRegs. */
export function computeLiveRegs(env: Env): void {
  const n = env.prog.len;
  const def = new Int32Array(n);
  const use = new Int32Array(n);
  const succ: number[][] = new Array(n);
  for (let i = 0; i < n; i++) {
    if (env.prog.slots[i] === null) {
      succ[i] = [];
      continue;
    }
    const [d, u] = defUse(env, i);
    def[i] = d;
    use[i] = u;
    const r = env.prog.raws[i]!;
    switch (flowOf(r)) {
      case 'exit':
        succ[i] = [];
        break;
      case 'ja':
        succ[i] = [i + jmpOffset(r) + 1];
        break;
      case 'cond':
        succ[i] = [i + 1, i + r.off + 1];
        break;
      case 'lddw':
        succ[i] = [i + 2];
        break;
      default:
        succ[i] = [i + 1];
    }
  }
  const liveIn = new Int32Array(n);
  let changed = true;
  while (changed) {
    changed = false;
    for (let i = n - 1; i >= 0; i--) {
      if (env.prog.slots[i] === null) continue;
      let out = 0;
      for (const s of succ[i]!) if (s >= 0 && s < n) out |= liveIn[s]!;
      const inn = use[i]! | (out & ~def[i]!);
      if (inn !== liveIn[i]) {
        liveIn[i] = inn;
        changed = true;
      }
    }
  }
  for (let i = 0; i < n; i++) env.aux[i]!.liveRegs = env.liveRegs[i] = liveIn[i]! & 0x7ff;
}
