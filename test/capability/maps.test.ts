// Map rules (no verifier facts needed): the nfp driver's nfp_bpf_map_alloc() decisions and messages
// on test/fixtures/capability/nfp_maps.o, and every offload.maps key allowed and forbidden.
import { describe, expect, it } from 'vitest';
import { loadObjectFile } from '../../offload/elf/index.ts';
import { checkMaps, elementBytes } from '../../offload/capability/rules-maps.ts';
import { type MapDef, fixtures, mapSpec, profile, withKey } from './helpers.ts';
import type { ObjectSpec } from '../../offload/elf/index.ts';
import type { Profile } from '../../nic/profile/index.ts';

const agilio = profile('agilio-cx');
const host = profile('host-x86');

function objectWith(...maps: MapDef[]): ObjectSpec {
  return { file: 'm.o', name: 'm', license: 'GPL', programs: [], maps: maps.map(mapSpec), warnings: [] };
}
const run = (p: Profile, ...maps: MapDef[]) => checkMaps(objectWith(...maps), p, new Set([0]));
const hash = (name: string, entries: number, extra: Partial<MapDef> = {}): MapDef => ({ name, type: 'hash', key: 4, value: 4, entries, ...extra });

describe('nfp map checks on nfp_maps.o (agilio-cx)', () => {
  const spec = loadObjectFile(fixtures + 'nfp_maps.o');
  const r = checkMaps(spec, agilio, new Set(spec.programs[0]!.mapRefs.map((m) => m.map)));
  const by = (name: string) => r.findings.filter((f) => f.map === name);

  it('flags: a hash map with BPF_F_NO_PREALLOC', () => {
    expect(by('flows')).toMatchObject([{ code: 'map.flags', key: 'offload.maps.allowed_flags', nfp: 'map flags are not supported' }]);
  });
  it('element budget: 2,000,000 fit, then 100,000 with 48,000 left', () => {
    expect(by('big')).toEqual([]);
    expect(by('more')).toMatchObject([{ code: 'map.too_many_elements', key: 'offload.maps.total_elements', nfp: 'map with too many elements: 100000, left: 48000' }]);
  });
  it('element size: round_up(8) + round_up(60) = 72 > 64, checked before the value size', () => {
    expect(by('wide')).toMatchObject([{ code: 'map.element_too_large', key: 'offload.maps.max_element_size', nfp: 'map elements too large: 72, FW max element size (key+value): 64' }]);
  });
  it('perf_event_array is offload-neutral and stays on the host', () => {
    const perf = r.maps.find((m) => m.name === 'perf')!;
    expect(perf).toMatchObject({ placement: 'host', fits: true, type: 'perf_event_array' });
    expect(by('perf')).toEqual([]);
  });
  it('totals count only maps that fit', () => {
    expect(r.totals).toMatchObject({ device_maps: 1, elements: 2_000_000, element_budget: 2_048_000 });
    expect(r.maps.map((m) => [m.name, m.fits, m.used])).toEqual([
      ['flows', false, true],
      ['big', true, true],
      ['more', false, true],
      ['wide', false, true],
      ['perf', true, false],
    ]);
  });
  it('the same maps fit a host', () => {
    expect(checkMaps(spec, host, new Set()).findings).toEqual([]);
  });
});

describe('offload.maps keys', () => {
  it('types: the kernel refuses non array/hash offload maps before the driver (no driver message)', () => {
    const r = run(agilio, { name: 'pc', type: 'percpu_array', key: 4, value: 8, entries: 4 });
    expect(r.findings).toMatchObject([{ code: 'map.type', key: 'offload.maps.types' }]);
    expect(r.findings[0]!.nfp).toBeUndefined();
    expect(run(host, { name: 'pc', type: 'percpu_array', key: 4, value: 8, entries: 4 }).findings).toEqual([]);
  });
  it('loader: a device with its own loader (hXDP) takes the types its profile lists, the kernel path only array/hash', () => {
    const lpm: MapDef = { name: 'routes', type: 'lpm_trie', key: 8, value: 4, entries: 64, flags: 1 };
    const devmap: MapDef = { name: 'ports', type: 'devmap', key: 4, value: 4, entries: 8 };
    const hxdp = profile('hxdp');
    expect(hxdp.offload.loader).toBe('device');
    expect(run(hxdp, lpm, devmap).findings).toEqual([]);
    // the same profile reached through the kernel's prog_ifindex path: EINVAL before any driver
    const viaKernel = withKey(hxdp, 'offload.loader', 'kernel');
    expect(run(viaKernel, lpm).findings).toMatchObject([{ code: 'map.type', text: expect.stringContaining('EINVAL') }]);
    // agilio-cx (nfp) is reached through the kernel: its default
    expect(agilio.offload.loader).toBe('kernel');
  });
  it('types: an array/hash type the device lacks gets the driver message, after the flags check', () => {
    const p = withKey(agilio, 'offload.maps.types', ['hash']);
    expect(run(p, { name: 'a', type: 'array', key: 4, value: 4, entries: 4 }).findings).toMatchObject([{ code: 'map.type', nfp: 'map type not supported' }]);
    expect(run(p, { name: 'a', type: 'array', key: 4, value: 4, entries: 4, flags: 0x400 }).findings).toMatchObject([{ code: 'map.flags' }]);
  });
  it('allowed_flags: listed flags pass, others fail', () => {
    const p = withKey(agilio, 'offload.maps.allowed_flags', ['no_prealloc']);
    expect(run(p, hash('h', 4, { flags: 1 })).findings).toEqual([]);
    expect(run(p, hash('h', 4, { flags: 0x80 })).findings).toMatchObject([{ code: 'map.flags', key: 'offload.maps.allowed_flags' }]);
  });
  it('max_maps: the map after the limit', () => {
    const p = withKey(agilio, 'offload.maps.max_maps', 2);
    const r = run(p, hash('a', 1), hash('b', 1), hash('c', 1));
    expect(r.findings).toMatchObject([{ code: 'map.too_many_maps', map: 'c', key: 'offload.maps.max_maps', nfp: 'too many maps for a device' }]);
    expect(run(p, hash('a', 1), hash('b', 1)).findings).toEqual([]);
  });
  it('max_entries and max_entries_by_type (netdevsim: 2)', () => {
    const nsim = profile('netdevsim');
    expect(run(nsim, hash('h', 2)).findings).toEqual([]);
    expect(run(nsim, hash('h', 3)).findings).toMatchObject([{ code: 'map.too_many_elements', key: 'offload.maps.max_entries', value: 2 }]);
    const p = withKey(host, 'offload.maps.max_entries_by_type', { hash: 10 });
    expect(run(p, hash('h', 10)).findings).toEqual([]);
    expect(run(p, hash('h', 11)).findings).toMatchObject([{ code: 'map.too_many_elements', key: 'offload.maps.max_entries_by_type.hash', value: 10 }]);
    expect(run(p, { name: 'a', type: 'array', key: 4, value: 4, entries: 11 }).findings).toEqual([]);
  });
  it('total_elements: exactly the budget fits', () => {
    const p = withKey(host, 'offload.maps.total_elements', 100);
    expect(run(p, hash('a', 60), hash('b', 40)).findings).toEqual([]);
    expect(run(p, hash('a', 60), hash('b', 41)).findings).toMatchObject([{ code: 'map.too_many_elements', nfp: 'map with too many elements: 41, left: 40' }]);
  });
  it('max_key_size / max_value_size (reachable when the element limit allows)', () => {
    const p = withKey(withKey(host, 'offload.maps.max_key_size', 8), 'offload.maps.max_value_size', 16);
    expect(run(p, hash('h', 1, { key: 8, value: 16 })).findings).toEqual([]);
    expect(run(p, hash('h', 1, { key: 9, value: 16 })).findings).toMatchObject([{ code: 'map.key_too_large', key: 'offload.maps.max_key_size', nfp: 'map key size 9, FW max is 8' }]);
    expect(run(p, hash('h', 1, { key: 8, value: 17 })).findings).toMatchObject([{ code: 'map.value_too_large', key: 'offload.maps.max_value_size', nfp: 'map value size 17, FW max is 16' }]);
  });
  it('element_size: exact vs round8', () => {
    const m = { keySize: 6, valueSize: 10 };
    expect(elementBytes(host, m)).toBe(16);
    expect(elementBytes(agilio, m)).toBe(8 + 16);
    const p = withKey(host, 'offload.maps.max_element_size', 16);
    expect(run(p, hash('h', 1, { key: 6, value: 10 })).findings).toEqual([]);
    expect(run(withKey(p, 'offload.maps.element_size', 'round8'), hash('h', 1, { key: 6, value: 10 })).findings).toMatchObject([{ code: 'map.element_too_large' }]);
  });
  it('memory_bytes: Σ max_entries × element over device maps', () => {
    const p = withKey(host, 'offload.maps.memory_bytes', 800);
    expect(run(p, hash('a', 50), hash('b', 50)).findings).toEqual([]); // 50 × 8 + 50 × 8 = 800
    const r = run(p, hash('a', 50), hash('b', 51));
    expect(r.findings).toMatchObject([{ code: 'map.memory', map: 'b', key: 'offload.maps.memory_bytes' }]);
    expect(r.maps.map((m) => m.bytes)).toEqual([400, 408]);
  });
  it('neutral_types: stays on the host, outside every budget', () => {
    const p = withKey(withKey(agilio, 'offload.maps.max_maps', 1), 'offload.maps.neutral_types', ['perf_event_array']);
    const r = run(p, { name: 'perf', type: 'perf_event_array', key: 4, value: 4, entries: 64 }, hash('h', 1));
    expect(r.findings).toEqual([]);
    expect(r.totals.device_maps).toBe(1);
  });
});
