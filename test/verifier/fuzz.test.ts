// Random XDP programs judged by the Linux 6.18 verifier (test/kernel/record-verifier-fuzz.py ->
// test/fixtures/verifier/fuzz.json.gz): value tracking through ALU chains and branches, then map,
// stack and packet accesses at computed offsets; packet comparisons; stack spills and fills; loops;
// helpers with random argument kinds; subprograms; tail calls. nicsim must give the same verdict,
// final error line, processed-instruction count and state counts (max_states_per_insn, total_states,
// peak_states), as root and with CAP_BPF + CAP_NET_ADMIN only. (Of the programs that hit the
// 1,000,000-instruction limit, where speculative paths keep loops from converging, one is replayed;
// test/kernel/verifier-campaign.ts --heavy replays them all.)
import { describe, expect, it } from 'vitest';
import { fuzzObject, judge, readFuzzFixture, sameVerdict } from './fuzz-fixture.ts';

const fx = readFuzzFixture(new URL('../fixtures/verifier/fuzz.json.gz', import.meta.url));
const SPEC = fuzzObject(fx);

describe(`random programs vs the kernel verifier (${fx.kernel})`, () => {
  for (const [mode, col] of [
    ['root', 1],
    ['CAP_BPF+CAP_NET_ADMIN only', 2],
  ] as const) {
    it(`${fx.programs.length} programs, ${mode}: verdict, error line, processed insns, state counts`, () => {
      const mismatches: string[] = [];
      let heavy = 0;
      fx.programs.forEach((row, i) => {
        const want = row[col];
        // Programs that run into the 1M-instruction limit take ~1 s each: check one of them.
        if (want[2] > 20_000 && heavy++ >= 1) return;
        const got = judge(SPEC, row[0], col === 2);
        if (!sameVerdict(got, want)) mismatches.push(`#${i} kernel ${JSON.stringify(want)} nicsim ${JSON.stringify(got)}`);
      });
      expect(mismatches.slice(0, 10)).toEqual([]);
    });
  }
  it('covers accepted and rejected programs', () => {
    expect(fx.programs.filter((p) => p[1][0]).length).toBeGreaterThan(300);
    expect(fx.programs.filter((p) => !p[1][0]).length).toBeGreaterThan(1000);
  });
});
