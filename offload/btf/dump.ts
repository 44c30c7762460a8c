// Text form of a Btf, line for line the format of `bpftool btf dump file X` (raw mode), so types can
// be inspected and compared with bpftool's view of the same object.

import type { Btf, BtfType } from './types.ts';

const KIND_LABEL: Record<BtfType['kind'], string> = {
  void: 'UNKN', int: 'INT', ptr: 'PTR', array: 'ARRAY', struct: 'STRUCT', union: 'UNION', enum: 'ENUM',
  fwd: 'FWD', typedef: 'TYPEDEF', volatile: 'VOLATILE', const: 'CONST', restrict: 'RESTRICT', func: 'FUNC',
  func_proto: 'FUNC_PROTO', var: 'VAR', datasec: 'DATASEC', float: 'FLOAT', decl_tag: 'DECL_TAG',
  type_tag: 'TYPE_TAG', enum64: 'ENUM64',
};

const q = (name: string) => `'${name || '(anon)'}'`;

export function formatBtfType(btf: Btf, t: BtfType): string {
  let s = `[${t.id}] ${KIND_LABEL[t.kind]} ${q(t.name)}`;
  switch (t.kind) {
    case 'void':
      break;
    case 'int': {
      const enc = t.signed ? 'SIGNED' : t.char ? 'CHAR' : t.bool ? 'BOOL' : '(none)';
      s += ` size=${t.size} bits_offset=${t.bitsOffset} nr_bits=${t.bits} encoding=${enc}`;
      break;
    }
    case 'ptr': case 'typedef': case 'volatile': case 'const': case 'restrict': case 'type_tag':
      s += ` type_id=${t.type}`;
      break;
    case 'array':
      s += ` type_id=${t.type} index_type_id=${t.indexType} nr_elems=${t.nelems}`;
      break;
    case 'struct': case 'union':
      s += ` size=${t.size} vlen=${t.members.length}`;
      for (const m of t.members) {
        s += `\n\t${q(m.name)} type_id=${m.type} bits_offset=${m.bitsOffset}`;
        if (m.bitfieldSize) s += ` bitfield_size=${m.bitfieldSize}`;
      }
      break;
    case 'enum':
      s += ` encoding=${t.signed ? 'SIGNED' : 'UNSIGNED'} size=${t.size} vlen=${t.values.length}`;
      for (const v of t.values) s += `\n\t${q(v.name)} val=${v.value}`;
      break;
    case 'enum64':
      s += ` encoding=${t.signed ? 'SIGNED' : 'UNSIGNED'} size=${t.size} vlen=${t.values.length}`;
      for (const v of t.values) {
        const u = (BigInt(v.hi) << 32n) | BigInt(v.lo);
        s += `\n\t${q(v.name)} val=${t.signed ? `${BigInt.asIntN(64, u)}LL` : `${u}ULL`}`;
      }
      break;
    case 'fwd':
      s += ` fwd_kind=${t.union ? 'union' : 'struct'}`;
      break;
    case 'func':
      s += ` type_id=${t.type} linkage=${t.linkage}`;
      break;
    case 'func_proto':
      s += ` ret_type_id=${t.returnType} vlen=${t.params.length}`;
      for (const p of t.params) s += `\n\t${q(p.name)} type_id=${p.type}`;
      break;
    case 'var':
      s += ` type_id=${t.type}, linkage=${t.linkage}`;
      break;
    case 'datasec':
      s += ` size=${t.size} vlen=${t.vars.length}`;
      for (const v of t.vars) {
        const vt = btf.types[v.type];
        s += `\n\ttype_id=${v.type} offset=${v.offset} size=${v.size} (${vt ? KIND_LABEL[vt.kind] : 'UNKN'} ${q(vt?.name ?? '')})`;
      }
      break;
    case 'float':
      s += ` size=${t.size}`;
      break;
    case 'decl_tag':
      s += ` type_id=${t.type} component_idx=${t.componentIdx}`;
      break;
  }
  return s;
}

/** All types but void, one per entry (multi-line for members), newline-terminated like bpftool. */
export function formatBtf(btf: Btf): string {
  return btf.types.slice(1).map((t) => `${formatBtfType(btf, t)}\n`).join('');
}
