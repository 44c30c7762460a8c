// extends: values inherited and overridden, mappings merged key by key, lists replaced whole.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadProfile, loadProfileDetailed, mergeProfiles } from '../../nic/profile/index.ts';

const dir = fileURLToPath(new URL('../fixtures/profiles/good/', import.meta.url));
const configs = fileURLToPath(new URL('../../configs/', import.meta.url));

describe('mergeProfiles', () => {
  it('merges mappings recursively and replaces lists and scalars', () => {
    const base = { a: { x: 1, y: [1, 2] }, b: 'keep', n: 5 };
    const derived = { a: { y: [3], z: true }, n: null };
    expect(mergeProfiles(base, derived)).toEqual({ a: { x: 1, y: [3], z: true }, b: 'keep', n: null });
    expect(base).toEqual({ a: { x: 1, y: [1, 2] }, b: 'keep', n: 5 });
  });
});

describe('extends', () => {
  it('inherits, overrides and replaces lists (fixtures)', () => {
    const base = loadProfile(dir + 'base.yaml');
    const d = loadProfile(dir + 'derived.yaml');
    expect(d.name).toBe('derived');
    expect(d.kind).toBe('offload'); // inherited
    expect(d.cores.count).toBe(4); // inherited sibling of an overridden key
    expect(d.cores.clock_mhz).toBe(2000); // overridden
    expect(base.cores.clock_mhz).toBe(1000);
    expect(d.offload.stack.bytes).toBe(256); // inherited nested
    expect(d.offload.maps.types).toEqual(['array']); // list replaced, not appended
    expect(d.offload.maps.allowed_flags).toEqual(['no_prealloc']); // inherited list
    expect(Object.keys(d.offload.helpers.supported).sort()).toEqual(['map_lookup_elem', 'xdp_adjust_tail']); // mapping merged
    expect(d.offload.helpers.supported.map_lookup_elem?.map_types).toEqual(['hash']);
    expect(d.offload.helpers.default).toBe('deny');
  });

  it('follows chains of several files, relative to each file', () => {
    const g = loadProfileDetailed(dir + 'grandchild.yaml');
    expect(g.chain.map((f) => f.slice(dir.length))).toEqual(['base.yaml', 'derived.yaml', 'grandchild.yaml']);
    expect(g.profile.offload.stack.bytes).toBe(128);
    expect(g.profile.cores.clock_mhz).toBe(2000);
    expect(g.profile.offload.maps.types).toEqual(['array']);
    expect(g.profile).not.toHaveProperty('extends');
  });

  it('dpu-arm keeps the host rules and changes the machine', () => {
    const host = loadProfile(configs + 'host-x86.yaml');
    const dpu = loadProfile(configs + 'dpu-arm.yaml');
    expect(dpu.kind).toBe('native');
    expect(dpu.cores.count).toBe(8);
    expect(dpu.cores.clock_mhz).toBe(2000);
    expect(dpu.offload).toEqual(host.offload); // same kernel rules
    expect(dpu.cost.calibration).toEqual([]); // list replaced by an empty one
    expect(dpu.host.pass_overhead_ns).toBe(host.host.pass_overhead_ns); // inherited inside a merged mapping
    expect(dpu.host.pcie.bandwidth_gbps).toBe(252);
  });

  it('agilio-cx-fallback differs from agilio-cx only in name, description and partial offload', () => {
    const a = loadProfile(configs + 'agilio-cx.yaml');
    const f = loadProfile(configs + 'agilio-cx-fallback.yaml');
    expect(f.offload.partial.allowed).toBe(true);
    expect(a.offload.partial.allowed).toBe(false);
    const strip = (p: typeof a) => ({ ...p, name: '', description: '', offload: { ...p.offload, partial: { allowed: false } } });
    expect(strip(f)).toEqual(strip(a));
  });
});
