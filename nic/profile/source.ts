// One profile file parsed with positions: the YAML document (CST-backed nodes with byte ranges), a
// LineCounter to turn byte offsets into line:col, and the plain value. Paths inside the document are
// looked up here so that errors found later (schema, extends) can point at the text that caused them.
import { relative } from 'node:path';
import { isMap, isNode, isPair, isScalar, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import { InputError } from '../../offload/errors.ts';
import { readInputText } from '../../offload/input.ts';

export type PathSeg = string | number;

export interface Source {
  /** Absolute path. */
  abs: string;
  /** Path as shown in messages (relative to the working directory when shorter). */
  shown: string;
  doc: Document;
  lines: LineCounter;
  value: unknown;
}

export interface Position {
  line: number;
  col: number;
}

export function displayPath(abs: string): string {
  const rel = relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && rel.length < abs.length ? rel : abs;
}

export function readSource(abs: string): Source {
  const shown = displayPath(abs);
  const text = readInputText(abs, 'profile', { code: 'profile.read', what: 'profile', shown });
  const lines = new LineCounter();
  // uniqueKeys is checked here, not by the library (its check is quadratic in the keys of a map)
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const bad = doc.errors[0] ?? duplicateKey(doc);
  if (bad) {
    const pos = lines.linePos(bad.pos[0]);
    const reason = bad.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new InputError('profile.yaml', `YAML syntax error: ${reason}`, { file: shown, line: pos.line, col: pos.col });
  }
  const value = toValue(doc, lines, shown);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const pos = doc.contents && isNode(doc.contents) && doc.contents.range ? lines.linePos(doc.contents.range[0]) : { line: 1, col: 1 };
    throw new InputError('profile.schema', 'a profile must be a YAML mapping of keys', { file: shown, line: pos.line, col: pos.col });
  }
  return { abs, shown, doc, lines, value };
}

/** The first mapping key that is a collection or repeats an earlier key of its mapping, as a yaml-style error. */
function duplicateKey(doc: Document): { message: string; pos: [number, number] } | undefined {
  let found: { message: string; pos: [number, number] } | undefined;
  visit(doc, {
    Map(_k, map) {
      const keys = new Set<string>();
      for (const it of map.items) {
        if (!isScalar(it.key)) {
          // a mapping or sequence as a key (`? {a: b}`): profiles are keyed by names
          const at = (isNode(it.key) ? it.key.range?.[0] : undefined) ?? map.range?.[0] ?? 0;
          found = { message: 'a mapping key must be a plain name, not a collection', pos: [at, at + 1] };
          return visit.BREAK;
        }
        const k = `${typeof it.key.value}:${String(it.key.value)}`;
        if (keys.has(k)) {
          const at = it.key.range?.[0] ?? 0;
          found = { message: 'Map keys must be unique', pos: [at, at + 1] };
          return visit.BREAK;
        }
        keys.add(k);
      }
      return undefined;
    },
  });
  return found;
}

/** Most nodes an alias may expand to (the yaml library's guard against alias bombs). */
const MAX_ALIAS_COUNT = 100;

/**
 * The plain value of the document. The yaml library resolves aliases only here, and throws a plain
 * Error for an alias without its anchor or an alias bomb: both become located profile errors.
 */
function toValue(doc: Document, lines: LineCounter, shown: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as unknown;
  } catch (e) {
    const reason = (e as Error).message;
    const unresolved = /^Unresolved alias/.test(reason);
    // the first alias the error is about: the unresolved one, or for a bomb the first alias at all
    let at: number | undefined;
    visit(doc, {
      Alias(_k, node) {
        if (unresolved && node.resolve(doc) !== undefined) return undefined;
        at = node.range?.[0];
        return visit.BREAK;
      },
    });
    const pos = lines.linePos(at ?? 0);
    const what = unresolved ? `YAML alias without an anchor: ${reason.replace(/^.*: /, '*')}` : `YAML aliases expand too much (an alias bomb: at most ${MAX_ALIAS_COUNT} nodes per alias)`;
    throw new InputError('profile.yaml', what, { file: shown, line: pos.line, col: pos.col });
  }
}

function posOf(src: Source, node: Node | null | undefined): Position | undefined {
  if (!node || !node.range) return undefined;
  const p = src.lines.linePos(node.range[0]);
  return { line: p.line, col: p.col };
}

/** True when the document itself spells out `path` (not just inherits it). */
export function hasPath(src: Source, path: PathSeg[]): boolean {
  if (path.length === 0) return true;
  return src.doc.hasIn(path);
}

/**
 * Position of the value at `path`; with `key`, the position of that key inside the mapping at
 * `path`. Falls back to the nearest ancestor the document spells out.
 */
export function locate(src: Source, path: PathSeg[], key?: string): Position {
  for (let n = path.length; n >= 0; n--) {
    const p = path.slice(0, n);
    const node = (n === 0 ? src.doc.contents : src.doc.getIn(p, true)) as Node | null | undefined;
    if (!node) continue;
    if (key !== undefined && n === path.length && isMap(node)) {
      const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === key);
      const at = pair && isPair(pair) ? posOf(src, pair.key as Node) : undefined;
      if (at) return at;
    }
    // A mapping value: point at its key (the line that names it) when the value spans lines.
    if (n > 0 && isMap(node)) {
      const parent = (n === 1 ? src.doc.contents : src.doc.getIn(p.slice(0, -1), true)) as Node | null | undefined;
      if (parent && isMap(parent)) {
        const pair = parent.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === String(p[n - 1]));
        const at = pair && isPair(pair) ? posOf(src, pair.key as Node) : undefined;
        if (at) return at;
      }
    }
    const at = posOf(src, node);
    if (at) return at;
  }
  return { line: 1, col: 1 };
}
