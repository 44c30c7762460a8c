// Running the capability verifier: the safety verifier first (once per program and load mode: as a
// program loaded for a NIC for profiles reached through the kernel's device-bound offload path
// (`kind: offload`, `offload.loader: kernel`), as an ordinary XDP program otherwise, since the kernel
// verifies the two differently); if it rejects, the verdict is `rejected` with its error;
// otherwise the capability pass runs against each profile with the safety verifier's facts.
import { InputError } from '../errors.ts';
import type { ObjectSpec, ProgramSpec } from '../elf/index.ts';
import { kernelOffloadPath } from './rules-maps.ts';
import { type CheckResult, type ProfileRef, type SafetyRejection, checkWithFacts, rejectedResult } from './check.ts';
import type { CapabilityFacts } from './facts.ts';

/** The safety verifier as the capability pass needs it; `offloaded`: loaded for a NIC (prog_ifindex). */
export type SafetyCheck = (
  spec: ObjectSpec,
  program: ProgramSpec,
  opts: { offloaded: boolean },
) => { facts: CapabilityFacts } | { rejected: SafetyRejection };

export function checkProgram(spec: ObjectSpec, program: ProgramSpec, ref: ProfileRef, safety: SafetyCheck): CheckResult {
  return checkProgramAll(spec, program, [ref], safety)[0]!;
}

/** One program against several profiles (the safety verifier runs once per load mode). */
export function checkProgramAll(spec: ObjectSpec, program: ProgramSpec, refs: readonly ProfileRef[], safety: SafetyCheck): CheckResult[] {
  const verdicts = new Map<boolean, ReturnType<SafetyCheck>>();
  return refs.map((ref) => {
    const offloaded = kernelOffloadPath(ref.profile);
    let s = verdicts.get(offloaded);
    if (!s) verdicts.set(offloaded, (s = safety(spec, program, { offloaded })));
    return 'rejected' in s ? rejectedResult(spec, program, ref, s.rejected) : checkWithFacts(spec, program, ref, s.facts);
  });
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
