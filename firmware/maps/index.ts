// Public surface of the maps: create / attach, the map classes, constants and errors.
// See base.ts for the shared-memory model and each type's file for its layout and locking.

export { createMap, attachMap, planMap, mapBytes, isBpfMap } from './create.ts';
export type { BpfMap, CreateOptions } from './create.ts';
export { BpfMapBase } from './base.ts';
export type { MapDescriptor, MapEntry, MapEnv, ProgUse } from './base.ts';
export { ArrayMap } from './array.ts';
export { HashMap } from './hashtab.ts';
export { LpmTrie } from './lpm.ts';
export { DevMap, CpuMap, XskMap, ProgArray, PerfEventArray } from './slots.ts';
export { RingBuf, BPF_RB_NO_WAKEUP, BPF_RB_FORCE_WAKEUP } from './ringbuf.ts';
export type { RingbufRecord } from './ringbuf.ts';
export { DevMapHash } from './devmap-hash.ts';
export { ArrayOfMaps, HashOfMaps } from './mapinmap.ts';
export { validateSpec } from './spec.ts';
export type { MapSpec, MapGeometry } from './spec.ts';
export { MapError, isMapError } from './errors.ts';
export { jhash } from './jhash.ts';
export {
  MapTypeId, MapFlag, Errno, Limits, BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK, mapTypeName,
} from './constants.ts';
export type { MapTypeName } from './constants.ts';
export { MAP_CAPS } from './caps.ts';
export type { MapCaps } from './caps.ts';
