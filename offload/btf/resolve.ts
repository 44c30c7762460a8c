// Type resolution over a parsed Btf: lookup by id, stripping modifiers and typedefs, sizes (libbpf's
// btf__resolve_size rules), member lookup and readable type names for diagnostics. Failures are
// InputErrors without a file location; callers add theirs with `.at(...)`.

import { InputError } from '../errors.ts';
import type { Btf, BtfType, Member, StructType } from './types.ts';

/** libbpf's MAX_RESOLVE_DEPTH: how many typedef/modifier/array hops are followed. */
const MAX_DEPTH = 32;

export function typeById(btf: Btf, id: number): BtfType {
  const t = btf.types[id];
  if (!t) throw new InputError('btf.bad_type_ref', `type [${id}] does not exist (${btf.types.length - 1} types)`);
  return t;
}

const MODIFIERS = new Set(['typedef', 'volatile', 'const', 'restrict', 'type_tag']);

/** Follows typedefs and CV/type-tag modifiers to the underlying type. */
export function skipModsAndTypedefs(btf: Btf, id: number): BtfType {
  let t = typeById(btf, id);
  for (let depth = 0; MODIFIERS.has(t.kind); depth++) {
    if (depth >= MAX_DEPTH) throw new InputError('btf.bad_type', `type [${id}]: modifier chain is too deep or cyclic`);
    t = typeById(btf, (t as { type: number }).type);
  }
  return t;
}

/** Size in bytes of a type, following typedefs, modifiers, variables and arrays. */
export function sizeOf(btf: Btf, id: number): number {
  let t = typeById(btf, id);
  let nelems = 1;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    switch (t.kind) {
      case 'int':
      case 'struct':
      case 'union':
      case 'enum':
      case 'enum64':
      case 'datasec':
      case 'float':
        return checked(id, t.size * nelems);
      case 'ptr':
        return checked(id, 8 * nelems);
      case 'typedef':
      case 'volatile':
      case 'const':
      case 'restrict':
      case 'type_tag':
      case 'var':
      case 'decl_tag':
        t = typeById(btf, t.type);
        break;
      case 'array':
        nelems *= t.nelems;
        if (nelems > 0xffffffff) throw new InputError('btf.bad_type', `type [${id}] is too large`);
        t = typeById(btf, t.type);
        break;
      default:
        throw new InputError('btf.unsized_type', `type [${id}] (${describe(btf, id)}) has no size: ${t.kind === 'void' ? 'void' : t.kind.toUpperCase()}`);
    }
  }
  throw new InputError('btf.bad_type', `type [${id}]: type chain is too deep or cyclic`);
}

function checked(id: number, n: number): number {
  if (n > 0xffffffff) throw new InputError('btf.bad_type', `type [${id}] is larger than 4 GiB`);
  return n;
}

/** The struct or union behind `id` (after typedefs/modifiers), or undefined. */
export function asStruct(btf: Btf, id: number): StructType | undefined {
  const t = skipModsAndTypedefs(btf, id);
  return t.kind === 'struct' || t.kind === 'union' ? t : undefined;
}

export function findMember(btf: Btf, structId: number, name: string): Member | undefined {
  return asStruct(btf, structId)?.members.find((m) => m.name === name);
}

/** A C-like spelling of a type for messages: 'struct flow_key', '__u32 *', 'int[4]'. */
export function describe(btf: Btf, id: number, depth = 0): string {
  const t = btf.types[id];
  if (!t) return `<type ${id}>`;
  if (depth > 8) return '...';
  const named = (prefix: string) => (t.name ? `${prefix}${t.name}` : `${prefix}(anon)`);
  switch (t.kind) {
    case 'void':
      return 'void';
    case 'int':
    case 'float':
    case 'typedef':
      return t.name;
    case 'struct':
      return named('struct ');
    case 'union':
      return named('union ');
    case 'enum':
    case 'enum64':
      return named('enum ');
    case 'fwd':
      return named(t.union ? 'union ' : 'struct ');
    case 'ptr':
      return `${describe(btf, t.type, depth + 1)} *`;
    case 'const':
    case 'volatile':
    case 'restrict':
      return `${t.kind} ${describe(btf, t.type, depth + 1)}`;
    case 'type_tag':
      return `${describe(btf, t.type, depth + 1)} __tag(${t.name})`;
    case 'array':
      return `${describe(btf, t.type, depth + 1)}[${t.nelems}]`;
    case 'func':
      return `func ${t.name}`;
    case 'func_proto':
      return `${describe(btf, t.returnType, depth + 1)} (*)(${t.params.map((p) => describe(btf, p.type, depth + 1)).join(', ')})`;
    case 'var':
      return `var ${t.name}`;
    case 'datasec':
      return `section ${t.name}`;
    case 'decl_tag':
      return `decl_tag ${t.name}`;
  }
}

/** Finds the first type of a kind with a given name (libbpf's btf__find_by_name_kind). */
export function findByNameKind<K extends BtfType['kind']>(btf: Btf, name: string, kind: K): OfKind<BtfType, K> | undefined {
  for (const t of btf.types) if (t.kind === kind && t.name === name) return t as OfKind<BtfType, K>;
  return undefined;
}

/** The member(s) of a type union whose `kind` can be K (StructType serves both 'struct' and 'union'). */
export type OfKind<T, K> = T extends { kind: infer X } ? (K extends X ? T : never) : never;
