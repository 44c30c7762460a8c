// Structured control flow for one eBPF function: basic blocks, reverse postorder, dominators, and
// the recursive translation of a reducible graph into Wasm's block / loop / if nesting (N. Ramsey,
// "Beyond Relooper", ICFP 2022): a dominator-tree child reached by two or more forward edges (a
// merge node) follows a `block` opened around its dominator's code, a back-edge target is a `loop`,
// every other child is emitted inline. A graph with a retreating edge whose target does not dominate
// its source is irreducible: `structure` throws JitUnsupported and the program stays on the interpreter.
import { type Insn, jumpTarget, type Slot } from '../../offload/isa/index.ts';

/** Why a program cannot be compiled (it then runs on the interpreter, and the run says why). */
export class JitUnsupported extends Error {
  readonly pc: number;
  constructor(reason: string, pc: number) {
    super(`${reason} (pc ${pc})`);
    this.name = 'JitUnsupported';
    this.pc = pc;
  }
}

/** How a basic block ends. */
export type Terminator =
  | { kind: 'fall'; to: number } // falls (or ja's) into block `to`
  | { kind: 'cond'; insn: Insn; pc: number; taken: number; fall: number } // jcond / may_goto at pc
  | { kind: 'exit'; pc: number }
  | { kind: 'falloff'; pc: number }; // execution runs past the function's last slot

export interface Block {
  id: number;
  /** First pc and one past the last pc of the block's body (the terminator's jump, if any, excluded). */
  start: number;
  end: number;
  /** Instructions the block executes, its terminator included (the budget it costs). */
  count: number;
  term: Terminator;
}

/** Instructions that end a basic block after themselves (so block-level budget accounting stays exact). */
export function endsBlock(insn: Insn): boolean {
  return insn.kind === 'call' || insn.kind === 'ldpkt';
}

/** Splits [start, end) of `slots` into basic blocks (also starting at `extraLeaders`). Jumps leaving the range are unsupported. */
export function basicBlocks(slots: readonly Slot[], start: number, end: number, extraLeaders: readonly number[] = []): Block[] {
  const leaders = new Set<number>([start, ...extraLeaders]);
  for (let pc = start; pc < end; pc++) {
    const insn = slots[pc];
    if (!insn) continue;
    const next = pc + (insn.kind === 'lddw' ? 2 : 1);
    switch (insn.kind) {
      case 'ja':
      case 'gotol':
      case 'jcond':
      case 'may_goto': {
        const t = jumpTarget(insn, pc);
        if (t < start || t >= end) throw new JitUnsupported(`jump from pc ${pc} leaves its function [${start}, ${end})`, pc);
        leaders.add(t);
        leaders.add(next);
        break;
      }
      case 'exit':
        leaders.add(next);
        break;
      default:
        if (endsBlock(insn)) leaders.add(next);
    }
  }
  const starts = [...leaders].filter((p) => p >= start && p <= end).sort((a, b) => a - b);
  if (starts[starts.length - 1] !== end) starts.push(end);
  const idOf = new Map<number, number>();
  starts.slice(0, -1).forEach((s, i) => idOf.set(s, i));
  const blocks: Block[] = [];
  for (let i = 0; i + 1 < starts.length; i++) {
    const s = starts[i]!;
    const e = starts[i + 1]!;
    // The last instruction of the block (skip an lddw's second slot).
    let last = e - 1;
    if (slots[last] === null) last--;
    const insn = slots[last]!;
    const nextBlock = e < end ? idOf.get(e)! : -1;
    const fallTo = (pc: number): Terminator => {
      if (nextBlock >= 0) return { kind: 'fall', to: nextBlock };
      // Past a subprogram's end the interpreter runs into the next one: only the last may fall off.
      if (end !== slots.length) throw new JitUnsupported('execution falls into the next function', last);
      return { kind: 'falloff', pc };
    };
    let term: Terminator;
    let bodyEnd = e;
    switch (insn.kind) {
      case 'ja':
      case 'gotol':
        term = { kind: 'fall', to: idOf.get(jumpTarget(insn, last))! };
        bodyEnd = last;
        break;
      case 'jcond':
      case 'may_goto': {
        const taken = idOf.get(jumpTarget(insn, last))!;
        if (nextBlock < 0) throw new JitUnsupported('conditional jump falls off the end of its function', last);
        if (taken === nextBlock) {
          // A jump to its own fall-through only falls through; may_goto stays in the body (its counter counts).
          term = { kind: 'fall', to: nextBlock };
          if (insn.kind === 'jcond') bodyEnd = last;
        } else {
          term = { kind: 'cond', insn, pc: last, taken, fall: nextBlock };
          bodyEnd = last;
        }
        break;
      }
      case 'exit':
        term = { kind: 'exit', pc: last };
        bodyEnd = last;
        break;
      default:
        term = fallTo(e);
    }
    let count = 0;
    for (let pc = s; pc < e; pc++) if (slots[pc]) count++;
    blocks.push({ id: i, start: s, end: bodyEnd, count, term });
  }
  return blocks;
}

export function succs(b: Block): number[] {
  switch (b.term.kind) {
    case 'fall':
      return [b.term.to];
    case 'cond':
      return b.term.taken === b.term.fall ? [b.term.fall] : [b.term.taken, b.term.fall];
    case 'exit':
    case 'falloff':
      return [];
  }
}

/** What the emitter does at each step of the structured walk. */
export interface StructureSink {
  /** The body of block b (its terminator excluded). */
  body(b: Block): void;
  /** Pushes the condition of a 'cond' terminator (i32: non-zero = jump taken). */
  condition(b: Block): void;
  /** The function's exit at the 'exit' terminator, or the fall-off fault. */
  leave(b: Block): void;
  open(kind: 'block' | 'loop' | 'if'): void;
  else(): void;
  close(): void;
  br(depth: number): void;
}

type Frame = { kind: 'block'; follow: number } | { kind: 'loop'; header: number } | { kind: 'if' };

/** Walks the blocks (entry = block 0) in structured order, calling `sink`. */
export function structure(blocks: readonly Block[], sink: StructureSink): void {
  const n = blocks.length;
  const succ = blocks.map(succs);
  // Reverse postorder from the entry (iterative DFS).
  const rpo = new Array<number>(n).fill(-1);
  const order: number[] = [];
  const seen = new Uint8Array(n);
  const stack: [number, number][] = [[0, 0]];
  seen[0] = 1;
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const ss = succ[top[0]]!;
    if (top[1] < ss.length) {
      const s = ss[top[1]++]!;
      if (!seen[s]) {
        seen[s] = 1;
        stack.push([s, 0]);
      }
    } else {
      order.push(top[0]);
      stack.pop();
    }
  }
  order.reverse();
  order.forEach((b, i) => (rpo[b] = i));
  const preds: number[][] = blocks.map(() => []);
  for (const b of order) for (const s of succ[b]!) preds[s]!.push(b);
  // Dominators (Cooper, Harvey, Kennedy).
  const idom = new Array<number>(n).fill(-1);
  idom[0] = 0;
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while (rpo[a]! > rpo[b]!) a = idom[a]!;
      while (rpo[b]! > rpo[a]!) b = idom[b]!;
    }
    return a;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (const b of order) {
      if (b === 0) continue;
      let d = -1;
      for (const p of preds[b]!) if (idom[p] !== -1) d = d === -1 ? p : intersect(p, d);
      if (d !== idom[b]) {
        idom[b] = d;
        changed = true;
      }
    }
  }
  const dominates = (a: number, b: number): boolean => {
    for (let x = b; ; x = idom[x]!) {
      if (x === a) return true;
      if (x === 0) return a === 0;
    }
  };
  const loopHeader = new Uint8Array(n);
  const forwardIn = new Uint16Array(n);
  for (const b of order)
    for (const s of succ[b]!) {
      if (rpo[s]! <= rpo[b]!) {
        if (!dominates(s, b)) throw new JitUnsupported('irreducible control flow', blocks[s]!.start);
        loopHeader[s] = 1;
      } else forwardIn[s]++;
    }
  const children: number[][] = blocks.map(() => []);
  for (const b of order) if (b !== 0) children[idom[b]!]!.push(b);
  const isMerge = (b: number) => forwardIn[b]! >= 2;

  const ctx: Frame[] = [];
  const depthOf = (pred: (f: Frame) => boolean): number => {
    for (let i = ctx.length - 1; i >= 0; i--) if (pred(ctx[i]!)) return ctx.length - 1 - i;
    throw new Error('structure: branch target not in scope');
  };
  const doBranch = (from: number, to: number): void => {
    if (rpo[to]! <= rpo[from]!) sink.br(depthOf((f) => f.kind === 'loop' && f.header === to));
    else if (isMerge(to)) sink.br(depthOf((f) => f.kind === 'block' && f.follow === to));
    else doTree(to);
  };
  const nodeWithin = (x: number, ys: number[]): void => {
    if (ys.length) {
      const [y, ...rest] = ys as [number, ...number[]];
      sink.open('block');
      ctx.push({ kind: 'block', follow: y });
      nodeWithin(x, rest);
      ctx.pop();
      sink.close();
      doTree(y);
      return;
    }
    const b = blocks[x]!;
    sink.body(b);
    const t = b.term;
    switch (t.kind) {
      case 'fall':
        doBranch(x, t.to);
        return;
      case 'cond':
        sink.condition(b);
        sink.open('if');
        ctx.push({ kind: 'if' });
        doBranch(x, t.taken);
        sink.else();
        doBranch(x, t.fall);
        ctx.pop();
        sink.close();
        return;
      case 'exit':
      case 'falloff':
        sink.leave(b);
        return;
    }
  };
  function doTree(x: number): void {
    // Merge children, the one laid out last (highest rpo) outermost.
    const ys = children[x]!.filter(isMerge).sort((a, b) => rpo[b]! - rpo[a]!);
    if (loopHeader[x]) {
      sink.open('loop');
      ctx.push({ kind: 'loop', header: x });
      nodeWithin(x, ys);
      ctx.pop();
      sink.close();
    } else nodeWithin(x, ys);
  }
  doTree(0);
}

/**
 * Budget checkpoints of an acyclic function: for each block id, the most instructions any path from
 * its start to an exit can execute, and whether the block is a checkpoint (the function's first block,
 * or a block some predecessor reaches after a call or LD_ABS, which may have spent budget). Once a
 * checkpoint's check passes, no block before the next checkpoint can run out, so those blocks are
 * charged without a check. null when the graph has a cycle (every block keeps its own check).
 */
export function budgetPlan(blocks: readonly Block[], slots: readonly Slot[]): { longest: Map<number, number>; checkpoint: Set<number> } | null {
  const byId = new Map(blocks.map((b) => [b.id, b]));
  const longest = new Map<number, number>();
  const onPath = new Set<number>();
  const visit = (id: number): number | null => {
    const done = longest.get(id);
    if (done !== undefined) return done;
    if (onPath.has(id)) return null;
    const b = byId.get(id);
    if (!b) return null;
    onPath.add(id);
    let most = 0;
    for (const s of succs(b)) {
      const n = visit(s);
      if (n === null) return null;
      most = Math.max(most, n);
    }
    onPath.delete(id);
    longest.set(id, b.count + most);
    return b.count + most;
  };
  if (blocks.length === 0) return null;
  for (const b of blocks) if (visit(b.id) === null) return null;
  const first = blocks.reduce((a, b) => (b.start < a.start ? b : a));
  const checkpoint = new Set<number>([first.id]);
  for (const b of blocks) {
    let spends = false;
    for (let pc = b.start; pc < b.end; pc++) {
      const insn = slots[pc];
      if (insn && endsBlock(insn)) spends = true;
    }
    if (spends) for (const s of succs(b)) checkpoint.add(s);
  }
  return { longest, checkpoint };
}
