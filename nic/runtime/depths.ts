// Stack depths from the safety verifier, for loadForRun: the entry frame's depth per program and each
// bpf-to-bpf callee's depth by its start pc. With them a run clears only the stack bytes a program
// can touch instead of the whole 512-byte frame (the kernel clears nothing; nicsim zeroes what the
// program uses so that runs are deterministic).
import type { ObjectSpec } from '../../offload/elf/index.ts';
import { type VerifyResult, verifyProgram } from '../../offload/verifier/index.ts';
import { accessProofs, type AccessProofs } from '../../firmware/jit/proofs.ts';

export interface StackDepths {
  stackDepths: Map<string, number>;
  calleeDepths: Map<string, Map<number, number>>;
  /** The verifier's access proofs per program, for the JIT (when given, addDepths fills it). */
  accessProofs?: Map<string, AccessProofs>;
}

/** Adds one program's depths from its verifier result (nothing when it was rejected). */
export function addDepths(into: StackDepths, program: string, v: VerifyResult): void {
  const subs = v.facts?.subprogs;
  if (!v.accepted || !subs?.length) return;
  into.stackDepths.set(program, subs[0]!.stackDepth);
  into.calleeDepths.set(program, new Map(subs.slice(1).map((s) => [s.start, s.stackDepth])));
  into.accessProofs?.set(program, accessProofs(v.facts!));
}

/** Verifies every loadable XDP program of `spec` and collects the depths of those accepted. */
export function verifiedStackDepths(spec: ObjectSpec): StackDepths {
  const out: StackDepths = { stackDepths: new Map(), calleeDepths: new Map() };
  for (const p of spec.programs) {
    if (!p.autoload || p.unsupported.length || p.typeName !== 'xdp') continue;
    addDepths(out, p.name, verifyProgram(spec, p));
  }
  return out;
}
