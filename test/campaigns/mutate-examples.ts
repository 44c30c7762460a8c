// Robustness campaign, outside `npm test`: flips and replaces random instruction bytes of the example
// programs, then loads the object, runs the safety verifier (root and unprivileged), the capability
// pass against every shipped profile, and BPF_PROG_TEST_RUN semantics without verification on a
// random IPv4-looking packet. Anything nicsim throws that is not one of its typed errors (a crash that
// would reach the user as exit 4) is reported with its stack.
//   npx tsx test/campaigns/mutate-examples.ts [SEED] [SECONDS]      (defaults 1, 60)
// Exit 1 when something crashed.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkObject, profileRefs, verifierSafety } from '../../offload/capability/index.ts';
import { loadObject } from '../../offload/elf/loader.ts';
import { isNicsimError } from '../../offload/errors.ts';
import { verifyProgram } from '../../offload/verifier/index.ts';
import { listShippedProfiles } from '../../nic/profile/index.ts';
import { loadForRun } from '../../nic/runtime/load.ts';
import { testRun } from '../../nic/runtime/test-run.ts';

const root = new URL('../../', import.meta.url).pathname;
const refs = profileRefs(listShippedProfiles().map((s) => s.file));
const files = readdirSync(join(root, 'examples'))
  .filter((f) => f.endsWith('.o'))
  .map((f) => join(root, 'examples', f));
let seed = Number(process.argv[2] ?? 1) >>> 0;
const rnd = (): number => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed / 2 ** 32;
};
const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
const deadline = Date.now() + Number(process.argv[3] ?? 60) * 1000;
const n = { objects: 0, loaded: 0, accepted: 0, runs: 0, typedErrors: 0, crashes: 0 };
const seen = new Set<string>();

function guard(stage: string, what: string, f: () => void): void {
  try {
    f();
  } catch (e) {
    if (isNicsimError(e)) {
      n.typedErrors++;
      return;
    }
    n.crashes++;
    const stack = e instanceof Error ? (e.stack ?? e.message) : String(e);
    const key = `${stage} ${stack.split('\n').slice(0, 2).join(' ')}`;
    if (seen.has(key)) return;
    seen.add(key);
    console.log(`CRASH in ${stage} (${what}, seed state ${seed}):\n${stack.split('\n').slice(0, 6).join('\n')}`);
  }
}

while (Date.now() < deadline) {
  const file = pick(files);
  const orig = readFileSync(file);
  const base = loadObject(orig, file, { allowUnsupported: true });
  const target = pick(base.programs);
  const at = orig.indexOf(Buffer.from(target.insns.subarray(0, 16)));
  if (at < 0) continue;
  const bytes = Uint8Array.from(orig);
  for (let k = 1 + Math.floor(rnd() * 3); k > 0; k--) {
    const i = at + Math.floor(rnd() * target.insns.length);
    bytes[i] = rnd() < 0.5 ? Math.floor(rnd() * 256) : bytes[i]! ^ (1 << Math.floor(rnd() * 8));
  }
  n.objects++;
  let spec: ReturnType<typeof loadObject> | null = null;
  guard('load', file, () => void (spec = loadObject(bytes, file, { allowUnsupported: true })));
  if (!spec) continue;
  const s: ReturnType<typeof loadObject> = spec;
  n.loaded++;
  const pkt = Uint8Array.from({ length: 64 + Math.floor(rnd() * 200) }, () => Math.floor(rnd() * 256));
  pkt.set([0x08, 0x00, 0x45], 12);
  for (const p of s.programs) {
    if (p.typeName !== 'xdp') continue;
    for (const unprivileged of [false, true])
      guard('verify', `${file}:${p.name}`, () => {
        if (verifyProgram(s, p, { unprivileged, insnLimit: 200_000 }).accepted && !unprivileged) n.accepted++;
      });
    guard('test-run', `${file}:${p.name}`, () => {
      testRun(loadForRun(s, { cpus: 2 }), { program: p.name, dataIn: pkt, repeat: 2 });
      n.runs++;
    });
  }
  guard('check', file, () => void checkObject(s, refs, verifierSafety));
}
console.log(
  `${n.objects} mutated objects, ${n.loaded} loaded, ${n.accepted} programs accepted by the verifier, ` +
    `${n.runs} unverified runs completed, ${n.typedErrors} typed errors, ${n.crashes} crashes (${seen.size} distinct)`,
);
process.exit(n.crashes ? 1 : 0);
