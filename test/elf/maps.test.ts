// Map specs against what libbpf (libbpf.so.1) created in the kernel for the same object and what
// `bpftool map show` reports after `bpftool prog loadall`; legacy 'maps' definitions against the
// values written in legacy.c and the symbol table llvm-readobj shows.

import { describe, expect, it } from 'vitest';
import { loadObject } from '../../offload/elf/index.ts';
import type { MapSpec } from '../../offload/elf/index.ts';
import { MAP_FLAG, mapTypeName } from '../../offload/elf/maptypes.ts';
import { hex, kernelRecord, objectBytes, readobj } from './helpers.ts';

const load = (name: string) => loadObject(objectBytes(name), `${name}.o`, { allowUnsupported: true });
const byKernelName = (maps: MapSpec[], n: string) => maps.find((m) => m.kernelName === n);
/** bpf_map__name(): the C name of declared maps, libbpf's object-prefixed name of internal ones. */
const libbpfName = (m: MapSpec) => (m.internal ? m.kernelName : m.name);
const byLibbpfName = (maps: MapSpec[], n: string) => maps.find((m) => libbpfName(m) === n);
/**
 * Map types whose BTF key/value types the kernel refuses; libbpf then retries without BTF and
 * reports ids 0. The spec keeps the declared ids.
 */
const KERNEL_REFUSES_BTF = new Set(['array_of_maps', 'hash_of_maps', 'cpumap', 'devmap', 'devmap_hash', 'xskmap', 'prog_array']);

describe('maps.o: BTF-defined maps and global data', () => {
  const spec = load('maps');
  const rec = kernelRecord('maps');
  const lib = rec.libbpf.maps!;

  it('has the same maps as libbpf, in the same order', () => {
    expect(spec.maps.map(libbpfName)).toEqual(lib.map((m) => m.name));
  });

  it.each(lib.map((m) => [m.name, m] as const))('%s: type, sizes, entries, flags as libbpf', (n, m) => {
    const s = byLibbpfName(spec.maps, n)!;
    expect({ type: s.type, key: s.keySize, value: s.valueSize, max: s.maxEntries, flags: s.flags })
      .toEqual({ type: m.type, key: m.key_size, value: m.value_size, max: m.max_entries, flags: m.map_flags });
    if (m.btf_key_type_id === 0 && m.btf_value_type_id === 0 && KERNEL_REFUSES_BTF.has(s.typeName)) {
      expect(s.internal).toBeNull();
    } else {
      expect([s.btfKeyTypeId, s.btfValueTypeId]).toEqual([m.btf_key_type_id, m.btf_value_type_id]);
    }
    expect(s.typeName).toBe(mapTypeName(m.type));
    // The kernel adds BPF_F_RDONLY_PROG to every devmap itself.
    const devmap = s.typeName === 'devmap' || s.typeName === 'devmap_hash';
    expect(m.kernel_map_flags).toBe(s.flags | (devmap ? MAP_FLAG.RDONLY_PROG : 0));
    expect(s.initial ? hex(s.initial) : null).toBe(m.initial);
    if (m.inner) {
      expect(s.inner).toBeDefined();
      expect({ type: s.inner!.type, key: s.inner!.keySize, value: s.inner!.valueSize, max: s.inner!.maxEntries, flags: s.inner!.flags })
        .toEqual({ type: m.inner.type, key: m.inner.key_size, value: m.inner.value_size, max: m.inner.max_entries, flags: m.inner.map_flags });
    }
  });

  it('agrees with `bpftool map show` after `bpftool prog loadall`', () => {
    const shown = rec.bpftool!.maps;
    // bpftool lists the maps the programs use; inner_a and inner_b are only reachable through 'outer'.
    expect(spec.maps.map((m) => m.kernelName).filter((n) => !shown.some((b) => b.name === n))).toEqual(['inner_b', 'inner_a']);
    for (const b of shown) {
      const s = byKernelName(spec.maps, b.name)!;
      expect(s, b.name).toBeDefined();
      expect({ type: s.typeName, key: s.keySize, value: s.valueSize, max: s.maxEntries }).toEqual({ type: b.type, key: b.bytes_key, value: b.bytes_value, max: b.max_entries });
      // Flags the loader does not set: the kernel adds BPF_F_RDONLY_PROG to every devmap, and
      // bpftool 7.1 bundles libbpf 1.1.0, which made every internal map mmapable (libbpf 1.1.2, as
      // recorded above, only those with a non-static variable).
      let want = s.flags;
      if (s.typeName === 'devmap' || s.typeName === 'devmap_hash') want |= MAP_FLAG.RDONLY_PROG;
      if (s.internal) want |= MAP_FLAG.MMAPABLE;
      expect(b.flags, b.name).toBe(want);
      expect(Boolean(b.frozen), b.name).toBe(s.frozen);
    }
  });

  it('initialised prog_array and map-in-map slots are what the kernel holds after loading', () => {
    for (const m of lib.filter((x) => x.slots)) {
      const s = byLibbpfName(spec.maps, m.name)!;
      expect(s.initSlots.map((x) => ({ index: x.index, name: x.name })), m.name).toEqual(m.slots);
    }
    expect(spec.maps.find((m) => m.name === 'jump')!.initSlots.every((x) => x.kind === 'program')).toBe(true);
    expect(spec.maps.find((m) => m.name === 'outer')!.initSlots.every((x) => x.kind === 'map')).toBe(true);
  });

  it('internal maps: names, kinds, read-only .rodata, contents', () => {
    const internal = spec.maps.filter((m) => m.internal);
    expect(internal.map((m) => [m.name, m.kernelName, m.internal, m.readonly, m.frozen])).toEqual([
      ['.data', 'maps.data', 'data', false, false],
      ['.rodata', 'maps.rodata', 'rodata', true, true],
      ['.data.custom', '.data.custom', 'data', false, false],
      ['.bss', 'maps.bss', 'bss', false, false],
      ['.rodata.str1.1', '.rodata.str1.1', 'rodata', true, true],
    ]);
    const str = spec.maps.find((m) => m.name === '.rodata.str1.1')!;
    expect(new TextDecoder().decode(str.initial!)).toBe('nicsim says hello\0');
    // const volatile __u32 cfg_port = 4789 (0x12b5), __u8 cfg_mode = 2
    expect(hex(spec.maps.find((m) => m.name === '.rodata')!.initial!)).toBe('b512000002');
    for (const m of internal) expect([m.type, m.keySize, m.maxEntries]).toEqual([2, 4, 1]);
  });

  it('records pinning, numa node, where each map is defined', () => {
    const pinned = spec.maps.find((m) => m.name === 'nicsim_elf_pinned')!;
    expect(pinned.pinning).toBe('by_name');
    expect(pinned.numaNode).toBe(0);
    expect(spec.maps.find((m) => m.name === 'flows')!.pinning).toBe('none');
    const flows = spec.maps.find((m) => m.name === 'flows')!;
    expect(flows.definedIn).toBe('.maps');
    expect(flows.location.section).toBe('.maps');
    const sym = readobj('maps').Symbols.find((x) => x.Symbol.Name.Name === 'flows')!.Symbol;
    const sec = readobj('maps').Sections.find((x) => x.Section.Name.Name === '.maps')!.Section;
    expect(flows.location.offset).toBe(sec.Offset + sym.Value);
  });
});

describe('legacy.o: struct bpf_map_def in section "maps"', () => {
  const spec = load('legacy');

  it('libbpf 1.x refuses it (recorded), nicsim reads it like libbpf 0.x', () => {
    expect(kernelRecord('legacy').libbpf.open_errno).toBe(95); // EOPNOTSUPP
    expect(spec.maps.map((m) => [m.name, m.typeName, m.keySize, m.valueSize, m.maxEntries, m.flags, m.definedIn])).toEqual([
      ['legacy_hash', 'hash', 4, 8, 32, 0, 'maps'],
      ['legacy_array', 'percpu_array', 4, 4, 2, 0, 'maps'],
    ]);
  });

  it('reads the version section', () => {
    expect(spec.kernelVersion).toBe(0x060000);
  });
});

describe('nobtf.o: no BTF at all', () => {
  const spec = load('nobtf');
  const lib = kernelRecord('nobtf').libbpf.maps!;
  it('still has its global-data maps, without BTF ids or the mmapable flag', () => {
    expect(spec.btf).toBeUndefined();
    expect(spec.maps.map((m) => [m.kernelName, m.flags, m.valueSize, m.initial ? hex(m.initial) : null]))
      .toEqual(lib.map((m) => [m.name, m.map_flags, m.value_size, m.initial]));
  });
});
