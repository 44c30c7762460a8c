// The checks the kernel runs before it walks any path, in its order: subprogram discovery
// (add_subprog_and_kfunc), jumps staying inside their subprogram (check_subprogs), lddw and opcode
// sanity (resolve_pseudo_ldimm64), then the DFS of check_cfg that finds unreachable code, jumps out
// of range or into an lddw, and marks prune/jump points.
import type { Env, SubprogInfo } from '../check/env.ts';
import { DEV_BOUND_KFUNCS } from '../check/kfunc.ts';
import { flowOf, isHelperCall, isKfuncCall, isLdImm64, isPseudoCall, isPseudoFunc, jmpOffset } from './raw.ts';
import { ROWS_BY_CODE } from './isa-shim.ts';
import { MAP_TYPE } from '../../elf/maptypes.ts';
import { HELPER_PROTOS } from '../../../firmware/helpers/protos.ts';

const SYNC_CALLBACK_HELPERS = new Set([164 /* for_each_map_elem */, 181 /* loop */, 180 /* find_vma */, 209 /* user_ringbuf_drain */]);

/** add_subprog_and_kfunc + subprogram table. */
export function findSubprogs(env: Env): void {
  const { prog } = env;
  const starts = new Set<number>([0]);
  for (let i = 0; i < prog.len; i++) {
    const s = prog.slots[i];
    if (!s) continue;
    const r = s.raw;
    if (isKfuncCall(r)) {
      const name = prog.kfuncs.get(i);
      // add_kfunc_call; without a name (no kfunc relocation) the imm is a kernel BTF id nicsim cannot resolve
      if (!prog.gpl) env.failAt(null, 'EINVAL', 'cannot call kernel function from non-GPL compatible program');
      if (name === undefined) {
        if (r.off !== 0) env.failAt(null, 'EINVAL', 'failed to find BTF for kernel function');
        if (r.imm !== 0) env.failAt(null, 'EINVAL', `kernel btf_id ${r.imm >>> 0} is not a function`);
      } else if (DEV_BOUND_KFUNCS.has(name)) {
        // bpf_dev_bound_kfunc_check
        if (!env.devBound) env.failAt(null, 'EINVAL', 'metadata kfuncs require device-bound program');
        if (env.offloaded) env.failAt(null, 'EINVAL', "metadata kfuncs can't be offloaded");
      }
    }
    if (!isPseudoCall(r) && !isPseudoFunc(r)) continue;
    const t = i + r.imm + 1;
    if (t < 0 || t >= prog.len) env.failAt(null, 'EINVAL', 'call to invalid destination');
    starts.add(t);
  }
  const sorted = [...starts].sort((a, b) => a - b);
  const byPc = new Map(prog.funcInfo.map((f) => [f.pc, f]));
  env.subprogs = sorted.map(
    (start, i): SubprogInfo => ({
      start,
      end: sorted[i + 1] ?? prog.len,
      name: byPc.get(start)?.name ?? (i === 0 ? prog.name : `func#${i}`),
      linkage: i === 0 ? 'main' : prog.hasFuncInfo && byPc.get(start)?.linkage === 'global' ? 'global' : 'static',
      btfTypeId: byPc.get(start)?.btfTypeId ?? 0,
      stackDepth: 0,
      hasTailCall: false,
      hasLdAbs: false,
      tailCallReachable: false,
      isCb: false,
      changesPktData: false,
      called: false,
      writesCalleeSaved: false,
      unreliable: false,
    }),
  );
  env.subprogs.forEach((s, idx) => env.subprogOf.fill(idx, s.start, s.end));
}

/** check_subprogs: jumps stay within their subprogram; each ends with exit or ja. */
export function checkSubprogs(env: Env): void {
  const { prog } = env;
  let cur = 0;
  let start = env.subprogs[0]!.start;
  let end = env.subprogs[0]!.end;
  for (let i = 0; i < prog.len; i++) {
    const r = prog.raws[i]!;
    const code = r.code;
    if (isHelperCall(r) && r.imm === 12) {
      env.subprogs[cur]!.hasTailCall = true;
      env.subprogs[cur]!.tailCallReachable = true;
    }
    if ((code & 7) === 0 && ((code & 0xe0) === 0x20 || (code & 0xe0) === 0x40)) env.subprogs[cur]!.hasLdAbs = true;
    const cls = code & 7;
    const isJmp = cls === 5 || cls === 6;
    if (isJmp && (code & 0xf0) !== 0x80 && (code & 0xf0) !== 0x90) {
      const off = i + jmpOffset(r) + 1;
      if (off < start || off >= end) env.failAt(i, 'EINVAL', `jump out of range from insn ${i} to ${off}`);
    }
    if (i === end - 1) {
      if (code !== 0x95 && code !== 0x06 && code !== 0x05) env.failAt(null, 'EINVAL', 'last insn is not an exit or jmp');
      start = end;
      cur++;
      if (cur < env.subprogs.length) end = env.subprogs[cur]!.end;
    }
  }
}

const LDX_MEM_OK = (code: number) => (code & 0xe0) === 0x60 || (code & 0xe0) === 0x80;

/** resolve_pseudo_ldimm64: LDX reserved fields, lddw validity and map references, unknown opcodes. */
export function resolvePseudo(env: Env): void {
  const { prog } = env;
  for (let i = 0; i < prog.len; i++) {
    const r = prog.raws[i]!;
    if ((r.code & 7) === 1 && (!LDX_MEM_OK(r.code) || r.imm !== 0)) env.failAt(null, 'EINVAL', 'BPF_LDX uses reserved fields');
    if (isLdImm64(r.code)) {
      const n = i + 1 < prog.len ? prog.raws[i + 1]! : undefined;
      if (!n || n.code !== 0 || n.dst !== 0 || n.src !== 0 || n.off !== 0) env.failAt(null, 'EINVAL', 'invalid bpf_ld_imm64 insn');
      if (r.src === 0 || r.src === 4) {
        i++;
        continue;
      }
      if (r.src === 3) {
        // BPF_PSEUDO_BTF_ID: a kernel symbol by BTF id; nicsim has no kernel BTF.
        if (n.imm !== 0) env.failAt(null, 'EINVAL', 'invalid module BTF object FD specified.');
        env.failAt(null, 'EINVAL', `ldimm64 insn specifies invalid btf_id ${r.imm}.`);
      }
      const ok = r.src === 2 || r.src === 6 || ((r.src === 1 || r.src === 5) && n.imm === 0);
      if (!ok) env.failAt(null, 'EINVAL', 'unrecognized bpf_ld_imm64 insn');
      if (r.src === 1 || r.src === 2) env.failAt(null, 'EBADF', `fd ${r.imm} is not pointing to valid bpf_map`);
      const map = prog.maps[r.imm];
      if (!map) env.failAt(null, 'EINVAL', `fd_idx without fd_array is invalid`);
      if (r.src === 6) {
        // map_direct_value_addr: only an array map has it, and only with one element (-ENOTSUPP)
        const off = n.imm >>> 0;
        if (map.type !== MAP_TYPE.array) env.failAt(null, 'EINVAL', 'no direct value access support for this map type');
        if (map.maxEntries !== 1) env.failAt(null, 'ENOTSUPP', `invalid access to map value pointer, value_size=${map.valueSize} off=${off}`);
        if (off >= map.valueSize) env.failAt(null, 'EINVAL', `invalid access to map value pointer, value_size=${map.valueSize} off=${off}`);
      }
      i++;
      continue;
    }
    // Rows outside the kernel's instruction table (callx) are unknown opcodes to it.
    if (ROWS_BY_CODE[r.code]!.every((row) => row.kernel === false) && !isAtomicB(r.code))
      env.failAt(null, 'EINVAL', `unknown opcode ${r.code.toString(16).padStart(2, '0')}`);
  }
}

/** STX|ATOMIC B/H exist in the kernel's opcode table (load-acquire / store-release). */
function isAtomicB(code: number): boolean {
  return code === 0xd3 || code === 0xcb;
}

// check_cfg DFS states
const DISCOVERED = 0x10;
const EXPLORED = 0x20;
const FALLTHROUGH = 1;
const BRANCH = 2;

interface CfgWalk {
  env: Env;
  state: Int32Array;
  stack: number[];
}

function push(c: CfgWalk, t: number, w: number, e: number): number {
  const { state, stack, env } = c;
  const aux = env.aux;
  const n = env.prog.len;
  {
    if (e === FALLTHROUGH && state[t]! >= (DISCOVERED | FALLTHROUGH)) return 0;
    if (e === BRANCH && state[t]! >= (DISCOVERED | BRANCH)) return 0;
    if (w < 0 || w >= n) env.failAt(t, 'EINVAL', `jump out of range from insn ${t} to ${w}`);
    if (e === BRANCH) {
      aux[w]!.pruneP = true;
      aux[w]!.jmpP = true;
    }
    if (state[w] === 0) {
      state[t] = DISCOVERED | e;
      state[w] = DISCOVERED;
      stack.push(w);
      return 1;
    } else if ((state[w]! & 0xf0) === DISCOVERED) {
      return 0; // back-edge: allowed with CAP_BPF
    } else if (state[w] === EXPLORED) {
      state[t] = DISCOVERED | e;
    }
    return 0;
  }
}

function visit(c: CfgWalk, t: number): number {
  const env = c.env;
  const aux = env.aux;
  {
    const r = env.prog.raws[t]!;
    if (isPseudoFunc(r)) {
      // visit_func_call_insn(visit_callee = true)
      let ret = push(c, t, t + 2, FALLTHROUGH);
      if (ret) return ret;
      aux[t + 2]!.pruneP = true;
      aux[t + 2]!.jmpP = true;
      aux[t]!.pruneP = true;
      return push(c, t, t + r.imm + 1, BRANCH);
    }
    const flow = flowOf(r);
    switch (flow) {
      case 'next':
        return push(c, t, t + 1, FALLTHROUGH);
      case 'lddw':
        return push(c, t, t + 2, FALLTHROUGH);
      case 'exit':
        return 0;
      case 'call': {
        if (isHelperCall(r) && SYNC_CALLBACK_HELPERS.has(r.imm)) {
          aux[t]!.callsCallback = true;
          aux[t]!.forceCheckpoint = true;
          aux[t]!.pruneP = true;
          aux[t]!.jmpP = true;
        }
        if (isHelperCall(r) && HELPER_PROTOS[r.imm]?.changesPktData) env.subprogs[env.subprogOf[t]!]!.changesPktData = true;
        const ret = push(c, t, t + 1, FALLTHROUGH);
        if (ret) return ret;
        aux[t + 1]!.pruneP = true;
        aux[t + 1]!.jmpP = true;
        if (isPseudoCall(r)) {
          aux[t]!.pruneP = true;
          return push(c, t, t + r.imm + 1, BRANCH);
        }
        return 0;
      }
      case 'ja': {
        const w = t + jmpOffset(r) + 1;
        const ret = push(c, t, w, FALLTHROUGH);
        if (ret) return ret;
        aux[w]!.pruneP = true;
        aux[w]!.jmpP = true;
        return 0;
      }
      case 'cond': {
        aux[t]!.pruneP = true;
        if (r.code === 0xe5) aux[t]!.forceCheckpoint = true;
        const ret = push(c, t, t + 1, FALLTHROUGH);
        if (ret) return ret;
        return push(c, t, t + r.off + 1, BRANCH);
      }
    }
  }
}

/** check_cfg: iterative DFS from insn 0; marks prune and jump points. */
export function checkCfg(env: Env): void {
  const { prog } = env;
  const n = prog.len;
  const state = new Int32Array(n);
  const stack: number[] = [0];
  state[0] = DISCOVERED;
  const c: CfgWalk = { env, state, stack };

  while (stack.length > 0) {
    const t = stack[stack.length - 1]!;
    const ret = visit(c, t);
    if (ret === 0) {
      state[t] = EXPLORED;
      stack.pop();
    }
  }
  for (let i = 0; i < n; i++) {
    if (state[i] !== EXPLORED) env.failAt(i, 'EINVAL', `unreachable insn ${i}`);
    if (isLdImm64(prog.raws[i]!.code)) {
      if (state[i + 1] !== 0) env.failAt(i, 'EINVAL', `jump into the middle of ldimm64 insn ${i}`);
      i++;
    }
  }
}
