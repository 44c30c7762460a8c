// `extends:` resolution. A profile names its base by a path relative to its own file; bases may
// extend further. The chain is merged base first:
//   - mappings merge key by key, recursively;
//   - lists and scalars (null included) in the derived file replace the inherited value whole;
//   - `extends` itself is not inherited.
// Cycles and missing targets are located at the `extends:` line that causes them.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InputError } from '../../offload/errors.ts';
import { displayPath, locate, readSource, type PathSeg, type Source } from './source.ts';

const MAX_DEPTH = 32;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Deep merge with the list semantics above; neither input is modified. */
export function mergeProfiles(base: unknown, derived: unknown): unknown {
  if (isPlainObject(base) && isPlainObject(derived)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(derived)) out[k] = k in base ? mergeProfiles(base[k], v) : structuredClone(v);
    return out;
  }
  return structuredClone(derived);
}

/** Files of the chain, base first, ending with `file`. */
export function resolveChain(file: string): Source[] {
  const chain: Source[] = [];
  const seen: string[] = [];
  let abs = resolve(file);
  for (;;) {
    const src = readSource(abs);
    chain.unshift(src);
    seen.push(abs);
    const value = src.value as Record<string, unknown>;
    if (!('extends' in value)) return chain;
    const ext = value.extends;
    const at = locate(src, ['extends']);
    const loc = { file: src.shown, line: at.line, col: at.col, path: 'extends' };
    if (typeof ext !== 'string' || ext.length === 0) {
      throw new InputError('profile.schema', 'must be a non-empty string (a path relative to this file)', loc);
    }
    const next = resolve(dirname(abs), ext);
    if (seen.includes(next)) {
      const cycle = [...seen.slice(seen.indexOf(next)), next].map(displayPath).join(' -> ');
      throw new InputError('profile.extends', `cycle: ${cycle}`, loc);
    }
    if (!existsSync(next)) {
      throw new InputError('profile.extends', `file not found: ${displayPath(next)}`, loc);
    }
    if (seen.length >= MAX_DEPTH) throw new InputError('profile.extends', `extends chain deeper than ${MAX_DEPTH}`, loc);
    abs = next;
  }
}

/** The merged value of a chain, without `extends`. */
export function mergeChain(chain: Source[]): Record<string, unknown> {
  let merged: unknown = {};
  for (const src of chain) merged = mergeProfiles(merged, src.value);
  const out = merged as Record<string, unknown>;
  delete out.extends;
  return out;
}

/** The most derived file of the chain that spells out `path` itself (the one that set the value). */
export function originOf(chain: Source[], path: PathSeg[]): Source {
  for (let i = chain.length - 1; i >= 0; i--) {
    const src = chain[i]!;
    if (path.length === 0 || src.doc.hasIn(path)) return src;
  }
  // Nobody spells it out (a default or a missing key): blame the nearest ancestor's owner.
  return path.length ? originOf(chain, path.slice(0, -1)) : chain[chain.length - 1]!;
}
