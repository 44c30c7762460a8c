// Running the capability verifier: the safety verifier first (once per program and load mode: as a
// program loaded for a NIC for profiles reached through the kernel's device-bound offload path
// (`kind: offload`, `offload.loader: kernel`), as a program bound to the device otherwise
// (BPF_F_XDP_DEV_BOUND_ONLY with the NIC's ifindex, as a loader of a program calling the XDP metadata
// kfuncs must load it; the binding changes nothing else the verifier checks), since the kernel
// verifies the two differently); if it rejects, the verdict is `rejected` with its error; a
// device-bound program calling the metadata kfuncs on a driver without xdp_metadata_ops
// (`rx.xdp_metadata: []`, kinds driver and native) is refused too, as bpf_prog_dev_bound_init refuses
// it (EOPNOTSUPP); otherwise the capability pass runs against each profile with the safety
// verifier's facts.
import { InputError } from '../errors.ts';
import type { ObjectSpec, ProgramSpec } from '../elf/index.ts';
import { kernelOffloadPath } from './rules-maps.ts';
import { type CheckResult, type ProfileRef, type SafetyRejection, checkWithFacts, rejectedResult } from './check.ts';
import type { CapabilityFacts } from './facts.ts';
import type { Profile } from '../../nic/profile/index.ts';
import { METADATA_KFUNCS } from '../../firmware/kfuncs/rx-meta.ts';

/** The safety verifier as the capability pass needs it; `offloaded`: loaded for a NIC (prog_ifindex), else bound to it. */
export type SafetyCheck = (
  spec: ObjectSpec,
  program: ProgramSpec,
  opts: { offloaded: boolean; devBound: boolean },
) => { facts: CapabilityFacts } | { rejected: SafetyRejection };

/** How a program is loaded for this profile's device: offloaded (the kernel's offload path) or bound to it. */
export function loadMode(profile: Profile): { offloaded: boolean; devBound: boolean } {
  const offloaded = kernelOffloadPath(profile);
  return { offloaded, devBound: true };
}

/** bpf_prog_dev_bound_init: a device-bound program on a netdev without xdp_metadata_ops is EOPNOTSUPP. */
function noMetadataOps(program: ProgramSpec, profile: Profile): SafetyRejection | null {
  if (profile.kind === 'offload' || profile.rx.xdp_metadata.length > 0) return null;
  const k = program.kfuncs?.find((x) => METADATA_KFUNCS.has(x.name));
  if (!k) return null;
  return {
    code: 'EOPNOTSUPP',
    message: `${k.name} needs a device-bound load, and this device's driver has no XDP metadata ops (rx.xdp_metadata is empty): the kernel refuses the load (EOPNOTSUPP)`,
    pc: k.pc,
  };
}

export function checkProgram(spec: ObjectSpec, program: ProgramSpec, ref: ProfileRef, safety: SafetyCheck): CheckResult {
  return checkProgramAll(spec, program, [ref], safety)[0]!;
}

/** One program against several profiles (the safety verifier runs once per load mode). */
export function checkProgramAll(spec: ObjectSpec, program: ProgramSpec, refs: readonly ProfileRef[], safety: SafetyCheck): CheckResult[] {
  const verdicts = new Map<boolean, ReturnType<SafetyCheck>>();
  return refs.map((ref) => {
    const mode = loadMode(ref.profile);
    let s = verdicts.get(mode.offloaded);
    if (!s) verdicts.set(mode.offloaded, (s = safety(spec, program, mode)));
    if ('rejected' in s) return rejectedResult(spec, program, ref, s.rejected);
    const noOps = noMetadataOps(program, ref.profile);
    return noOps ? rejectedResult(spec, program, ref, noOps) : checkWithFacts(spec, program, ref, s.facts);
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
