// Maps declared in the '.maps' section, described by BTF (libbpf's parse_btf_map_def): each variable
// of DATASEC '.maps' is a struct whose members encode the definition. Integer attributes are pointers
// to arrays whose length is the value (__uint(max_entries, 16) is `int (*max_entries)[16]`); key and
// value are pointers to the types (__type); '__array(values, ...)' declares the inner map of a
// map-in-map or the program type of a prog_array.

import { findByNameKind, sizeOf, skipModsAndTypedefs, typeById } from '../btf/resolve.ts';
import type { Btf, Member, StructType } from '../btf/types.ts';
import { InputError, isNicsimError } from '../errors.ts';
import type { Location } from '../errors.ts';
import type { ElfFile } from './file.ts';
import { isMapInMap, MAP_TYPE, mapTypeName } from './maptypes.ts';
import type { MapSpec } from './spec.ts';
import type { SectionHeader } from './types.ts';

interface MapDef {
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  numaNode: number;
  pinning: number;
  mapExtra: number;
  keyTypeId: number;
  valueTypeId: number;
  hasNuma: boolean;
  hasInner: boolean;
}

const emptyDef = (): MapDef => ({
  type: 0, keySize: 0, valueSize: 0, maxEntries: 0, flags: 0, numaNode: 0, pinning: 0, mapExtra: 0,
  keyTypeId: 0, valueTypeId: 0, hasNuma: false, hasInner: false,
});

/** A BTF map together with what `.rel.maps` needs to find it. */
export interface BtfMap {
  spec: MapSpec;
  /** Offset and size of the variable inside '.maps'. */
  varOffset: number;
  varSize: number;
  /** The definition struct (for locating the 'values' member). */
  def: StructType;
}

export function parseBtfMaps(elf: ElfFile, btf: Btf | undefined, sec: SectionHeader): BtfMap[] {
  const secLoc: Location = { file: elf.file, section: sec.name, offset: sec.headerOffset };
  if (!btf) throw new InputError('elf.btf_required', `section '.maps' declares maps with BTF, but the object has no .BTF section (compile with -g)`, secLoc);
  const ds = findByNameKind(btf, '.maps', 'datasec');
  if (!ds) throw new InputError('elf.bad_map', `BTF has no DATASEC '.maps' describing section '.maps'`, secLoc);
  const out: BtfMap[] = [];
  ds.vars.forEach((vi, i) => {
    const loc: Location = { file: elf.file, section: sec.name, offset: sec.offset + Math.min(vi.offset, sec.size) };
    out.push(withLoc(loc, () => parseOne(btf, sec, vi, i, loc)));
  });
  return out;
}

function parseOne(btf: Btf, sec: SectionHeader, vi: { type: number; offset: number; size: number }, i: number, loc: Location): BtfMap {
  const fail = (msg: string) => new InputError('elf.bad_map', msg, loc);
  const v = typeById(btf, vi.type);
  const name = v.name;
  if (!name) throw fail(`map #${i} in '.maps' has no name`);
  if (vi.offset + vi.size > sec.size) throw fail(`map '${name}': definition at offset ${vi.offset} (size ${vi.size}) lies outside '.maps' (size ${sec.size})`);
  if (v.kind !== 'var') throw fail(`map '${name}': DATASEC member is a ${v.kind.toUpperCase()}, expected VAR`);
  if (v.linkage !== 'global') throw fail(`map '${name}': unsupported map linkage ${v.linkage}`);
  const def = skipModsAndTypedefs(btf, v.type);
  if (def.kind !== 'struct') throw fail(`map '${name}': definition is a ${def.kind.toUpperCase()}, expected STRUCT`);
  if (def.size > vi.size) throw fail(`map '${name}': definition size ${def.size} exceeds its variable (${vi.size})`);
  const inner = emptyDef();
  const outer = parseMapDef(btf, name, def, emptyDef(), inner);
  const spec = toSpec(name, outer, loc);
  if (outer.hasInner) spec.inner = toSpec(`${name}.inner`, inner, loc);
  return { spec, varOffset: vi.offset, varSize: vi.size, def };
}

function withLoc<T>(loc: Location, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (isNicsimError(e)) throw e.at(loc);
    throw e;
  }
}

function toSpec(name: string, d: MapDef, loc: Location): MapSpec {
  const spec: MapSpec = {
    name,
    kernelName: name.slice(0, 15),
    type: d.type,
    typeName: mapTypeName(d.type),
    keySize: d.keySize,
    valueSize: d.valueSize,
    maxEntries: isRingbuf(d.type) ? adjustRingbufSize(d.maxEntries) : d.maxEntries,
    flags: d.flags,
    pinning: d.pinning === 1 ? 'by_name' : 'none',
    mapExtra: d.mapExtra,
    internal: null,
    readonly: false,
    frozen: false,
    initSlots: [],
    btfKeyTypeId: d.keyTypeId,
    btfValueTypeId: d.valueTypeId,
    definedIn: '.maps',
    location: loc,
  };
  if (d.hasNuma) spec.numaNode = d.numaNode;
  return spec;
}

const isRingbuf = (t: number) => t === MAP_TYPE.ringbuf || t === MAP_TYPE.user_ringbuf;

/** libbpf rounds ring buffer sizes up to a power-of-2 multiple of the page size (4 KiB here). */
function adjustRingbufSize(sz: number): number {
  const page = 4096;
  if (sz === 0) return 0;
  if (sz % page === 0 && isPow2(sz / page)) return sz;
  for (let mul = 1; mul <= Math.floor(0xffffffff / page); mul *= 2) if (mul * page > sz) return mul * page;
  return sz;
}
const isPow2 = (n: number) => n > 0 && (n & (n - 1)) === 0;

function fieldInt(btf: Btf, map: string, m: Member): number {
  const t = skipModsAndTypedefs(btf, m.type);
  if (t.kind !== 'ptr') throw new InputError('elf.bad_map', `map '${map}': attribute '${m.name}': expected PTR, got ${t.kind.toUpperCase()}`);
  const arr = typeById(btf, t.type);
  if (arr.kind !== 'array') throw new InputError('elf.bad_map', `map '${map}': attribute '${m.name}': expected ARRAY, got ${arr.kind.toUpperCase()}`);
  return arr.nelems;
}

function typedSize(btf: Btf, map: string, m: Member, what: 'key' | 'value'): { size: number; id: number } {
  const t = typeById(btf, m.type);
  if (t.kind !== 'ptr') throw new InputError('elf.bad_map', `map '${map}': ${what} spec is not PTR: ${t.kind.toUpperCase()}`);
  let size: number;
  try {
    size = sizeOf(btf, t.type);
  } catch (e) {
    if (isNicsimError(e)) throw new InputError('elf.bad_map', `map '${map}': can't determine ${what} size for type [${t.type}]: ${e.reason}`);
    throw e;
  }
  return { size, id: t.type };
}

function parseMapDef(btf: Btf, map: string, def: StructType, d: MapDef, inner: MapDef | undefined): MapDef {
  const isInner = inner === undefined;
  const bad = (msg: string) => new InputError('elf.bad_map', `map '${map}': ${msg}`);
  const setSize = (field: 'keySize' | 'valueSize', sz: number, what: string) => {
    if (d[field] && d[field] !== sz) throw bad(`conflicting ${what} size ${d[field]} != ${sz}`);
    d[field] = sz;
  };
  def.members.forEach((m, i) => {
    switch (m.name) {
      case 'type':
        d.type = fieldInt(btf, map, m);
        break;
      case 'max_entries':
        d.maxEntries = fieldInt(btf, map, m);
        break;
      case 'map_flags':
        d.flags = fieldInt(btf, map, m);
        break;
      case 'numa_node':
        d.numaNode = fieldInt(btf, map, m);
        d.hasNuma = true;
        break;
      case 'key_size':
        setSize('keySize', fieldInt(btf, map, m), 'key');
        break;
      case 'key': {
        const k = typedSize(btf, map, m, 'key');
        setSize('keySize', k.size, 'key');
        d.keyTypeId = k.id;
        break;
      }
      case 'value_size':
        setSize('valueSize', fieldInt(btf, map, m), 'value');
        break;
      case 'value': {
        const k = typedSize(btf, map, m, 'value');
        setSize('valueSize', k.size, 'value');
        d.valueTypeId = k.id;
        break;
      }
      case 'values': {
        const mim = isMapInMap(d.type);
        const pa = d.type === MAP_TYPE.prog_array;
        const desc = mim ? 'map-in-map inner' : 'prog-array value';
        if (isInner) throw bad('multi-level inner maps are not supported');
        if (i !== def.members.length - 1) throw bad(`'values' member should be last`);
        if (!mim && !pa) throw bad(`'values' is only allowed in map-in-map and prog_array maps, not ${mapTypeName(d.type)}`);
        setSize('valueSize', 4, 'value');
        const arr = typeById(btf, m.type);
        if (arr.kind !== 'array' || arr.nelems !== 0) throw bad(`${desc} spec is not a zero-sized array`);
        const ptr = skipModsAndTypedefs(btf, arr.type);
        if (ptr.kind !== 'ptr') throw bad(`${desc} def is of unexpected kind ${ptr.kind.toUpperCase()}`);
        const target = skipModsAndTypedefs(btf, ptr.type);
        if (pa) {
          if (target.kind !== 'func_proto') throw bad(`prog-array value def is of unexpected kind ${target.kind.toUpperCase()}`);
          break;
        }
        if (target.kind !== 'struct') throw bad(`map-in-map inner def is of unexpected kind ${target.kind.toUpperCase()}`);
        parseMapDef(btf, `${map}.inner`, target, inner!, undefined);
        d.hasInner = true;
        break;
      }
      case 'pinning': {
        if (isInner) throw bad(`inner map definition can't be pinned`);
        const val = fieldInt(btf, map, m);
        if (val !== 0 && val !== 1) throw bad(`invalid pinning value ${val}`);
        d.pinning = val;
        break;
      }
      case 'map_extra':
        d.mapExtra = fieldInt(btf, map, m);
        break;
      default:
        throw bad(`unknown field '${m.name}'`);
    }
  });
  if (d.type === 0) throw bad(`map type isn't specified`);
  return d;
}
