// Must-initialised registers: finds the first read of a register that is not written on every path
// to it (the kernel's "R%d !read_ok"). Calls: a helper writes r0 and clobbers r1-r5; a bpf-to-bpf
// call gives the callee the caller's r1-r5 and returns r0 with r1-r5 clobbered and r6-r9 kept.
import { type Insn, jumpTarget, type Slot } from '../isa/index.ts';
import { successors, subprograms } from './cfg.ts';

const ALL = 0x7ff;
const R10 = 1 << 10;
const CALLER_SAVED = 0b111110; // r1-r5

interface Use {
  reads: number;
  writes: number;
  clobbers: number;
}

function use(insn: Insn): Use {
  const b = (r: number) => 1 << r;
  switch (insn.kind) {
    case 'alu': {
      const movish = insn.op === 'mov' || insn.op.startsWith('movsx');
      return { reads: (movish ? 0 : b(insn.dst)) | (insn.src === 'reg' ? b(insn.sreg) : 0), writes: b(insn.dst), clobbers: 0 };
    }
    case 'end':
      return { reads: b(insn.dst), writes: b(insn.dst), clobbers: 0 };
    case 'jcond':
      return { reads: b(insn.dst) | (insn.src === 'reg' ? b(insn.sreg) : 0), writes: 0, clobbers: 0 };
    case 'call':
      return { reads: 0, writes: b(0), clobbers: CALLER_SAVED };
    case 'callx':
      return { reads: b(insn.dst), writes: b(0), clobbers: CALLER_SAVED };
    case 'exit':
      return { reads: b(0), writes: 0, clobbers: 0 };
    case 'lddw':
      return { reads: 0, writes: b(insn.dst), clobbers: 0 };
    case 'ldpkt':
      return { reads: insn.mode === 'ind' ? b(insn.sreg) : 0, writes: b(0), clobbers: CALLER_SAVED };
    case 'ldx':
      return { reads: b(insn.sreg), writes: b(insn.dst), clobbers: 0 };
    case 'st':
      return { reads: b(insn.dst), writes: 0, clobbers: 0 };
    case 'stx':
    case 'store_release':
      return { reads: b(insn.dst) | b(insn.sreg), writes: 0, clobbers: 0 };
    case 'load_acquire':
      return { reads: b(insn.sreg), writes: b(insn.dst), clobbers: 0 };
    case 'atomic': {
      const fetch = insn.op.startsWith('fetch') || insn.op === 'xchg';
      const cmp = insn.op === 'cmpxchg';
      return { reads: b(insn.dst) | b(insn.sreg) | (cmp ? b(0) : 0), writes: fetch ? b(insn.sreg) : cmp ? b(0) : 0, clobbers: 0 };
    }
    default:
      return { reads: 0, writes: 0, clobbers: 0 };
  }
}

export interface UninitRead {
  pc: number;
  reg: number;
}

/**
 * Returns the first (lowest pc) read of a possibly uninitialised register, or null.
 * `entry` is the set of registers initialised at pc 0 (bit i = ri); r10 always is.
 */
export function firstUninitRead(slots: readonly Slot[], entry: number): UninitRead | null {
  const n = slots.length;
  const inSet = new Int32Array(n).fill(-1); // -1 = not reached yet; else bitmask (intersection)
  const subs = subprograms(slots);
  const funcOf = new Int32Array(n);
  subs.forEach((s, i) => funcOf.fill(i, s.start, s.end));
  const work: number[] = [];
  const meet = (pc: number, set: number) => {
    if (pc < 0 || pc >= n) return;
    const old = inSet[pc]!;
    const next = old === -1 ? set : old & set;
    if (next !== old) {
      inSet[pc] = next;
      work.push(pc);
    }
  };
  // Return states flow from a callee's exits back to each call site's fall-through.
  const callers = new Map<number, number[]>();
  slots.forEach((insn, pc) => {
    if (insn?.kind === 'call' && insn.callee === 'local') {
      const t = jumpTarget(insn, pc);
      callers.set(t, [...(callers.get(t) ?? []), pc]);
    }
  });
  const callIn = new Map<number, number>(); // call pc -> registers initialised before the call
  meet(0, entry | R10);
  let first: UninitRead | null = null;
  while (work.length) {
    const pc = work.pop()!;
    const insn = slots[pc];
    if (!insn) continue;
    const have = inSet[pc]!;
    const u = use(insn);
    const missing = u.reads & ~have & ALL;
    if (missing) {
      const reg = 31 - Math.clz32(missing & -missing);
      if (!first || pc < first.pc) first = { pc, reg };
      continue; // stop this path here, as the kernel does
    }
    if (insn.kind === 'call' && insn.callee === 'local') {
      const t = jumpTarget(insn, pc);
      callIn.set(pc, have);
      // The callee sees only its arguments r1-r5 (and r10).
      meet(t, (have & CALLER_SAVED) | R10);
      // Returns already known from the callee's exits.
      const sub = subs[funcOf[t]!]!;
      for (let e = sub.start; e < sub.end; e++) {
        if (slots[e]?.kind === 'exit' && inSet[e] !== -1 && (inSet[e]! & 1)) meet(pc + 1, (have & ~CALLER_SAVED) | 1 | R10);
      }
      continue;
    }
    if (insn.kind === 'exit') {
      // Return to every caller of this function.
      const start = subs[funcOf[pc]!]!.start;
      for (const site of callers.get(start) ?? []) {
        const before = callIn.get(site);
        if (before === undefined) continue;
        meet(site + 1, (before & ~CALLER_SAVED) | 1 | R10);
      }
      continue;
    }
    const out = ((have & ~u.clobbers) | u.writes) & ALL;
    for (const s of successors(insn, pc)) meet(s, out);
  }
  return first;
}
