// What a user-space loader changes in an object between opening and loading it, as libbpf lets it:
//   - a map's max_entries (bpf_map__set_max_entries), for objects that leave sizes to their loader
//     (max_entries 0, as xdp-tools' programs declare some maps);
//   - the initial value of a global variable of a data section, by its BTF variable name (what a
//     skeleton does with `skel->rodata->limit = 7` before load: `const volatile` configuration);
//   - which programs are loaded (bpf_program__set_autoload(false) for the others).
// And the check the kernel makes when the maps are created: a map left with max_entries 0 fails with
// EINVAL ("map 'flows': failed to create: Invalid argument(-22)", libbpf's words), except for the map
// types whose size the kernel or libbpf chooses. Every function returns a new ObjectSpec.
import { typeById, skipModsAndTypedefs } from '../btf/resolve.ts';
import type { BtfType, DatasecType } from '../btf/types.ts';
import { InputError, NicsimError, Exit } from '../errors.ts';
import { MAP_TYPE } from './maptypes.ts';
import type { MapSpec, ObjectSpec } from './spec.ts';

/** A loader setting that does not fit the object: unknown name, value out of range (exit 2). */
export class LoaderSettingError extends NicsimError {
  constructor(code: string, reason: string) {
    super(code, reason, {}, Exit.usage);
  }
}

/**
 * Map types whose max_entries may stay 0: libbpf sets perf_event_array to the number of possible
 * CPUs; the local-storage maps must have 0 (the kernel sizes them per object); struct_ops maps are
 * sized by libbpf.
 */
const SIZED_BY_LOADER_OR_KERNEL: ReadonlySet<number> = new Set(
  (['perf_event_array', 'sk_storage', 'inode_storage', 'task_storage', 'cgrp_storage', 'cgroup_storage', 'percpu_cgroup_storage', 'struct_ops'] as const).map(
    (n) => MAP_TYPE[n],
  ),
);

/** Throws the kernel's map-creation failure for the first map left with max_entries 0. */
export function checkMapSizes(spec: ObjectSpec): void {
  for (const m of spec.maps) {
    if (m.maxEntries !== 0 || m.internal !== null || SIZED_BY_LOADER_OR_KERNEL.has(m.type)) continue;
    throw new InputError(
      'load.map_size',
      `map '${m.name}': failed to create: Invalid argument(-22): max_entries is 0; the object leaves its size to the loader (--map-size ${m.name}=N)`,
      { file: spec.file, ...(m.location.section !== undefined ? { section: m.location.section } : {}) },
    );
  }
}

/** bpf_map__set_max_entries: `name` is the map's C name. */
export function setMaxEntries(spec: ObjectSpec, name: string, entries: number): ObjectSpec {
  const i = spec.maps.findIndex((m) => m.name === name && m.internal === null);
  if (i < 0) {
    const names = spec.maps.filter((m) => m.internal === null).map((m) => m.name);
    throw new LoaderSettingError('load.map_size.unknown', `--map-size: no map named '${name}' (maps: ${names.join(', ') || 'none'})`);
  }
  if (!Number.isInteger(entries) || entries < 1 || entries > 0xffffffff)
    throw new LoaderSettingError('load.map_size.range', `--map-size ${name}: max_entries must be an integer from 1 to 4294967295, not ${entries}`);
  const maps = spec.maps.slice();
  maps[i] = { ...maps[i]!, maxEntries: entries };
  return { ...spec, maps };
}

interface Global {
  map: number;
  offset: number;
  size: number;
  type: BtfType;
}

/** Every variable of every data section (the skeleton's rodata/data/bss members), by BTF name. */
function globals(spec: ObjectSpec): Map<string, Global> {
  const out = new Map<string, Global>();
  const btf = spec.btf;
  if (!btf) return out;
  spec.maps.forEach((m: MapSpec, mi) => {
    if (m.internal === null || m.internal === 'kconfig') return;
    const sec = btf.types.find((t): t is DatasecType => t.kind === 'datasec' && t.name === m.name);
    for (const v of sec?.vars ?? []) {
      const vt = typeById(btf, v.type);
      if (vt.kind !== 'var') continue;
      out.set(vt.name, { map: mi, offset: v.offset, size: v.size, type: skipModsAndTypedefs(btf, vt.type) });
    }
  });
  return out;
}

/** The bytes of `text` as a value of `g`'s type (integers, bools and enums), little-endian. */
function encodeValue(name: string, g: Global, text: string): Uint8Array {
  const t = g.type;
  let signed: boolean;
  let bits: number;
  let value: bigint | undefined;
  if (t.kind === 'int') {
    signed = t.signed;
    bits = t.bool ? 1 : t.size * 8;
    if (t.bool && (text === 'true' || text === 'false')) value = text === 'true' ? 1n : 0n;
  } else if (t.kind === 'enum') {
    signed = t.signed;
    bits = t.size * 8;
    const e = t.values.find((x) => x.name === text);
    if (e) value = BigInt(e.value);
  } else if (t.kind === 'enum64') {
    signed = t.signed;
    bits = t.size * 8;
    const e = t.values.find((x) => x.name === text);
    if (e) value = BigInt.asIntN(64, (BigInt(e.hi >>> 0) << 32n) | BigInt(e.lo >>> 0));
  } else {
    throw new LoaderSettingError('load.set.type', `--set ${name}: only integer, bool and enum variables can be set (this one is a ${t.kind})`);
  }
  if (value === undefined) {
    if (!/^-?(0x[0-9a-fA-F]+|\d+)$/.test(text)) throw new LoaderSettingError('load.set.value', `--set ${name}: '${text}' is not a number`);
    value = text.startsWith('-') ? -BigInt(text.slice(1)) : BigInt(text);
  }
  const lo = signed ? -(1n << BigInt(bits - 1)) : 0n;
  const hi = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  if (value < lo || value > hi)
    throw new LoaderSettingError('load.set.range', `--set ${name}: ${text} is out of range for ${bits === 1 ? 'a bool' : `${signed ? 'a signed' : 'an unsigned'} ${bits}-bit`} variable (${lo} to ${hi})`);
  const out = new Uint8Array(g.size);
  let u = BigInt.asUintN(g.size * 8, value);
  for (let i = 0; i < g.size; i++, u >>= 8n) out[i] = Number(u & 0xffn);
  return out;
}

/** A skeleton's write of a global before load: `name` is the BTF variable name. */
export function setGlobal(spec: ObjectSpec, name: string, text: string): ObjectSpec {
  const all = globals(spec);
  const g = all.get(name);
  if (!g) {
    const names = [...all.keys()].sort();
    const why = spec.btf ? `variables: ${names.join(', ') || 'none'}` : 'the object has no BTF';
    throw new LoaderSettingError('load.set.unknown', `--set: no global variable named '${name}' (${why})`);
  }
  const m = spec.maps[g.map]!;
  const initial = new Uint8Array(m.valueSize);
  if (m.initial) initial.set(m.initial.subarray(0, m.valueSize));
  initial.set(encodeValue(name, g, text), g.offset);
  const maps = spec.maps.slice();
  maps[g.map] = { ...m, initial };
  return { ...spec, maps };
}

/**
 * Only the programs in `keep` are loaded (bpf_program__set_autoload: true for them, false for the
 * others, whatever their section said), so neither the verifier nor a run considers the others.
 */
export function autoloadOnly(spec: ObjectSpec, keep: ReadonlySet<string>): ObjectSpec {
  return { ...spec, programs: spec.programs.map((p) => (p.autoload === keep.has(p.name) ? p : { ...p, autoload: keep.has(p.name) })) };
}
