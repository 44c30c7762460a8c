// The device-memory bound before maps are created (issue 13, item 11): a command that is given a
// profile and then creates the object's maps (a device run) first asks whether they fit the device
// (offload.maps: max_entries, total_elements, element size, memory_bytes) with the same rules the
// capability verifier applies (rules-maps.ts), so that a map's max_entries can never make nicsim
// allocate more than the profile's device memory. Pure arithmetic over the specs: nothing is allocated.
import { InputError } from '../errors.ts';
import type { ObjectSpec } from '../elf/index.ts';
import type { Profile } from '../../nic/profile/index.ts';
import { checkMaps } from './rules-maps.ts';

/** The codes of rules-maps.ts findings that bound the device's memory. */
const SIZE_CODES = new Set(['map.too_many_elements', 'map.element_too_large', 'map.key_too_large', 'map.value_too_large', 'map.memory']);

/**
 * Throws InputError `map.device_memory` (exit 3) for the first device map whose size breaks one of
 * the profile's size limits; maps of types the device does not hold are left to the caller.
 */
export function assertMapsFitDevice(spec: ObjectSpec, profile: Profile, profileName = 'the profile'): void {
  const all = new Set(spec.maps.map((_m, i) => i));
  const f = checkMaps(spec, profile, all).findings.find((x) => SIZE_CODES.has(x.code));
  if (f) throw new InputError('map.device_memory', `map ${f.map} does not fit the device of ${profileName}: ${f.text} [${f.key}: ${JSON.stringify(f.value)}]`, { file: spec.file });
}
