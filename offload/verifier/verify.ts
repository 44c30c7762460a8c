// The verifier's entry point (bpf_check): the whole-program checks in the kernel's order, the path
// walk of the main program and of every called global function, the combined stack depth check,
// then the result: verdict, kernel-style error with its instruction and source line, and facts.
import { HELPER_PROTOS } from '../../firmware/helpers/protos.ts';
import { InputError } from '../errors.ts';
import type { ObjectSpec, ProgramSpec } from '../elf/index.ts';
import { programView } from './cfg/program.ts';
import { checkCfg, checkSubprogs, findSubprogs, resolvePseudo } from './cfg/prepass.ts';
import { computeLiveRegs } from './cfg/liveness.ts';
import { isPseudoCall, isPseudoFunc } from './cfg/raw.ts';
import { computeSccs } from './cfg/scc.ts';
import { insnText } from './cfg/text.ts';
import { initFrame } from './check/calls.ts';
import { Env, type Privileges } from './check/env.ts';
import { VerifierFail } from './check/fail.ts';
import { globalProto } from './check/globalargs.ts';
import { markKnownZero, markUnknown } from './domain/bounds.ts';
import { F, T, typeStr } from './domain/reg.ts';
import { doCheck } from './explore.ts';
import { logInsnText } from './check/logtext.ts';
import { FactsCollector } from './facts.ts';
import { familyOf } from './families.ts';
import { VState } from './state/state.ts';
import type { HelperCallFacts, ProgramFacts, SubprogFacts, VerifyError, VerifyOptions, VerifyResult } from './types.ts';

export const BPF_COMPLEXITY_LIMIT_INSNS = 1_000_000;

const ROOT: Privileges = { bpfCapable: true, allowPtrLeaks: true, allowUninitStack: true, bypassSpecV1: true, bypassSpecV4: true };
/** CAP_BPF + CAP_NET_ADMIN without CAP_PERFMON. */
const UNPRIV: Privileges = { bpfCapable: true, allowPtrLeaks: false, allowUninitStack: false, bypassSpecV1: false, bypassSpecV4: false };

/** compute_live_registers' level-2 dump: SCC, live registers before each instruction, the text. */
function logLiveRegs(env: Env): void {
  env.log.trace2('Live regs before insn:');
  for (let i = 0; i < env.prog.len; i++) {
    if (!env.prog.slots[i]) continue;
    const scc = env.sccOf[i]!;
    let live = '';
    for (let r = 0; r < 10; r++) live += env.liveRegs[i]! & (1 << r) ? String(r) : '.';
    env.log.trace2(`${scc ? `${String(scc).padStart(3)} ` : '    '}${String(i).padStart(3)}: ${live} ${logInsnText(env, i)}`);
  }
}

/** do_check_common: the initial state of the main program or of a global function, then the walk. */
function doCheckCommon(env: Env, subprog: number): void {
  env.explored = new Array(env.prog.len);
  env.sccVisits.clear();
  env.stack = [];
  const sp = env.subprogs[subprog]!;
  const st = new VState([initFrame(-1, 0, subprog)]);
  st.firstInsnIdx = sp.start;
  st.lastInsnIdx = -1;
  const regs = st.frames[0]!.regs;
  if (subprog) {
    env.verbose(`Validating ${sp.name}() func#${subprog}...`);
    const proto = env.prog.btf && sp.btfTypeId ? globalProto(env.prog.btf, sp.btfTypeId) : { name: sp.name, args: [] };
    proto.args.forEach((a, i) => {
      const r = regs[i + 1]!;
      if (a.kind === 'scalar') {
        r.type = T.SCALAR;
        markUnknown(r, false);
      } else if (a.kind === 'ctx') {
        r.type = T.CTX;
        markKnownZero(r);
        r.type = T.CTX;
      } else if (a.kind === 'mem') {
        markKnownZero(r);
        r.type = T.MEM | F.MAYBE_NULL;
        r.memSize = a.size;
        r.id = env.newId();
      } else {
        env.failAt(null, 'EINVAL', `Arg#${i} type ${a.what} in ${sp.name}() is not supported yet.`);
      }
    });
  } else {
    const r1 = regs[1]!;
    markKnownZero(r1);
    r1.type = T.CTX;
  }
  env.cur = st;
  env.insnIdx = sp.start;
  env.verifyingSubprog = subprog;
  doCheck(env);
  env.log.clearTrace();
}

/** do_check_subprogs: every global function some verified code calls, until none is left. */
function doCheckSubprogs(env: Env): void {
  if (!env.prog.hasFuncInfo) return;
  const verified = new Set<number>();
  for (;;) {
    let n = 0;
    for (let i = 1; i < env.subprogs.length; i++) {
      const sp = env.subprogs[i]!;
      if (sp.linkage !== 'global' || !sp.called || verified.has(i)) continue;
      doCheckCommon(env, i);
      env.log.trace(`Func#${i} ('${sp.name}') is safe for any args that match its prototype`);
      verified.add(i);
      n++;
    }
    if (!n) return;
  }
}

/** round_up_stack_depth with a JIT: 16-byte granularity. */
function roundStack(d: number): number {
  return Math.ceil(d / 16) * 16;
}

/** check_max_stack_depth: the deepest chain of bpf-to-bpf calls must fit in 512 bytes. */
function checkMaxStackDepth(env: Env): void {
  const { subprogs, prog } = env;
  const callees: number[][] = subprogs.map((sp) => {
    const out: number[] = [];
    for (let i = sp.start; i < sp.end; i++) {
      const r = prog.raws[i]!;
      if (prog.slots[i] && (isPseudoCall(r) || isPseudoFunc(r))) out.push(env.subprogOf[i + r.imm + 1]!);
    }
    return out;
  });
  // Walk every call chain from the main program (the kernel's iterative DFS, as recursion here).
  const walk = (idx: number, depth: number, frame: number, chain: number[]): void => {
    if (idx && subprogs[idx]!.hasTailCall && depth >= 256)
      env.failAt(null, 'EACCES', `tail_calls are not allowed when call stack of previous frames is ${depth} bytes. Too large`);
    depth += roundStack(subprogs[idx]!.stackDepth);
    if (depth > 512) env.failAt(null, 'EACCES', `combined stack size of ${frame + 1} calls is ${depth}. Too large`);
    for (const c of callees[idx]!) {
      if (subprogs[c]!.isCb && isAsyncCb(env, c)) continue;
      if (frame + 1 >= 8) env.failAt(null, 'E2BIG', `the call stack of ${frame + 1} frames is too deep !`);
      if (subprogs[c]!.hasTailCall) for (const p of [...chain, idx]) subprogs[p]!.tailCallReachable = true;
      walk(c, depth, frame + 1, [...chain, idx]);
    }
  };
  walk(0, 0, 0, []);
}

function isAsyncCb(_env: Env, _subprog: number): boolean {
  return false;
}

function privileges(opts: VerifyOptions): Privileges {
  return opts.unprivileged ? UNPRIV : ROOT;
}

function buildFacts(env: Env): ProgramFacts {
  const { prog } = env;
  const col = env.facts!;
  const insns = Array.from({ length: prog.len }, (_, pc) => col.insnFacts(pc, env.subprogOf[pc]!, env.aux[pc]!.zextDst));
  const calls: ProgramFacts['calls'] = [];
  const helperCalls: HelperCallFacts[] = [];
  const maps = new Set<number>();
  for (let pc = 0; pc < prog.len; pc++) {
    const s = prog.slots[pc];
    if (!s) continue;
    const r = s.raw;
    if (isPseudoCall(r) || isPseudoFunc(r)) {
      calls.push({ pc, caller: env.subprogOf[pc]!, callee: env.subprogOf[pc + r.imm + 1]!, kind: isPseudoCall(r) ? 'bpf' : 'callback' });
    }
    if (r.code === 0x18 && (r.src === 5 || r.src === 6)) maps.add(r.imm);
    if (s.insn.kind === 'call' && s.insn.callee === 'helper') {
      const f = insns[pc];
      if (!f) continue;
      const proto = HELPER_PROTOS[s.insn.imm];
      const n = proto?.args.length ?? 0;
      const args = [1, 2, 3, 4, 5].map((i) => (i <= n ? (f.regs[i] ?? null) : null));
      const mapArg = proto?.args.findIndex((a) => a.type === 'const_map_ptr') ?? -1;
      helperCalls.push({ pc, id: s.insn.imm, name: proto?.name ?? `unknown#${s.insn.imm}`, args, map: mapArg >= 0 ? (args[mapArg]?.map ?? null) : null });
    }
  }
  const subprogs: SubprogFacts[] = env.subprogs.map((sp, index) => {
    let writes = false;
    for (let i = sp.start; i < sp.end; i++) {
      const s = prog.slots[i];
      if (!s) continue;
      const k = s.insn.kind;
      if ((k === 'alu' || k === 'end' || k === 'ldx' || k === 'lddw' || k === 'load_acq') && s.insn.dst >= 6 && s.insn.dst <= 9) writes = true;
      if (k === 'atomic' && s.insn.sreg >= 6 && s.insn.sreg <= 9 && (s.insn.op === 'xchg' || s.insn.op === 'cmpxchg' || s.insn.op.startsWith('fetch_'))) writes = true;
    }
    return {
      index,
      start: sp.start,
      end: sp.end,
      name: sp.name,
      linkage: sp.linkage,
      stackDepth: sp.stackDepth,
      callees: [...new Set(calls.filter((c) => c.caller === index).map((c) => c.callee))],
      writesCalleeSaved: writes,
      hasTailCall: sp.hasTailCall,
    };
  });
  const exits = [...col.exits.entries()].sort((a, b) => a[0] - b[0]).map(([pc, r0]) => ({ pc, r0: r0.toJSON() }));
  const innerMaps = prog.innerOf.flatMap((index, outer) => (index >= 0 ? [{ index, outer }] : []));
  return { insns, subprogs, calls, helperCalls, exits, maxPktOffset: env.maxPktOffset, mapsUsed: [...maps].sort((a, b) => a - b), innerMaps };
}

function errorOf(env: Env, e: VerifierFail): VerifyError {
  const messages = env.log.messages;
  const message = lastErrorLine(messages);
  const pc = e.pc;
  const slot = pc !== null && pc >= 0 && pc < env.prog.len ? env.prog.slots[pc] : null;
  const li = pc !== null && pc >= 0 && pc < env.prog.len ? env.lineAt(pc) : null;
  const regs = env.cur?.frames[env.cur.curframe]?.regs;
  const code = familyOf(message, {
    insnKind: slot ? slot.insn.kind : null,
    helperId: slot && slot.insn.kind === 'call' && slot.insn.callee === 'helper' ? slot.insn.imm : null,
    regTypes: regs ? regs.map((r) => typeStr(r.type)) : [],
    regVarOffs: regs ? regs.map((r) => r.type !== T.SCALAR && r.var.mask !== 0n) : [],
    subprogs: env.subprogs.length,
  });
  return {
    pc,
    code,
    message,
    insn: slot && pc !== null ? insnText(slot.insn, slot.raw, pc) : null,
    source: li ? { file: li.file.replace(/^.*\//, ''), line: li.line, col: li.col, text: li.text } : null,
    errno: e.errno,
  };
}

/** The kernel's final error line: the last message, skipping state dumps after it. */
function lastErrorLine(messages: string[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.startsWith('cur state:') || m.startsWith('old state:')) continue;
    const lines = m.split('\n');
    return lines[lines.length - 1]!;
  }
  return '';
}

/** Verify one program of an object. */
export function verifyProgram(spec: ObjectSpec, program: ProgramSpec | string, opts: VerifyOptions = {}): VerifyResult {
  const t0 = performance.now();
  const prog = typeof program === 'string' ? spec.programs.find((p) => p.name === program) : program;
  if (!prog) throw new InputError('verify.no_program', `no program named '${String(program)}' in the object`, { file: spec.name });
  // bpf_prog_load refuses these before the verifier runs
  if (prog.insns.length % 8) throw new InputError('isa.bad_length', `program size ${prog.insns.length} is not a multiple of 8 bytes`, { file: spec.name, section: prog.section });
  if (prog.insns.length === 0) throw new InputError('verify.empty', 'the program has no instructions (the kernel: E2BIG)', { file: spec.name, section: prog.section });
  const view = programView(spec, prog, { withoutBtf: opts.withoutBtf });
  const env = new Env(view, privileges(opts), opts.logLevel ?? 0, opts.insnLimit ?? BPF_COMPLEXITY_LIMIT_INSNS, opts.logSize ?? Infinity);
  env.offloaded = opts.offloaded === true;
  env.devBound = env.offloaded || opts.devBound === true;
  if (opts.facts !== false) env.facts = new FactsCollector(view.len, !!opts.allRegs);
  let failure: VerifierFail | null = null;
  try {
    findSubprogs(env);
    if (env.log.level > 1) env.subprogs.forEach((sp, i) => env.log.trace2(`func#${i} @${sp.start}`));
    checkSubprogs(env);
    checkBtfFunc(env);
    resolvePseudo(env);
    checkCfg(env);
    env.sccOf = computeSccs(view.raws, (i) => view.slots[i] !== null);
    computeLiveRegs(env);
    if (env.log.level > 1) logLiveRegs(env);
    env.initStackLiveness();
    doCheckCommon(env, 0);
    doCheckSubprogs(env);
    checkMaxStackDepth(env);
    if (env.unresolvedKfunc) env.failAt(null, 'EINVAL', 'invalid kernel function call not eliminated in verifier pass');
  } catch (e) {
    if (!(e instanceof VerifierFail)) throw e;
    failure = e;
  }
  if (env.log.level > 0)
    env.log.trace(
      `processed ${env.insnProcessed} insns (limit ${BPF_COMPLEXITY_LIMIT_INSNS}) max_states_per_insn ${env.maxStatesPerInsn} total_states ${env.totalStates} peak_states ${env.peakStates} mark_read 0`,
    );
  const timeUs = Math.round((performance.now() - t0) * 1000);
  const error = failure ? errorOf(env, failure) : null;
  return {
    program: prog.name,
    accepted: failure === null,
    insnsProcessed: env.insnProcessed,
    error,
    messages: env.log.messages.flatMap((m) => m.split('\n')),
    log: env.log.text(),
    ...(env.log.truncated ? { logTruncated: true } : {}),
    logTrueSize: env.log.trueSize,
    facts: env.facts ? buildFacts(env) : null,
    stats: {
      insnsProcessed: env.insnProcessed,
      totalStates: env.totalStates,
      peakStates: env.peakStates,
      maxStatesPerInsn: env.maxStatesPerInsn,
      timeUs,
    },
  };
}

/** check_btf_func: without BTF func info a subprogram may not tail call. */
function checkBtfFunc(env: Env): void {
  if (env.prog.hasFuncInfo) return;
  for (let i = 1; i < env.subprogs.length; i++) {
    if (env.subprogs[i]!.hasLdAbs) env.failAt(null, 'EINVAL', 'LD_ABS is not allowed in subprogs without BTF');
    if (env.subprogs[i]!.hasTailCall) env.failAt(null, 'EINVAL', 'tail_call is not allowed in subprogs without BTF');
  }
}

/** Verify every program of an object. */
export function verifyObject(spec: ObjectSpec, opts: VerifyOptions = {}): VerifyResult[] {
  return spec.programs.map((p) => verifyProgram(spec, p, opts));
}
