// Differential testing of the JIT against the interpreter: random verifier-accepted XDP programs
// (generated here, or the kernel-accepted random programs of test/fixtures/verifier/fuzz.json.gz,
// recorded by test/kernel/record-verifier-fuzz.py) run on random packets on both engines, each on its
// own freshly loaded object; exit kind, full r0, the packet, the redirect target, the fault (code, pc,
// message) and at the end every map must be identical. Used by test/campaigns/jit-diff.ts (long
// campaigns) and test/jit/diff.test.ts (the smoke run in npm test).
import type { ObjectSpec, ProgramSpec } from '../../offload/elf/index.ts';
import { ALU_OPS, type AluOp, ATOMIC_OPS, encodeProgram, type Insn, JMP_CONDS, type Slot } from '../../offload/isa/index.ts';
import { verifyProgram } from '../../offload/verifier/index.ts';
import { EXIT, type Engine } from '../../firmware/engine.ts';
import { type BatchEngine, compileJit, jitEngine, mapBoundsOf } from '../../firmware/jit/engine.ts';
import { accessProofs, type AccessProofs } from '../../firmware/jit/proofs.ts';
import { S_STATUS } from '../../firmware/state.ts';
import { interpreter } from '../../firmware/vm/engine.ts';
import { coreFor, loadForRun } from '../../nic/runtime/load.ts';
import { dumpMaps } from '../../nic/runtime/test-run.ts';
import { fuzzObject, type FuzzFixture, rawXdpProgram } from '../verifier/fuzz-fixture.ts';

/** A small seeded PRNG (xorshift32). */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  u32(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  int(n: number): number {
    return this.u32() % n;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  imm(): number {
    switch (this.int(4)) {
      case 0:
        return this.int(16) - 8;
      case 1:
        return this.pick([0, 1, -1, 0x7fffffff, -0x80000000, 0xff, 0xffff, 63, 64, 32]) | 0;
      default:
        return this.u32() | 0;
    }
  }
}

const SCALARS = [0, 5, 7, 8, 9];
const PKT = 40; // bytes the generated programs check and then access
type Item = { insn: Insn; target?: number };

/** A random XDP program: a packet bounds check, then ALU, packet, stack and atomic instructions, forward jumps and a bounded loop. */
export function randomProgram(rng: Rng): Slot[] {
  const items: Item[] = [];
  const add = (insn: Insn, target?: number) => items.push(target === undefined ? { insn } : { insn, target });
  // r2 = data, r3 = data_end; if r2 + PKT > r3 -> out (r0 = 1).
  add({ kind: 'ldx', size: 4, sx: false, dst: 2, sreg: 1, off: 0 });
  add({ kind: 'ldx', size: 4, sx: false, dst: 3, sreg: 1, off: 4 });
  add({ kind: 'alu', op: 'mov', width: 64, src: 'reg', dst: 4, sreg: 2, imm: 0 });
  add({ kind: 'alu', op: 'add', width: 64, src: 'imm', dst: 4, sreg: 0, imm: PKT });
  const check = items.length;
  add({ kind: 'jcond', op: 'jgt', width: 64, src: 'reg', dst: 4, sreg: 3, imm: 0, off: 0 }, -1);
  for (const r of SCALARS) {
    if (rng.int(3) === 0) add({ kind: 'lddw', dst: r, pseudo: 0, imm: rng.imm(), imm2: rng.imm() });
    else add({ kind: 'alu', op: 'mov', width: rng.pick([32, 64] as const), src: 'imm', dst: r, sreg: 0, imm: rng.imm() });
  }
  const written = new Set<number>();
  const n = 8 + rng.int(40);
  const loopAt = rng.int(3) === 0 ? items.length : -1;
  if (loopAt >= 0) add({ kind: 'alu', op: 'mov', width: 64, src: 'imm', dst: 6, sreg: 0, imm: 1 + rng.int(5) });
  const bodyStart = items.length;
  const pendingJumps: number[] = [];
  for (let i = 0; i < n; i++) {
    const d = rng.pick(SCALARS);
    const s = rng.pick(SCALARS);
    switch (rng.int(10)) {
      case 0:
      case 1:
      case 2: {
        let op: AluOp = rng.pick(ALU_OPS);
        const width = rng.pick([32, 64] as const);
        if (op === 'movsx32' && width === 32) op = 'movsx16';
        const src = op === 'neg' || op.startsWith('movsx') ? (op === 'neg' ? 'imm' : 'reg') : rng.pick(['imm', 'reg'] as const);
        let imm = src === 'imm' && op !== 'neg' ? rng.imm() : 0;
        if (src === 'imm' && (op === 'lsh' || op === 'rsh' || op === 'arsh')) imm = rng.int(width);
        if (src === 'imm' && (op === 'div' || op === 'sdiv' || op === 'mod' || op === 'smod') && imm === 0) imm = 3;
        add({ kind: 'alu', op, width, src, dst: d, sreg: src === 'reg' ? s : 0, imm });
        break;
      }
      case 3:
        add({ kind: 'end', op: rng.pick(['le', 'be', 'bswap'] as const), bits: rng.pick([16, 32, 64] as const), dst: d });
        break;
      case 4: {
        const size = rng.pick([1, 2, 4, 8] as const);
        add({ kind: 'ldx', size, sx: size !== 8 && rng.int(2) === 0, dst: d, sreg: 2, off: rng.int(PKT - size + 1) });
        break;
      }
      case 5: {
        const size = rng.pick([1, 2, 4, 8] as const);
        const off = rng.int(PKT - size + 1);
        if (rng.int(2)) add({ kind: 'stx', size, dst: 2, sreg: s, off });
        else add({ kind: 'st', size, dst: 2, off, imm: rng.imm() });
        break;
      }
      case 6: {
        const slot = 1 + rng.int(6);
        add({ kind: 'stx', size: 8, dst: 10, sreg: s, off: -8 * slot });
        written.add(slot);
        break;
      }
      case 7: {
        if (!written.size) break;
        const slot = rng.pick([...written]);
        if (rng.int(2)) {
          const size = rng.pick([1, 2, 4, 8] as const);
          add({ kind: 'ldx', size, sx: size !== 8 && rng.int(2) === 0, dst: d, sreg: 10, off: -8 * slot + rng.int(9 - size) });
        } else {
          const op = rng.pick(ATOMIC_OPS);
          const size = rng.pick([4, 8] as const);
          add({ kind: 'atomic', op, size, dst: 10, sreg: s === 0 ? 5 : s, off: -8 * slot + (size === 4 ? 4 * rng.int(2) : 0) });
        }
        break;
      }
      default: {
        // A forward jump to a later body instruction (resolved below).
        const width = rng.pick([32, 64] as const);
        const src = rng.pick(['imm', 'reg'] as const);
        pendingJumps.push(items.length);
        add({ kind: 'jcond', op: rng.pick(JMP_CONDS), width, src, dst: d, sreg: src === 'reg' ? s : 0, imm: src === 'imm' ? rng.imm() : 0, off: 0 }, -2);
      }
    }
  }
  const bodyEnd = items.length;
  for (const j of pendingJumps) items[j]!.target = j + 1 + rng.int(bodyEnd - j);
  if (loopAt >= 0) {
    add({ kind: 'alu', op: 'sub', width: 64, src: 'imm', dst: 6, sreg: 0, imm: 1 });
    add({ kind: 'jcond', op: 'jne', width: 64, src: 'imm', dst: 6, sreg: 0, imm: 0, off: 0 }, bodyStart);
  }
  add({ kind: 'exit' });
  const out = items.length;
  add({ kind: 'alu', op: 'mov', width: 64, src: 'imm', dst: 0, sreg: 0, imm: 1 });
  add({ kind: 'exit' });
  items[check]!.target = out;
  // Layout: instruction index -> pc.
  const pcOf: number[] = [];
  let pc = 0;
  for (const it of items) {
    pcOf.push(pc);
    pc += it.insn.kind === 'lddw' ? 2 : 1;
  }
  pcOf.push(pc);
  const slots: Slot[] = [];
  items.forEach((it, i) => {
    let insn = it.insn;
    if (it.target !== undefined && insn.kind === 'jcond') insn = { ...insn, off: pcOf[it.target]! - pcOf[i]! - 1 };
    slots.push(insn);
    if (insn.kind === 'lddw') slots.push(null);
  });
  return slots;
}

/** An object holding one raw XDP program (and the fixture's maps when given). */
export function objectOf(bytes: Uint8Array, fx?: FuzzFixture): ObjectSpec {
  const base = fx ? fuzzObject(fx) : ({ name: 'gen', license: 'GPL', maps: [], programs: [], btf: undefined } as unknown as ObjectSpec);
  return { ...base, programs: [rawXdpProgram(bytes, 'prog')] } as ObjectSpec;
}

/** nicsim's verifier (privileged, as the kernel was asked): the entry frame's stack depth, or null if rejected. */
export function verifiedDepth(spec: ObjectSpec): number | null {
  return verified(spec)?.depth ?? null;
}

/** The verifier's entry stack depth and access proofs (what test-run gives the JIT), or null if rejected. */
export function verified(spec: ObjectSpec): { depth: number; proofs: AccessProofs } | null {
  const v = verifyProgram(spec, spec.programs[0] as ProgramSpec);
  if (!v.accepted) return null;
  return { depth: v.facts?.subprogs[0]?.stackDepth ?? 512, proofs: v.facts ? accessProofs(v.facts) : [] };
}

export function randomPacket(rng: Rng): Uint8Array {
  const p = new Uint8Array(14 + rng.int(120));
  for (let i = 0; i < p.length; i++) p[i] = rng.int(4) === 0 ? 0 : rng.u32() & 0xff;
  return p;
}

/**
 * What one packet did on one engine, run `repeat` times on the same buffer: one run after the other
 * (the interpreter), or one batch call (the JIT's runBatch, test_run's repeat loop) when `batch`.
 */
function outcome(core: ReturnType<typeof coreFor>, engine: Engine | BatchEngine, id: number, repeat: number, batch: boolean): string {
  let k: number = EXIT.exit;
  if (batch && 'runBatch' in engine) {
    const done = engine.runBatch(core, id, repeat);
    if (done < repeat) k = core.blocks.state.words[S_STATUS]!;
  } else for (let i = 0; i < repeat && k === EXIT.exit; i++) k = engine.run(core, id);
  const f = core.fault;
  const lo = core.blocks.state.lo;
  const hi = core.blocks.state.hi;
  const fault = k === EXIT.fault && f ? `${f.faultCode}@${f.pc}:${f.reason}` : '';
  const r0 = k === EXIT.exit ? `${(hi[0]! >>> 0).toString(16)}:${(lo[0]! >>> 0).toString(16)}` : '';
  return `${k} ${r0} ${fault} ${Buffer.from(core.buf.output()).toString('hex')} ${JSON.stringify(core.redirect)}`;
}

/**
 * One run of program 0 of `spec` on `packet` on each engine, on two fresh loads (one core each, with
 * `budget` when given); the JIT must compile it. The tests compare what they need of the result.
 */
export function runOnBoth(spec: ObjectSpec, packet: Uint8Array, budget?: number) {
  const objI = loadForRun(spec, { cpus: 1 });
  const objJ = loadForRun(spec, { cpus: 1 });
  const coreI = coreFor(objI, 0);
  const coreJ = coreFor(objJ, 0);
  if (budget !== undefined) coreI.budget = coreJ.budget = budget;
  const jit = jitEngine(compileJit(objJ.programs, mapBoundsOf(coreJ)));
  if (jit.code.unsupported) throw new Error(`the JIT cannot compile the program: ${jit.code.unsupported}`);
  coreI.buf.reset(packet);
  coreJ.buf.reset(packet);
  const id = objI.programs[0]!.id;
  const ki = interpreter.run(coreI, id);
  const kj = jit.run(coreJ, id);
  return { objI, objJ, coreI, coreJ, ki, kj, jit };
}

export interface Difference {
  program: string;
  packet: number;
  interp: string;
  jit: string;
}

/**
 * Runs `bytes` on `packets` on both engines; returns the first difference, or null. `unsupported`
 * is set when the JIT could not compile the program (it then ran on the interpreter). With `proofs`
 * (the verifier's, as test-run passes them) the JIT relies on them.
 */
export function compareEngines(spec: ObjectSpec, depth: number, packets: readonly Uint8Array[], proofs?: AccessProofs): { diff: Difference | null; unsupported: string | null } {
  const depths = new Map([['prog', depth]]);
  const objI = loadForRun(spec, { cpus: 1, stackDepths: depths });
  const objJ = loadForRun(spec, { cpus: 1, stackDepths: depths, ...(proofs ? { accessProofs: new Map([['prog', proofs]]) } : {}) });
  const coreI = coreFor(objI, 0);
  const coreJ = coreFor(objJ, 0);
  const id = objI.programs[0]!.id;
  const jit = jitEngine(compileJit(objJ.programs, mapBoundsOf(coreJ)));
  const hex = Buffer.from(spec.programs[0]!.insns).toString('hex');
  for (let i = 0; i < packets.length; i++) {
    coreI.buf.reset(packets[i]!);
    coreJ.buf.reset(packets[i]!);
    // Every other packet twice on the same buffer, the JIT's runs of it as one batch.
    const repeat = 1 + (i % 2);
    const a = outcome(coreI, interpreter, id, repeat, false);
    const b = outcome(coreJ, jit, id, repeat, true);
    if (a !== b) return { diff: { program: hex, packet: i, interp: a, jit: b }, unsupported: jit.code.unsupported };
  }
  const mi = JSON.stringify(dumpMaps(objI));
  const mj = JSON.stringify(dumpMaps(objJ));
  if (mi !== mj) return { diff: { program: hex, packet: -1, interp: mi, jit: mj }, unsupported: jit.code.unsupported };
  return { diff: null, unsupported: jit.code.unsupported };
}

export interface CampaignResult {
  programs: number;
  rejected: number;
  unsupported: number;
  packets: number;
  differences: Difference[];
}

/** `count` programs from `seed`: every other one generated, the rest from the kernel-accepted fixture programs. */
export function campaign(seed: number, count: number, fx: FuzzFixture | null, packetsPer = 4): CampaignResult {
  const rng = new Rng(seed);
  const accepted = fx ? fx.programs.filter((p) => p[1][0]).map((p) => Uint8Array.from(Buffer.from(p[0], 'hex'))) : [];
  const res: CampaignResult = { programs: 0, rejected: 0, unsupported: 0, packets: 0, differences: [] };
  for (let i = 0; i < count; i++) {
    const fromFixture = accepted.length > 0 && i % 2 === 1;
    const bytes = fromFixture ? accepted[rng.int(accepted.length)]! : encodeProgram(randomProgram(rng));
    const spec = objectOf(bytes, fromFixture ? fx! : undefined);
    const v = verified(spec);
    if (v === null) {
      res.rejected++;
      continue;
    }
    const packets = Array.from({ length: packetsPer }, () => randomPacket(rng));
    const r = compareEngines(spec, v.depth, packets, v.proofs);
    res.programs++;
    res.packets += packets.length;
    if (r.unsupported) res.unsupported++;
    if (r.diff) res.differences.push(r.diff);
  }
  return res;
}
