// nicsim check on the command line: human output, --json shape, exit statuses (0 offload, 1 not,
// 0 for partial with --allow-partial, 2 usage, 3 bad object or profile) and every bad-profile class
// located as file:line:col through --profile.
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, root } from '../cli/run.ts';

const fx = (f: string) => join(root, 'test/fixtures/capability', f);
const cfg = (f: string) => join(root, 'configs', `${f}.yaml`);
const bad = (f: string) => join(root, 'test/fixtures/profiles/bad', f);
const shown = (p: string) => relative(process.cwd(), p);

describe('nicsim check', () => {
  it('human report: verdict, finding with pc, insn, C line, message, rule and profile key, totals', async () => {
    const r = await cli(['check', fx('nfp_mod.o'), '--profile', cfg('agilio-cx')]);
    expect(r.code).toBe(1);
    expect(r.err).toBe('');
    expect(r.out).toContain('mod_k on agilio-cx: host: the program cannot be placed on the device');
    expect(r.out).toContain('NIC instructions ');
    expect(r.out).toContain(' / 2560 ');
    expect(r.out).toContain('stack 0 / 512 B');
    expect(r.out).toContain('error isa.mod at pc 5: r1 %= 0x7');
    expect(r.out).toContain('nfp_mod.c:9  if (len % 7 == 3)');
    expect(r.out).toContain('instruction 0x97 not supported');
    expect(r.out).toContain('[offload.isa.mod: false]');
  });

  it('exit 0 when the program offloads', async () => {
    const r = await cli(['check', fx('nfp_mod.o'), '--profile', cfg('host-x86')]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('mod_k on host-x86: offload');
  });

  it('partial: exit 1, or 0 with --allow-partial', async () => {
    const a = await cli(['check', fx('nfp_partial.o'), '--profile', cfg('agilio-cx-fallback')]);
    expect(a.code).toBe(1);
    expect(a.out).toContain('punted to the host at pc 10');
    const b = await cli(['check', fx('nfp_partial.o'), '--profile', cfg('agilio-cx-fallback'), '--allow-partial']);
    expect(b.code).toBe(0);
  });

  it('--json: one document with the documented fields', async () => {
    const r = await cli(['check', fx('nfp_maps.o'), '--profile', cfg('agilio-cx'), '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out);
    expect(Object.keys(doc)).toEqual(['results']);
    expect(doc.results).toHaveLength(1);
    const x = doc.results[0];
    for (const k of ['profile', 'program', 'verdict', 'nic_instructions', 'instruction_memory', 'stack', 'maps', 'punt_pcs', 'findings']) expect(x).toHaveProperty(k);
    expect(x).toMatchObject({ profile: 'agilio-cx', program: 'use_maps', verdict: 'host', instruction_memory: 2560, punt_pcs: [] });
    expect(typeof x.nic_instructions).toBe('number');
    expect(x.maps[0]).toMatchObject({ name: 'flows', type: 'hash', max_entries: 16, bytes: 16 * 16, fits: false });
    for (const f of x.findings) for (const k of ['code', 'pc', 'insn', 'source', 'message', 'profile_key']) expect(f).toHaveProperty(k);
    const lookup = await cli(['check', fx('nfp_mod.o'), '--profile', cfg('agilio-cx'), '--json']);
    const f = JSON.parse(lookup.out).results[0].findings[0];
    expect(f).toMatchObject({ code: 'isa.mod', pc: 5, insn: 'r1 %= 0x7', source: { file: 'nfp_mod.c', line: 9, text: 'if (len % 7 == 3)' }, message: 'instruction 0x97 not supported', profile_key: 'offload.isa.mod' });
  });

  it('--program selects one program; an unknown one is bad input', async () => {
    const r = await cli(['check', fx('nfp_div.o'), '--program', 'div_imm', '--profile', cfg('agilio-cx'), '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).results.map((x: { program: string }) => x.program)).toEqual(['div_imm']);
    const n = await cli(['check', fx('nfp_div.o'), '--program', 'nope', '--profile', cfg('agilio-cx')]);
    expect(n.code).toBe(3);
    expect(n.err).toContain("no program 'nope'");
  });

  it('usage errors exit 2', async () => {
    expect((await cli(['check', fx('nfp_mod.o')])).code).toBe(2);
    expect((await cli(['check', fx('nfp_mod.o'), '--profile', cfg('agilio-cx'), '--all-profiles'])).code).toBe(2);
    expect((await cli(['check'])).code).toBe(2);
  });

  it('a bad object exits 3 with its location', async () => {
    const missing = await cli(['check', fx('no-such.o'), '--profile', cfg('agilio-cx')]);
    expect(missing.code).toBe(3);
    expect(missing.err).toContain('no-such.o');
    const notElf = await cli(['check', fx('nfp_mod.c'), '--profile', cfg('agilio-cx')]);
    expect(notElf.code).toBe(3);
    expect(notElf.err).toMatch(/nfp_mod\.c/);
  });

  // The bad-profile classes of configs/README.md, with the located messages test/profile/bad.test.ts checks.
  const profiles: [string, string][] = [
    ['unknown-key.yaml', "7:3: cores.colour: unknown key 'colour'"],
    ['wrong-type.yaml', '5:10: cores.count: must be integer (got "four")'],
    ['negative-size.yaml', '7:12: offload.stack.bytes: must be >= 0'],
    ['unknown-helper.yaml', "10:7: offload.helpers.supported.bpf_map_update_elem: unknown helper name 'bpf_map_update_elem'"],
    ['unknown-map-type.yaml', "7:19: offload.maps.types[1]: unknown map type 'hashmap'"],
    ['unknown-isa.yaml', "8:5: offload.isa.popcnt: unknown ISA feature 'popcnt'"],
    ['missing-required.yaml', "4:1: cores: missing required key 'clock_mhz'"],
    ['not-a-mapping.yaml', '1:1: a profile must be a YAML mapping of keys'],
    ['syntax.yaml', '8:1: YAML syntax error'],
    ['cycle-a.yaml', '2:10: extends: cycle:'],
    ['missing-base.yaml', '4:10: extends: file not found:'],
    ['derived-sets-bad.yaml', "6:47: offload.maps.allowed_flags[2]: unknown map flag 'fast'"],
  ];
  for (const [file, where] of profiles) {
    it(`bad profile ${file}: exit 3, located`, async () => {
      const r = await cli(['check', fx('nfp_mod.o'), '--profile', bad(file)]);
      expect(r.code).toBe(3);
      expect(r.out).toBe('');
      const line = r.err.split('\n')[0]!;
      expect(line).toMatch(/^nicsim check: .+\.yaml:\d+:\d+: /);
      const at = file === 'cycle-a.yaml' ? bad('cycle-b.yaml') : bad(file);
      expect(line).toContain(`${shown(at)}:${where}`);
    });
  }
  it('a bad value inherited from a base is located in the base file', async () => {
    const r = await cli(['check', fx('nfp_mod.o'), '--profile', bad('derived-of-bad.yaml')]);
    expect(r.code).toBe(3);
    expect(r.err).toContain(`${shown(bad('bad-base.yaml'))}:5:10: cores.count: must be >= 1`);
  });
  it('an unreadable profile exits 3', async () => {
    const r = await cli(['check', fx('nfp_mod.o'), '--profile', bad('does-not-exist.yaml')]);
    expect(r.code).toBe(3);
    expect(r.err).toContain('cannot read profile');
  });
});
