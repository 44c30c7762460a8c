// What a loader changes before load (--map-size, --set, one program at a time) against libbpf and the
// kernel: test/fixtures/loader/kernel.json, recorded by test/kernel/record-loader.py on loader.o.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, root } from './run.ts';

interface Case {
  programs: string[];
  map_sizes: Record<string, number>;
  set: Record<string, string>;
  load: number;
  retval?: number;
  data_out?: string;
  libbpf: string | null;
}
const fx = (await import('../fixtures/loader/kernel.json', { with: { type: 'json' } })).default as unknown as { cases: Record<string, Case> };
const obj = join(root, 'test/fixtures/loader/loader.o');
const frame = join(mkdtempSync(join(tmpdir(), 'nicsim-loader-')), 'zero64.bin');
writeFileSync(frame, new Uint8Array(64));

/** test-run arguments for a recorded case: the first program runs, the second fills jmp[0]. */
function args(c: Case): string[] {
  const a = ['test-run', obj, '--program', c.programs[0]!, '--data-in', frame, '--json'];
  if (c.programs[0] === 'dispatch') a.push('--tail-call', `jmp:0:${c.programs[1]}`);
  for (const [m, n] of Object.entries(c.map_sizes)) a.push('--map-size', `${m}=${n}`);
  for (const [k, v] of Object.entries(c.set)) a.push('--set', `${k}=${v}`);
  return a;
}

describe('loader settings against libbpf and the kernel', () => {
  it('refuses a map left at max_entries 0 at map creation, naming it, in every command', async () => {
    const c = fx.cases.unsized!;
    expect(c.load).toBe(-22);
    expect(c.libbpf).toContain("map 'flows': failed to create: Invalid argument(-22)");
    for (const a of [args(c), ['verify', obj, '--program', 'good'], ['check', obj, '--profile', join(root, 'configs/agilio-cx.yaml')]]) {
      const r = await cli(a);
      expect(r.code, a[0]).toBe(3);
      expect(r.err, a[0]).toContain("map 'flows': failed to create: Invalid argument(-22)");
    }
  });

  it('runs with the map sized (--map-size) and with const volatile globals set (--set) as the kernel did', async () => {
    for (const name of ['sized', 'set', 'tail']) {
      const c = fx.cases[name]!;
      expect(c.load, name).toBe(0);
      const r = await cli(args(c));
      expect(r.code, `${name}: ${r.err}`).toBe(0);
      const out = JSON.parse(r.out) as { retval: number; data_out: string };
      expect(out.retval, name).toBe(c.retval);
      expect(out.data_out, name).toBe(c.data_out);
    }
  });

  it('loads only the program run and what the command line makes it reach', async () => {
    // The kernel refuses the object when the rejected siblings are loaded too (EACCES, program named).
    expect(fx.cases.with_bad_xdp!.load).toBe(-13);
    expect(fx.cases.with_bad_xdp!.libbpf).toContain("prog 'bad'");
    expect(fx.cases.with_bad_tc!.load).toBe(-13);
    expect(fx.cases.with_bad_tc!.libbpf).toContain("prog 'bad_tc'");
    // nicsim, like libbpf with autoload off for them, neither verifies nor loads them.
    const r = await cli(args(fx.cases.sized!));
    expect(r.code, r.err).toBe(0);
    expect((await cli(['verify', obj, '--program', 'good', '--map-size', 'flows=16'])).code).toBe(0);
    // ... and refuses the run when the rejected program is one that must load.
    const bad = await cli([...args(fx.cases.sized!), '--before', 'bad']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/program bad is rejected by the verifier/);
  });

  it('gives typed errors for unknown names, values out of range and bad syntax', async () => {
    const base = args(fx.cases.sized!);
    const cases: [string[], RegExp][] = [
      [['--set', 'nope=1'], /no global variable named 'nope' \(variables: big, delta, limit, mode, on\)/],
      [['--set', 'delta=128'], /128 is out of range for a signed 8-bit variable \(-128 to 127\)/],
      [['--set', 'limit=-1'], /-1 is out of range for an unsigned 32-bit variable \(0 to 4294967295\)/],
      [['--set', 'on=2'], /2 is out of range for a bool variable \(0 to 1\)/],
      [['--set', 'mode=MODE_MAYBE'], /'MODE_MAYBE' is not a number/],
      [['--set', 'limit'], /--set takes NAME=VALUE/],
      [['--map-size', 'nope=1'], /no map named 'nope' \(maps: flows, jmp\)/],
      [['--map-size', 'flows=0'], /max_entries must be an integer from 1/],
    ];
    for (const [extra, msg] of cases) {
      const r = await cli([...base, ...extra]);
      expect(r.code, extra.join(' ')).toBe(2);
      expect(r.err, extra.join(' ')).toMatch(msg);
    }
  });
});
