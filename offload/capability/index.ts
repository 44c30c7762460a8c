// The hardware-capability verifier: will an XDP program run on a NIC described by a profile, and if
// not, which instruction, helper, map or limit stops it? It runs after the safety verifier
// (offload/verifier) and reads its per-pc facts; the rules, their finding codes, profile keys and
// the nfp driver's messages are listed in configs/README.md ("Capability rules").
//
// ## API
//
//   checkObject(spec, refs, safety, program?) -> CheckResult[]    every (selected) program x profile
//   checkProgram(spec, program, ref, safety) -> CheckResult
//   checkWithFacts(spec, program, ref, facts) -> CheckResult       the pass alone, given facts
//   verifierSafety: SafetyCheck                                    offload/verifier as the safety step
//   checkMatrix(objectPath, profilePaths) -> string                the program x profile matrix (demo)
//   formatResult(r) / resultJson(r) / formatMatrix(results)        human and --json output
//   assertMapsFitDevice(spec, profile)                             before creating maps for a device: size bound
//
// `ref` is { name, profile } (a loaded Profile, nic/profile). A CheckResult holds the verdict
// (offload | partial | host | rejected), NIC instructions after translation vs instruction memory,
// stack vs limit, every map with its size and whether it fits, the punt pcs and the findings
// (code, severity, pc, disassembly, C source, message, rule, profile key and value, driver message).
//
// ## Verdict
//
//   rejected  the safety verifier refuses the program (its error is in `rejected`);
//   host      a program finding (maps, stack, instruction memory, packet reach), or instruction
//             findings while the profile forbids partial offload or every path meets one;
//   partial   only instruction findings, `offload.partial.allowed`, and some path from the entry to
//             an exit of the main program meets none of them. `punt_pcs` are the first unsupported
//             instruction on each path (see paths.ts): packets reaching them go to the host copy;
//   offload   no finding but warnings (actions the hardware converts, adjust growth limits).
import { loadObjectFile } from '../elf/index.ts';
import { loadProfile } from '../../nic/profile/index.ts';
import type { CheckResult, ProfileRef } from './check.ts';
import { formatMatrix } from './matrix.ts';
import { checkObject } from './run.ts';
import { verifierSafety } from './safety.ts';

export { checkWithFacts, rejectedResult, type CheckResult, type ProfileRef, type SafetyRejection, type Verdict } from './check.ts';
export { checkObject, checkProgram, checkProgramAll, selectPrograms, type SafetyCheck } from './run.ts';
export { capabilityFacts, regView, verifierSafety } from './safety.ts';
export { formatFinding, formatResult, resultJson, blockingReason } from './report.ts';
export { formatMatrix } from './matrix.ts';
export { FINDING_CODES, type Finding, type FindingCode, type Severity } from './findings.ts';
export type { CapabilityFacts, RegKind, RegView, Tnum } from './facts.ts';
export type { MapUse, MapTotals } from './rules-maps.ts';
export { assertMapsFitDevice } from './fit.ts';

/** Loads each profile (named after its `name`) for the capability pass. */
export function profileRefs(paths: readonly string[]): ProfileRef[] {
  return paths.map((p) => {
    const profile = loadProfile(p);
    return { name: profile.name, profile };
  });
}

/** Every XDP program of the object against every profile, as the matrix text (for `npm start`). */
export function checkMatrix(objectPath: string, profilePaths: readonly string[]): string {
  const spec = loadObjectFile(objectPath);
  const refs = profileRefs(profilePaths).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const results: CheckResult[] = checkObject(spec, refs, verifierSafety);
  return formatMatrix(results, `program (${spec.name})`).join('\n') + '\n';
}
