// Every class of bad profile gives one located `file:line:col: path: reason` and exit status 3.
// Lines and columns are counted by hand from the fixtures in test/fixtures/profiles/bad/.
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isNicsimError, type NicsimError } from '../../offload/errors.ts';
import { loadProfile, ProfileError } from '../../nic/profile/index.ts';

const dir = fileURLToPath(new URL('../fixtures/profiles/', import.meta.url));
const shown = (name: string) => relative(process.cwd(), dir + name);

function failure(name: string): NicsimError {
  try {
    loadProfile(dir + name);
  } catch (e) {
    if (isNicsimError(e)) return e;
    throw e;
  }
  throw new Error(`${name} loaded but should not`);
}

const cases: [string, string, string, string][] = [
  // fixture, expected code, location, "path: reason"
  ['bad/unknown-key.yaml', 'profile.schema', '7:3', "cores.colour: unknown key 'colour' (expected one of: count, threads_per_core, clock_mhz, word_bits, issue_width)"],
  ['bad/wrong-type.yaml', 'profile.schema', '5:10', 'cores.count: must be integer (got "four")'],
  ['bad/negative-size.yaml', 'profile.schema', '7:12', 'offload.stack.bytes: must be >= 0'],
  ['bad/unknown-helper.yaml', 'profile.schema', '10:7', "offload.helpers.supported.bpf_map_update_elem: unknown helper name 'bpf_map_update_elem'"],
  ['bad/unknown-map-type.yaml', 'profile.schema', '7:19', "offload.maps.types[1]: unknown map type 'hashmap'"],
  ['bad/missing-required.yaml', 'profile.schema', '4:1', "cores: missing required key 'clock_mhz'"],
  ['bad/not-a-mapping.yaml', 'profile.schema', '1:1', 'a profile must be a YAML mapping of keys'],
];

describe('bad profiles', () => {
  for (const [name, code, at, rest] of cases) {
    it(`${name} -> ${code}`, () => {
      const e = failure(name);
      expect(e.code).toBe(code);
      expect(e.exit).toBe(3);
      expect(e.message).toBe(`${shown(name)}:${at}: ${rest}`);
    });
  }

  it('unknown ISA feature names the feature', () => {
    const e = failure('bad/unknown-isa.yaml');
    expect(e.code).toBe('profile.schema');
    expect(e.message).toMatch(new RegExp(`^${shown('bad/unknown-isa.yaml')}:8:5: offload\\.isa\\.popcnt: unknown ISA feature 'popcnt' \\(expected one of: alu32, `));
  });

  it('YAML syntax error is located', () => {
    const e = failure('bad/syntax.yaml');
    expect(e.code).toBe('profile.yaml');
    expect(e.exit).toBe(3);
    // The flow sequence opened on line 7 is still open at the end of the file (line 8, column 1).
    expect(e.message).toMatch(new RegExp(`^${shown('bad/syntax.yaml')}:8:1: YAML syntax error: Flow sequence`));
  });

  it('cyclic extends is located at the extends that closes the cycle', () => {
    const e = failure('bad/cycle-a.yaml');
    expect(e.code).toBe('profile.extends');
    expect(e.exit).toBe(3);
    const a = shown('bad/cycle-a.yaml');
    const b = shown('bad/cycle-b.yaml');
    expect(e.message).toBe(`${b}:2:10: extends: cycle: ${a} -> ${b} -> ${a}`);
  });

  it('missing extends target is located at the extends line', () => {
    const e = failure('bad/missing-base.yaml');
    expect(e.code).toBe('profile.extends');
    expect(e.message).toBe(`${shown('bad/missing-base.yaml')}:4:10: extends: file not found: ${shown('good/no-such-base.yaml')}`);
  });

  it('a bad value inherited from a base is reported in the base file', () => {
    const e = failure('bad/derived-of-bad.yaml');
    expect(e.message).toBe(`${shown('bad/bad-base.yaml')}:5:10: cores.count: must be >= 1`);
  });

  it('a bad value set by the derived file is reported in the derived file', () => {
    const e = failure('bad/derived-sets-bad.yaml');
    expect(e.message).toBe(`${shown('bad/derived-sets-bad.yaml')}:6:47: offload.maps.allowed_flags[2]: unknown map flag 'fast'`);
  });

  it('collects every problem of a file, in file order', () => {
    const e = failure('bad/unknown-helper.yaml');
    expect(e).toBeInstanceOf(ProfileError);
    const all = (e as ProfileError).diagnostics;
    expect(all).toHaveLength(1);
    expect((e as ProfileError).format()).toBe(e.message);
  });

  it('an unreadable file is a located input error', () => {
    const e = failure('bad/does-not-exist.yaml');
    expect(e.code).toBe('profile.read');
    expect(e.exit).toBe(3);
    expect(e.message).toBe(`${shown('bad/does-not-exist.yaml')}: cannot read profile: ENOENT`);
  });
});
