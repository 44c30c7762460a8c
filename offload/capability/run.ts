// Running the capability verifier: the safety verifier first (once per program, whatever the
// profile); if it rejects, the verdict is `rejected` with its error; otherwise the capability pass
// runs against each profile with the safety verifier's facts.
import { InputError } from '../errors.ts';
import type { ObjectSpec, ProgramSpec } from '../elf/index.ts';
import { type CheckResult, type ProfileRef, type SafetyRejection, checkWithFacts, rejectedResult } from './check.ts';
import type { CapabilityFacts } from './facts.ts';

/** The safety verifier as the capability pass needs it. */
export type SafetyCheck = (spec: ObjectSpec, program: ProgramSpec) => { facts: CapabilityFacts } | { rejected: SafetyRejection };

export function checkProgram(spec: ObjectSpec, program: ProgramSpec, ref: ProfileRef, safety: SafetyCheck): CheckResult {
  return checkProgramAll(spec, program, [ref], safety)[0]!;
}

/** One program against several profiles (the safety verifier runs once). */
export function checkProgramAll(spec: ObjectSpec, program: ProgramSpec, refs: readonly ProfileRef[], safety: SafetyCheck): CheckResult[] {
  const s = safety(spec, program);
  return refs.map((ref) => ('rejected' in s ? rejectedResult(spec, program, ref, s.rejected) : checkWithFacts(spec, program, ref, s.facts)));
}

/** The programs to check: the named one, or every XDP program of the object. */
export function selectPrograms(spec: ObjectSpec, name?: string): ProgramSpec[] {
  if (name !== undefined) {
    const p = spec.programs.find((x) => x.name === name) ?? spec.programs.find((x) => x.section === name);
    if (!p) throw new InputError('check.no_program', `no program '${name}' in the object (programs: ${spec.programs.map((x) => x.name).join(', ') || 'none'})`, { file: spec.file });
    return [p];
  }
  const xdp = spec.programs.filter((p) => p.typeName === 'xdp');
  if (xdp.length === 0) throw new InputError('check.no_program', 'the object has no XDP program', { file: spec.file });
  return xdp;
}

/** Every selected program against every profile, program-major order. */
export function checkObject(spec: ObjectSpec, refs: readonly ProfileRef[], safety: SafetyCheck, program?: string): CheckResult[] {
  return selectPrograms(spec, program).flatMap((p) => checkProgramAll(spec, p, refs, safety));
}
