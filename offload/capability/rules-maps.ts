// Map rules: can each map of the object be created on the device? A loader creates every map of the
// object on the device before any program loads, in ELF order, so every map counts — whether this
// program references it or not. Checks follow nfp_bpf_map_alloc() (offload.c): per map the first
// failing check is reported and only maps that fit consume the device's map and element budgets.
// One step comes before the driver when programs reach the device through the kernel's device-bound
// offload path (`offload.loader: kernel`): the kernel offloads only ARRAY and HASH maps and refuses
// other types with EINVAL without asking the driver (kernel/bpf/offload.c), so for those there is no
// driver message. A device with its own loader (`offload.loader: device`: hXDP, DPUs) takes whatever
// its profile lists.
import { mapTypeName, splitMapFlags } from '../../nic/profile/index.ts';
import type { MapTypeName } from '../../nic/profile/index.ts';
import type { ObjectSpec, MapSpec } from '../elf/index.ts';
import type { Profile } from '../../nic/profile/index.ts';
import type { FindingDraft } from './findings.ts';

/** One map of the object as the report shows it. */
export interface MapUse {
  name: string;
  type: string;
  key_size: number;
  value_size: number;
  max_entries: number;
  flags: number;
  /** Element size as the device measures it (`offload.maps.element_size`). */
  element_bytes: number;
  /** max_entries × element_bytes. */
  bytes: number;
  /** 'device', or 'host' for offload-neutral types (perf event arrays stay with the host). */
  placement: 'device' | 'host';
  /** The program references it (lddw of the map or of its value). */
  used: boolean;
  fits: boolean;
}

export interface MapTotals {
  /** Maps placed on the device that fit. */
  device_maps: number;
  /** Σ max_entries over device maps that fit. */
  elements: number;
  element_budget: number | null;
  /** Σ bytes over device maps that fit. */
  bytes: number;
  memory_bytes: number | null;
}

export interface MapCheck {
  maps: MapUse[];
  totals: MapTotals;
  findings: FindingDraft[];
}

const KERNEL_OFFLOADABLE: readonly MapTypeName[] = ['array', 'hash'];

/** Programs reach this device through the kernel's device-bound offload path (prog_ifindex). */
export function kernelOffloadPath(profile: Profile): boolean {
  return profile.kind === 'offload' && profile.offload.loader === 'kernel';
}

export function elementBytes(profile: Profile, m: Pick<MapSpec, 'keySize' | 'valueSize'>): number {
  const r8 = (n: number) => Math.ceil(n / 8) * 8;
  return profile.offload.maps.element_size === 'round8' ? r8(m.keySize) + r8(m.valueSize) : m.keySize + m.valueSize;
}

export function checkMaps(spec: ObjectSpec, profile: Profile, usedMaps: ReadonlySet<number>): MapCheck {
  const p = profile.offload.maps;
  const findings: FindingDraft[] = [];
  const maps: MapUse[] = [];
  const totals: MapTotals = { device_maps: 0, elements: 0, element_budget: p.total_elements, bytes: 0, memory_bytes: p.memory_bytes };
  const kernelPath = kernelOffloadPath(profile);

  spec.maps.forEach((m, i) => {
    const t = mapTypeName(m.type);
    const typeName = t ?? `type ${m.type}`;
    const el = elementBytes(profile, m);
    const use: MapUse = {
      name: m.name,
      type: typeName,
      key_size: m.keySize,
      value_size: m.valueSize,
      max_entries: m.maxEntries,
      flags: m.flags,
      element_bytes: el,
      bytes: m.maxEntries * el,
      placement: t && p.neutral_types.includes(t) ? 'host' : 'device',
      used: usedMaps.has(i),
      fits: true,
    };
    maps.push(use);
    if (use.placement === 'host') return;
    const fail = (d: Omit<FindingDraft, 'map'>) => {
      findings.push({ ...d, map: m.name });
      use.fits = false;
    };
    const where = `map ${m.name} (${typeName}, key ${m.keySize} B, value ${m.valueSize} B, ${m.maxEntries} entries)`;

    const kernelRefuses = kernelPath && (!t || !KERNEL_OFFLOADABLE.includes(t));
    const typeFinding = (): void =>
      fail({
        code: 'map.type',
        key: 'offload.maps.types',
        value: p.types,
        rule: `maps on the device must be of type: ${p.types.join(', ') || 'none'}`,
        text: `${where}: type ${typeName} cannot be placed on the device${kernelRefuses ? ' (the kernel offloads only array and hash maps: EINVAL)' : ''}`,
        ...(kernelRefuses ? {} : { nfp: 'map type not supported' }),
      });
    if (kernelRefuses) return typeFinding();
    const { names, unknown } = splitMapFlags(m.flags);
    const badFlags = names.filter((f) => !p.allowed_flags.includes(f));
    if (badFlags.length > 0 || unknown !== 0) {
      const shown = [...badFlags, ...(unknown ? [`0x${unknown.toString(16)}`] : [])].join(', ');
      return fail({ code: 'map.flags', key: 'offload.maps.allowed_flags', value: p.allowed_flags, rule: `map_flags may set only: ${p.allowed_flags.join(', ') || 'nothing (must be 0)'}`, text: `${where}: map_flags 0x${m.flags.toString(16)} sets ${shown}`, nfp: 'map flags are not supported' });
    }
    if (!t || !p.types.includes(t)) return typeFinding();
    if (p.max_maps !== null && totals.device_maps >= p.max_maps) {
      return fail({ code: 'map.too_many_maps', key: 'offload.maps.max_maps', value: p.max_maps, rule: `at most ${p.max_maps} maps on the device`, text: `${where}: the device already holds ${totals.device_maps} maps`, nfp: 'too many maps for a device' });
    }
    const perType = t ? p.max_entries_by_type[t] : undefined;
    const perMap = perType ?? p.max_entries;
    if (perMap !== null && m.maxEntries > perMap) {
      const key = perType !== undefined ? `offload.maps.max_entries_by_type.${t}` : 'offload.maps.max_entries';
      return fail({ code: 'map.too_many_elements', key, value: perMap, rule: `a ${typeName} map holds at most ${perMap} entries on the device`, text: `${where}: ${m.maxEntries} entries > ${perMap}` });
    }
    if (p.total_elements !== null) {
      const left = p.total_elements - totals.elements;
      if (m.maxEntries > left) {
        return fail({ code: 'map.too_many_elements', key: 'offload.maps.total_elements', value: p.total_elements, rule: `all device maps together hold at most ${p.total_elements} entries`, text: `${where}: ${m.maxEntries} entries, only ${left} left of ${p.total_elements}`, nfp: `map with too many elements: ${m.maxEntries}, left: ${left}` });
      }
    }
    if (p.max_element_size !== null && el > p.max_element_size) {
      return fail({ code: 'map.element_too_large', key: 'offload.maps.max_element_size', value: p.max_element_size, rule: `key + value (${p.element_size}) at most ${p.max_element_size} bytes`, text: `${where}: element ${el} B > ${p.max_element_size} B`, nfp: `map elements too large: ${el}, FW max element size (key+value): ${p.max_element_size}` });
    }
    if (p.max_key_size !== null && m.keySize > p.max_key_size) {
      return fail({ code: 'map.key_too_large', key: 'offload.maps.max_key_size', value: p.max_key_size, rule: `keys at most ${p.max_key_size} bytes`, text: `${where}: key ${m.keySize} B > ${p.max_key_size} B`, nfp: `map key size ${m.keySize}, FW max is ${p.max_key_size}` });
    }
    if (p.max_value_size !== null && m.valueSize > p.max_value_size) {
      return fail({ code: 'map.value_too_large', key: 'offload.maps.max_value_size', value: p.max_value_size, rule: `values at most ${p.max_value_size} bytes`, text: `${where}: value ${m.valueSize} B > ${p.max_value_size} B`, nfp: `map value size ${m.valueSize}, FW max is ${p.max_value_size}` });
    }
    if (p.memory_bytes !== null && totals.bytes + use.bytes > p.memory_bytes) {
      return fail({ code: 'map.memory', key: 'offload.maps.memory_bytes', value: p.memory_bytes, rule: `all device maps together occupy at most ${p.memory_bytes} bytes`, text: `${where}: ${use.bytes} B, only ${p.memory_bytes - totals.bytes} B left of ${p.memory_bytes}` });
    }
    totals.device_maps++;
    totals.elements += m.maxEntries;
    totals.bytes += use.bytes;
  });
  return { maps, totals, findings };
}
