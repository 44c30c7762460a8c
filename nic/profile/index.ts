// Hardware profiles: the YAML format (configs/README.md), its schema, the loader and the Profile type.
export type * from './types.ts';
export type { ProfileDiagnostic } from './errors.ts';
export { ProfileError, formatDiagnostic } from './errors.ts';
export { loadProfile, loadProfileDetailed, listShippedProfiles, SHIPPED_DIR, type ShippedProfile } from './load.ts';
export { profileSchema } from './schema.ts';
export { mergeProfiles } from './extends.ts';
export { MAP_TYPE_IDS, MAP_FLAG_BITS, mapTypeName, splitMapFlags, type MapTypeName, type MapFlagName } from './map-types.ts';
export * from './vocab.ts';
