// Loading profiles: read the file and its extends chain, merge, validate against the schema (which
// fills in defaults) and return a typed Profile. Bad input throws InputError (exit 3) with a location:
// `profile.read`, `profile.yaml`, `profile.extends`, or ProfileError (`profile.schema`).
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mergeChain, resolveChain } from './extends.ts';
import type { LoadedProfile, Profile } from './types.ts';
import { validateMerged } from './validate.ts';

/** The folder of the profiles shipped with nicsim. */
export const SHIPPED_DIR = fileURLToPath(new URL('../../configs/', import.meta.url));

/** Load, merge and validate a profile; returns it with the files it came from. */
export function loadProfileDetailed(path: string): LoadedProfile {
  const chain = resolveChain(path);
  const merged = mergeChain(chain);
  validateMerged(merged, chain);
  return {
    profile: merged as unknown as Profile,
    file: chain[chain.length - 1]!.abs,
    chain: chain.map((s) => s.abs),
  };
}

/** Load, merge and validate a profile. */
export function loadProfile(path: string): Profile {
  return loadProfileDetailed(path).profile;
}

export interface ShippedProfile {
  /** File name without `.yaml`. */
  id: string;
  /** Absolute path. */
  file: string;
}

/** The profiles in configs/, sorted by file name. */
export function listShippedProfiles(): ShippedProfile[] {
  return readdirSync(SHIPPED_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ id: basename(f, '.yaml'), file: join(SHIPPED_DIR, f) }));
}
