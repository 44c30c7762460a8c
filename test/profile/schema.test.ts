// configs/schema.json is the schema object of nic/profile/schema.ts written out, and
// configs/README.md documents every key of it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { profileSchema } from '../../nic/profile/index.ts';

const root = new URL('../../configs/', import.meta.url);

type S = { properties?: Record<string, S>; additionalProperties?: S | boolean; items?: S };

function keyPaths(s: S, path: string, out: string[]): string[] {
  for (const [k, v] of Object.entries(s.properties ?? {})) {
    const p = path ? `${path}.${k}` : k;
    out.push(p);
    keyPaths(v, p, out);
  }
  if (s.additionalProperties && typeof s.additionalProperties === 'object' && s.additionalProperties.properties) {
    keyPaths(s.additionalProperties, `${path}.NAME`, out);
  }
  if (s.items?.properties) keyPaths(s.items, `${path}[]`, out);
  return out;
}

describe('profile schema', () => {
  it('configs/schema.json is up to date', () => {
    // Regenerate: npx tsx -e "import {profileSchema} from './nic/profile/schema.ts'; console.log(JSON.stringify(profileSchema, null, 2))" > configs/schema.json
    const onDisk = JSON.parse(readFileSync(new URL('schema.json', root), 'utf8'));
    expect(onDisk).toEqual(JSON.parse(JSON.stringify(profileSchema)));
  });

  it('configs/README.md documents every key', () => {
    const doc = readFileSync(new URL('README.md', root), 'utf8');
    const paths = keyPaths(profileSchema as S, '', []);
    expect(paths.length).toBeGreaterThan(150);
    const missing = paths.filter((p) => {
      if (doc.includes('`' + p + '`')) return false;
      const cut = p.lastIndexOf('.');
      if (cut < 0) return true;
      const parent = p.slice(0, cut);
      const last = p.slice(cut + 1).replace('[]', '');
      // A group row: the parent in backticks and the member named after it (`.w`, `.alu32`).
      return !(doc.includes('`' + parent) && new RegExp(`[\`.]${last}[\`\\s/]`).test(doc));
    });
    expect(missing).toEqual([]);
  });
});
