// A long fuzz campaign against the kernel's verifier, outside `npm test`: replays a fixture written by
//   sudo python3 test/kernel/record-verifier-fuzz.py --count 20000 --seed 7001 --out /tmp/fuzz.json.gz
// through nicsim's verifier and reports every program whose verdict, final error line, processed
// instructions or state counts differ (first 40 in full), by kind.
//   npx tsx test/kernel/verifier-campaign.ts FILE [--heavy]
// Programs that reach the kernel's 1,000,000-instruction limit take about a second each and are left
// out unless --heavy is given. Exit 1 when anything differs.
import { fuzzObject, judge, readFuzzFixture, sameVerdict, type Verdict } from '../verifier/fuzz-fixture.ts';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
if (!file) {
  console.error('usage: npx tsx test/kernel/verifier-campaign.ts FILE [--heavy]');
  process.exit(2);
}
const heavy = args.includes('--heavy');
const fx = readFuzzFixture(file);
const spec = fuzzObject(fx);
let compared = 0;
let skipped = 0;
const differ: Record<string, number> = {};
let shown = 0;
const t0 = performance.now();
fx.programs.forEach(([hex, ...verdicts], i) => {
  verdicts.forEach((want: Verdict, k) => {
    if (want[2] > 20_000 && !heavy) {
      skipped++;
      return;
    }
    compared++;
    let got: Verdict | string;
    try {
      got = judge(spec, hex, k === 1);
    } catch (e) {
      got = `crash: ${e instanceof Error ? e.message : String(e)}`;
    }
    if (typeof got !== 'string' && sameVerdict(got, want)) return;
    const kind =
      typeof got === 'string' ? 'crash' : got[0] !== want[0] ? 'verdict' : got[1] !== want[1] ? 'message' : got[2] !== want[2] ? 'insns' : 'states';
    differ[kind] = (differ[kind] ?? 0) + 1;
    if (shown++ < 40) console.log(`#${i} ${k ? 'unprivileged' : 'root'} ${kind}: kernel ${JSON.stringify(want)} nicsim ${JSON.stringify(got)}`);
  });
});
const n = Object.values(differ).reduce((a, b) => a + b, 0);
console.log(
  `${fx.programs.length} programs (seed ${fx.seed}, ${fx.kernel}): ${compared} verdicts compared in ${((performance.now() - t0) / 1000).toFixed(1)} s, ` +
    `${n} differ${n ? ` ${JSON.stringify(differ)}` : ''}${skipped ? `, ${skipped} at the 1M-instruction limit left out (--heavy)` : ''}`,
);
process.exit(n ? 1 : 0);
