// The helper-id, map-type and map-flag tables match the kernel UAPI header, as recorded into
// test/fixtures/profiles/bpf-names.json by test/kernel/record_bpf_names.py.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HELPER_IDS, HELPER_NAMES, helperId, helperName, isHelperName } from '../../firmware/helpers/names.ts';
import { MAP_FLAG_BITS, MAP_TYPE_IDS, mapTypeName, splitMapFlags } from '../../nic/profile/map-types.ts';

const recorded = JSON.parse(readFileSync(new URL('../fixtures/profiles/bpf-names.json', import.meta.url), 'utf8')) as {
  helpers: [string, number][];
  map_types: [string, number][];
  map_flags: [string, number][];
};

describe('kernel name tables', () => {
  it('helper names and ids equal __BPF_FUNC_MAPPER', () => {
    expect(Object.entries(HELPER_IDS)).toEqual(recorded.helpers);
    expect(HELPER_NAMES.length).toBe(recorded.helpers.length);
  });

  it('ids are dense from 0 and round-trip', () => {
    recorded.helpers.forEach(([name, id], i) => {
      expect(id).toBe(i);
      expect(helperName(id)).toBe(name);
      expect(helperId(name)).toBe(id);
    });
    expect(helperName(recorded.helpers.length)).toBeUndefined();
    expect(helperId('bpf_map_lookup_elem')).toBeUndefined();
    expect(isHelperName('xdp_adjust_tail')).toBe(true);
    expect(isHelperName('toString')).toBe(false);
  });

  it('well-known ids (include/uapi/linux/bpf.h)', () => {
    expect(HELPER_IDS.map_lookup_elem).toBe(1);
    expect(HELPER_IDS.tail_call).toBe(12);
    expect(HELPER_IDS.perf_event_output).toBe(25);
    expect(HELPER_IDS.xdp_adjust_head).toBe(44);
    expect(HELPER_IDS.redirect_map).toBe(51);
    expect(HELPER_IDS.xdp_adjust_tail).toBe(65);
  });

  it('map types and flags equal the header enums', () => {
    // The installed header may be older than the kernel nicsim models: its enums are a prefix of ours.
    expect(Object.entries(MAP_TYPE_IDS).slice(0, recorded.map_types.length)).toEqual(recorded.map_types);
    expect(Object.entries(MAP_FLAG_BITS).slice(0, recorded.map_flags.length)).toEqual(recorded.map_flags);
    expect(mapTypeName(1)).toBe('hash');
    expect(mapTypeName(2)).toBe('array');
    expect(splitMapFlags(0x81 | 0x80000000)).toEqual({ names: ['no_prealloc', 'rdonly_prog'], unknown: 0x80000000 });
  });
});
