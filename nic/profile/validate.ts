// Schema enforcement with ajv (allErrors, defaults filled in) and the translation of each ajv error
// into a located diagnostic: `configs/x.yaml:12:5: cores.count: must be >= 1`. The location is the
// text in the file of the extends chain that set the offending value (see extends.ts originOf).
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { originOf } from './extends.ts';
import { ProfileError, type ProfileDiagnostic } from './errors.ts';
import { profileSchema } from './schema.ts';
import { locate, type PathSeg, type Source } from './source.ts';

// Compiled on first use: compiling the schema takes tens of milliseconds, which commands that never read a
// profile (`--help`, disasm, the conformance plugin) should not pay at start-up.
let validateFn: ValidateFunction | undefined;

/** Validate (and fill defaults into) `merged` in place; throw ProfileError listing every problem. */
export function validateMerged(merged: Record<string, unknown>, chain: Source[]): void {
  validateFn ??= new Ajv2020({ allErrors: true, useDefaults: true, verbose: true, strict: true, allowUnionTypes: true }).compile(profileSchema);
  if (validateFn(merged)) return;
  const diags = toDiagnostics(validateFn.errors ?? [], merged, chain);
  throw new ProfileError(diags);
}

function splitPointer(ptr: string, data: unknown): PathSeg[] {
  if (!ptr) return [];
  const out: PathSeg[] = [];
  let cur: unknown = data;
  for (const raw of ptr.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const key: PathSeg = Array.isArray(cur) && /^\d+$/.test(seg) ? Number(seg) : seg;
    out.push(key);
    cur = cur !== null && typeof cur === 'object' ? (cur as Record<string | number, unknown>)[key] : undefined;
  }
  return out;
}

export function dotted(path: PathSeg[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${p}` : p;
  return s;
}

const NAMED_ENUMS: Record<string, string> = {
  helperName: 'helper name',
  mapType: 'map type',
  mapFlag: 'map flag',
  ctxField: 'xdp_md field',
  xdpAction: 'XDP action',
  region: 'memory region',
  kind: 'profile kind',
};

function enumKind(e: ErrorObject): string | undefined {
  const m = /\$defs\/(\w+)\//.exec(e.schemaPath);
  return m ? NAMED_ENUMS[m[1]!] : undefined;
}

function known(e: ErrorObject): string {
  const ps = e.parentSchema as { properties?: Record<string, unknown> } | undefined;
  const keys = ps?.properties ? Object.keys(ps.properties) : [];
  return keys.length ? ` (expected one of: ${keys.join(', ')})` : '';
}

function describe(e: ErrorObject, path: PathSeg[]): { reason: string; key?: string } | undefined {
  const p = e.params as Record<string, unknown>;
  const propertyName = (e as ErrorObject & { propertyName?: string }).propertyName;
  if (e.keyword === 'propertyNames') return undefined; // its inner error says which name
  if (propertyName !== undefined) {
    if (e.keyword === 'anyOf' || e.keyword === 'const') return undefined;
    const kind = enumKind(e) ?? 'key';
    return { key: propertyName, reason: `unknown ${kind} '${propertyName}'` };
  }
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const inIsa = path[0] === 'offload' && path[1] === 'isa';
      return { key, reason: `unknown ${inIsa ? 'ISA feature' : 'key'} '${key}'${known(e)}` };
    }
    case 'required':
      return { reason: `missing required key '${String(p.missingProperty)}'` };
    case 'enum': {
      const kind = enumKind(e);
      if (kind) return { reason: `unknown ${kind} ${typeof e.data === 'string' ? `'${e.data}'` : JSON.stringify(e.data)}` };
      return { reason: `must be one of: ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    }
    case 'type':
      return { reason: `must be ${String(p.type).split(',').join(' or ')} (got ${JSON.stringify(e.data)})` };
    default:
      return { reason: e.message ?? e.keyword };
  }
}

/** Diagnostics located and printed; the rest are counted in a last "... and M more" line. */
export const MAX_DIAGNOSTICS = 20;

/**
 * Located diagnostics of the first MAX_DIAGNOSTICS distinct problems (locating one walks the
 * document, so a profile with thousands of bad keys stays linear), sorted by position, then one
 * `... and M more` diagnostic for the rest.
 */
export function toDiagnostics(errors: ErrorObject[], data: unknown, chain: Source[], max = MAX_DIAGNOSTICS): ProfileDiagnostic[] {
  const out: ProfileDiagnostic[] = [];
  const seen = new Set<string>();
  let more = 0;
  for (const e of errors) {
    const path = splitPointer(e.instancePath, data);
    const d = describe(e, path);
    if (!d) continue;
    const full = d.key !== undefined ? [...path, d.key] : path;
    if (out.length >= max) {
      const id = `${dotted(full)}:${d.reason}`;
      if (!seen.has(id)) more++;
      seen.add(id);
      continue;
    }
    const src = originOf(chain, full);
    const at = d.key !== undefined ? locate(src, path, d.key) : locate(src, path);
    const diag: ProfileDiagnostic = { file: src.shown, line: at.line, col: at.col, path: dotted(full), reason: d.reason };
    const id = `${diag.path}:${diag.reason}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(diag);
  }
  out.sort((a, b) => (a.file === b.file ? a.line - b.line || a.col - b.col : a.file < b.file ? -1 : 1));
  if (more) {
    const last = out[out.length - 1]!;
    out.push({ file: last.file, line: last.line, col: last.col, path: '', reason: `... and ${more} more` });
  }
  return out;
}
