// nicsim check: the hardware-capability verifier. Will this XDP object offload to this NIC, and if
// not, which line stops it?
import { Exit, UsageError } from '../../offload/errors.ts';
import { loadObjectFile } from '../../offload/elf/index.ts';
import {
  type CheckResult,
  checkObject,
  formatMatrix,
  formatResult,
  profileRefs,
  resultJson,
  verifierSafety,
} from '../../offload/capability/index.ts';
import { listShippedProfiles } from '../profile/index.ts';
import { formatBound, staticBound } from '../model/bound.ts';
import { type Command, flag, str } from './command.ts';
import { loaderOptions, loaderSettings, prepareObject } from './loader-options.ts';

export const checkCommand: Command = {
  usage: ['check OBJECT [--program NAME] (--profile FILE | --all-profiles) [--allow-partial] [--bound] [--map-size MAP=N]... [--set NAME=VALUE]... [--json]'],
  description: `Runs the safety verifier, then checks every reachable instruction, helper call and map and the
whole program (NIC instructions after translation, stack, packet reach) against a hardware profile
(configs/*.yaml; rules and finding codes in configs/README.md). Verdicts: offload (everything runs on
the device), partial (unsupported instructions only on some paths and the profile allows host
fallback: packets reaching them are punted), host (cannot be placed on the device), rejected (the
safety verifier refuses it). --all-profiles checks every shipped profile and prints a matrix.
--bound adds the static throughput bound: the most expensive path through the program priced by the
profile's cost model, as a guaranteed lower bound on packets per second, with its C source lines.
Exit status: 0 when every verdict is offload (or partial with --allow-partial), 1 otherwise, 3 for a
bad object or profile.`,
  options: {
    program: { type: 'string', short: 'p', arg: 'NAME', help: 'only this program (default: every XDP program)' },
    profile: { type: 'string', arg: 'FILE', help: 'hardware profile (YAML)' },
    'all-profiles': { type: 'boolean', help: 'every shipped profile (configs/*.yaml), as a matrix' },
    'allow-partial': { type: 'boolean', help: 'exit 0 for partial offload too' },
    bound: { type: 'boolean', help: 'static worst-case cycles per packet and the guaranteed Mpps (cost model, no traffic)' },
    ...loaderOptions,
    json: { type: 'boolean', help: 'print one JSON object on stdout' },
  },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const file = ctx.positionals[0]!;
    const profile = str(ctx, 'profile');
    const all = flag(ctx, 'all-profiles');
    if ((profile === undefined) === !all) throw new UsageError('give exactly one of --profile FILE or --all-profiles');
    // a bad profile throws ProfileError: the dispatcher prints each of its diagnostics
    const refs = profileRefs(all ? listShippedProfiles().map((s) => s.file) : [profile!]);
    if (all) refs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const spec = prepareObject(loadObjectFile(file), loaderSettings(ctx));
    const results = checkObject(spec, refs, verifierSafety, str(ctx, 'program'));
    const partialOk = flag(ctx, 'allow-partial');
    const good = (r: CheckResult) => r.verdict === 'offload' || (partialOk && r.verdict === 'partial');
    const withBound = flag(ctx, 'bound');
    const profileOf = new Map(refs.map((r) => [r.name, r.profile]));
    const boundOf = (r: CheckResult) => staticBound(profileOf.get(r.profile)!, spec.programs.find((p) => p.name === r.program)!, r);
    if (flag(ctx, 'json')) {
      ctx.out(JSON.stringify({ results: results.map((r) => (withBound ? { ...resultJson(r), bound: boundOf(r) } : resultJson(r))) }));
    } else if (all && !withBound) {
      for (const l of formatMatrix(results, `program (${spec.name})`)) ctx.out(l);
    } else {
      results.forEach((r, i) => {
        if (i) ctx.out();
        for (const l of formatResult(r)) ctx.out(l);
        if (withBound) for (const l of formatBound(boundOf(r))) ctx.out(`  ${l}`);
      });
    }
    return results.every(good) ? Exit.ok : Exit.negative;
  },
};
