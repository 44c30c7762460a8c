// Parser for a .BTF section: header, string section, then the type section, one btf_type record plus
// its kind-specific trailer at a time. Every record is checked (known kind, trailer inside the type
// section, names inside the string section, referenced type ids in range) and malformed input is an
// InputError 'btf.*' located at the absolute file offset.

import { ByteView } from '../elf/bytes.ts';
import type { ViewOrigin } from '../elf/bytes.ts';
import { BTF_MAGIC, KIND_BY_NUMBER, LINKAGES } from './types.ts';
import type { Btf, BtfType, Linkage } from './types.ts';

export interface BtfLocation {
  file: string;
  /** File offset of the .BTF section. */
  offset: number;
  section?: string;
}

/** The string section of a BTF blob; .BTF.ext records refer to it by offset. */
export class BtfStrings {
  readonly view: ByteView;
  constructor(view: ByteView) {
    this.view = view;
  }
  at(off: number, what: string): string {
    return this.view.cstring(off, what);
  }
}

export interface ParsedBtf {
  btf: Btf;
  strings: BtfStrings;
}

const HEADER_MIN = 24;
/** Upper bound on type count so a corrupted blob cannot exhaust memory. */
const MAX_TYPES = 1 << 20;

export function parseBtf(bytes: Uint8Array, loc: BtfLocation): ParsedBtf {
  const origin: ViewOrigin = { file: loc.file, base: loc.offset, domain: 'btf', section: loc.section ?? '.BTF' };
  const v = new ByteView(bytes, origin);
  const magic = v.u16(0, 'BTF magic');
  if (magic !== BTF_MAGIC) {
    const hint = magic === 0x9feb ? ' (big-endian BTF is not supported)' : '';
    throw v.error('bad_magic', `BTF magic 0x${magic.toString(16)} is not 0xeb9f${hint}`, 0);
  }
  const version = v.u8(2, 'BTF version');
  if (version !== 1) throw v.error('bad_version', `BTF version ${version} is not 1`, 2);
  const hdrLen = v.u32(4, 'BTF header length');
  if (hdrLen < HEADER_MIN) throw v.error('bad_header', `BTF header length ${hdrLen} is smaller than ${HEADER_MIN}`, 4);
  v.need(0, hdrLen, 'BTF header');
  const typeOff = v.u32(8, 'type_off');
  const typeLen = v.u32(12, 'type_len');
  const strOff = v.u32(16, 'str_off');
  const strLen = v.u32(20, 'str_len');
  if (typeOff % 4 !== 0) throw v.error('bad_header', `type section offset ${typeOff} is not 4-byte aligned`, 8);
  const types = v.slice(hdrLen + typeOff, typeLen, 'BTF type section');
  const strView = v.slice(hdrLen + strOff, strLen, 'BTF string section');
  if (strLen === 0 || strView.bytes[0] !== 0) throw v.error('bad_strings', 'BTF string section must start with an empty string', hdrLen + strOff);
  if (strView.bytes[strLen - 1] !== 0) throw v.error('bad_strings', 'BTF string section is not NUL-terminated', hdrLen + strOff + strLen - 1);
  const strings = new BtfStrings(strView);
  const list = parseTypes(types, strings);
  checkRefs(types, list.types, list.offsets);
  return { btf: { types: list.types, stringsSize: strLen }, strings };
}

function parseTypes(v: ByteView, s: BtfStrings): { types: BtfType[]; offsets: number[] } {
  const out: BtfType[] = [{ kind: 'void', id: 0, name: '' }];
  const offsets: number[] = [0];
  let o = 0;
  while (o < v.length) {
    const id = out.length;
    if (id > MAX_TYPES) throw v.error('bad_type', `more than ${MAX_TYPES} types`, o);
    const start = o;
    v.need(o, 12, `type [${id}] header`);
    const nameOff = v.u32(o);
    const info = v.u32(o + 4);
    const sizeOrType = v.u32(o + 8);
    o += 12;
    const vlen = info & 0xffff;
    const kindNo = (info >>> 24) & 0x1f;
    const kflag = (info >>> 31) === 1;
    const kind = KIND_BY_NUMBER[kindNo];
    const name = s.at(nameOff, `name of type [${id}]`);
    const need = (n: number, what: string) => v.need(o, n, `${what} of type [${id}]`);
    let t: BtfType;
    switch (kind) {
      case 'int': {
        need(4, 'INT encoding');
        const enc = v.u32(o);
        o += 4;
        const encoding = (enc >>> 24) & 0x0f;
        t = {
          kind, id, name, size: sizeOrType,
          signed: (encoding & 1) !== 0, char: (encoding & 2) !== 0, bool: (encoding & 4) !== 0,
          bitsOffset: (enc >>> 16) & 0xff, bits: enc & 0xff,
        };
        if (t.bits + t.bitsOffset > sizeOrType * 8 || sizeOrType > 16) {
          throw v.error('bad_type', `INT [${id}] '${name}': ${t.bits} bits at offset ${t.bitsOffset} do not fit in ${sizeOrType} byte(s)`, start);
        }
        break;
      }
      case 'ptr':
      case 'typedef':
      case 'volatile':
      case 'const':
      case 'restrict':
      case 'type_tag':
        t = { kind, id, name, type: sizeOrType };
        break;
      case 'array': {
        need(12, 'ARRAY info');
        t = { kind, id, name, type: v.u32(o), indexType: v.u32(o + 4), nelems: v.u32(o + 8) };
        o += 12;
        break;
      }
      case 'struct':
      case 'union': {
        need(12 * vlen, 'members');
        const members = [];
        for (let i = 0; i < vlen; i++, o += 12) {
          const raw = v.u32(o + 8);
          members.push({
            name: s.at(v.u32(o), `name of member ${i} of type [${id}]`),
            type: v.u32(o + 4),
            bitsOffset: kflag ? raw & 0xffffff : raw,
            bitfieldSize: kflag ? raw >>> 24 : 0,
          });
        }
        t = { kind, id, name, size: sizeOrType, members };
        break;
      }
      case 'enum': {
        need(8 * vlen, 'enumerators');
        const values = [];
        for (let i = 0; i < vlen; i++, o += 8) {
          const value = kflag ? v.i32(o + 4) : v.u32(o + 4);
          values.push({ name: s.at(v.u32(o), `name of enumerator ${i} of type [${id}]`), value });
        }
        t = { kind, id, name, size: sizeOrType, signed: kflag, values };
        break;
      }
      case 'enum64': {
        need(12 * vlen, 'enumerators');
        const values = [];
        for (let i = 0; i < vlen; i++, o += 12) {
          values.push({ name: s.at(v.u32(o), `name of enumerator ${i} of type [${id}]`), lo: v.u32(o + 4), hi: v.u32(o + 8) });
        }
        t = { kind, id, name, size: sizeOrType, signed: kflag, values };
        break;
      }
      case 'fwd':
        t = { kind, id, name, union: kflag };
        break;
      case 'func':
        t = { kind, id, name, type: sizeOrType, linkage: linkage(v, vlen, id, start) };
        break;
      case 'func_proto': {
        need(8 * vlen, 'parameters');
        const params = [];
        for (let i = 0; i < vlen; i++, o += 8) {
          params.push({ name: s.at(v.u32(o), `name of parameter ${i} of type [${id}]`), type: v.u32(o + 4) });
        }
        t = { kind, id, name, returnType: sizeOrType, params };
        break;
      }
      case 'var': {
        need(4, 'VAR linkage');
        const l = v.u32(o);
        o += 4;
        t = { kind, id, name, type: sizeOrType, linkage: linkage(v, l, id, start) };
        break;
      }
      case 'datasec': {
        need(12 * vlen, 'variables');
        const vars = [];
        for (let i = 0; i < vlen; i++, o += 12) vars.push({ type: v.u32(o), offset: v.u32(o + 4), size: v.u32(o + 8) });
        t = { kind, id, name, size: sizeOrType, vars };
        break;
      }
      case 'float':
        t = { kind, id, name, size: sizeOrType };
        break;
      case 'decl_tag': {
        need(4, 'DECL_TAG component index');
        t = { kind, id, name, type: sizeOrType, componentIdx: v.i32(o) };
        o += 4;
        break;
      }
      default:
        throw v.error('bad_kind', `type [${id}] has unknown BTF kind ${kindNo}`, start + 4);
    }
    out.push(t);
    offsets.push(start);
  }
  return { types: out, offsets };
}

function linkage(v: ByteView, n: number, id: number, at: number): Linkage {
  const l = LINKAGES[n];
  if (l === undefined) throw v.error('bad_type', `type [${id}] has invalid linkage ${n}`, at);
  return l;
}

/** Every type id a type refers to must exist (the kernel's and libbpf's sanity check). */
function checkRefs(v: ByteView, types: BtfType[], offsets: number[]): void {
  const n = types.length;
  const check = (t: BtfType, ref: number, what: string) => {
    if (ref >= n) throw v.error('bad_type_ref', `type [${t.id}] '${t.name}': ${what} refers to type [${ref}], but only ${n - 1} types exist`, offsets[t.id]!);
  };
  for (const t of types) {
    switch (t.kind) {
      case 'ptr': case 'typedef': case 'volatile': case 'const': case 'restrict': case 'type_tag':
      case 'func': case 'var': case 'decl_tag':
        check(t, t.type, 'its type');
        break;
      case 'array':
        check(t, t.type, 'its element type');
        check(t, t.indexType, 'its index type');
        break;
      case 'struct': case 'union':
        t.members.forEach((m, i) => check(t, m.type, `member ${i} '${m.name}'`));
        break;
      case 'func_proto':
        check(t, t.returnType, 'its return type');
        t.params.forEach((p, i) => check(t, p.type, `parameter ${i}`));
        break;
      case 'datasec':
        t.vars.forEach((x, i) => check(t, x.type, `variable ${i}`));
        break;
      default:
        break;
    }
  }
}
