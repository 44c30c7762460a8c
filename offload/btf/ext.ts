// Parser for .BTF.ext: per-ELF-section func_info, line_info and CO-RE relocation records
// (tools/lib/bpf/libbpf_internal.h, struct btf_ext_header). Instruction offsets stay as clang wrote
// them (bytes from the start of the ELF section); string offsets are resolved against .BTF's strings.

import { ByteView } from '../elf/bytes.ts';
import type { BtfLocation, BtfStrings } from './parse.ts';
import { BTF_MAGIC } from './types.ts';

export interface FuncInfoRecord {
  /** Byte offset of the function's first instruction inside its ELF section. */
  insnOff: number;
  typeId: number;
}

export interface LineInfoRecord {
  insnOff: number;
  file: string;
  /** The source line's text as clang recorded it. */
  text: string;
  line: number;
  col: number;
}

/** enum bpf_core_relo_kind */
export const CORE_RELO_KINDS = [
  'field_byte_offset',
  'field_byte_size',
  'field_exists',
  'field_signed',
  'field_lshift_u64',
  'field_rshift_u64',
  'type_id_local',
  'type_id_target',
  'type_exists',
  'type_size',
  'enumval_exists',
  'enumval_value',
  'type_matches',
] as const;
export type CoreReloKind = (typeof CORE_RELO_KINDS)[number];

export interface CoreReloRecord {
  insnOff: number;
  typeId: number;
  /** Access string, e.g. '0:1:2' (field path) or '0' (type-based). */
  access: string;
  kind: CoreReloKind;
  /** File offset of the record (diagnostics). */
  fileOffset: number;
}

export interface ExtSection<R> {
  /** ELF section the records describe. */
  section: string;
  records: R[];
}

export interface BtfExt {
  funcInfo: ExtSection<FuncInfoRecord>[];
  lineInfo: ExtSection<LineInfoRecord>[];
  coreRelos: ExtSection<CoreReloRecord>[];
}

export function parseBtfExt(bytes: Uint8Array, loc: BtfLocation, strings: BtfStrings): BtfExt {
  const v = new ByteView(bytes, { file: loc.file, base: loc.offset, domain: 'btf', section: loc.section ?? '.BTF.ext' });
  const magic = v.u16(0, 'BTF.ext magic');
  if (magic !== BTF_MAGIC) throw v.error('bad_magic', `.BTF.ext magic 0x${magic.toString(16)} is not 0xeb9f`, 0);
  const version = v.u8(2, 'BTF.ext version');
  if (version !== 1) throw v.error('bad_version', `.BTF.ext version ${version} is not 1`, 2);
  const hdrLen = v.u32(4, 'BTF.ext header length');
  if (hdrLen < 24) throw v.error('bad_header', `.BTF.ext header length ${hdrLen} is smaller than 24`, 4);
  v.need(0, hdrLen, '.BTF.ext header');
  const block = (offField: number, what: string): ByteView | undefined => {
    const off = v.u32(offField, `${what} offset`);
    const len = v.u32(offField + 4, `${what} length`);
    if (len === 0) return undefined;
    return v.slice(hdrLen + off, len, what);
  };
  const funcBlock = block(8, 'func_info');
  const lineBlock = block(16, 'line_info');
  const coreBlock = hdrLen >= 32 ? block(24, 'core_relo') : undefined;

  return {
    funcInfo: funcBlock ? sections(funcBlock, 8, 'func_info', strings, (b, o) => ({ insnOff: b.u32(o), typeId: b.u32(o + 4) })) : [],
    lineInfo: lineBlock
      ? sections(lineBlock, 16, 'line_info', strings, (b, o) => {
          const lineCol = b.u32(o + 12);
          return {
            insnOff: b.u32(o),
            file: strings.at(b.u32(o + 4), 'line_info file name'),
            text: strings.at(b.u32(o + 8), 'line_info source line'),
            line: lineCol >>> 10,
            col: lineCol & 0x3ff,
          };
        })
      : [],
    coreRelos: coreBlock
      ? sections(coreBlock, 16, 'core_relo', strings, (b, o) => {
          const kindNo = b.u32(o + 12);
          const kind = CORE_RELO_KINDS[kindNo];
          if (kind === undefined) throw b.error('bad_core_relo', `CO-RE relocation kind ${kindNo} is unknown`, o + 12);
          return {
            insnOff: b.u32(o),
            typeId: b.u32(o + 4),
            access: strings.at(b.u32(o + 8), 'CO-RE access string'),
            kind,
            fileOffset: b.origin.base + o,
          };
        })
      : [],
  };
}

function sections<R>(
  b: ByteView,
  minRec: number,
  what: string,
  strings: BtfStrings,
  rec: (b: ByteView, o: number) => R,
): ExtSection<R>[] {
  const recSize = b.u32(0, `${what} record size`);
  if (recSize < minRec || recSize % 4 !== 0) throw b.error('bad_ext', `${what} record size ${recSize} is invalid (minimum ${minRec}, multiple of 4)`, 0);
  const out: ExtSection<R>[] = [];
  let o = 4;
  while (o < b.length) {
    const nameOff = b.u32(o, `${what} section name`);
    const n = b.u32(o + 4, `${what} record count`);
    const section = strings.at(nameOff, `${what} section name`);
    if (n === 0) throw b.error('bad_ext', `${what} for section '${section}' has no records`, o + 4);
    o += 8;
    b.need(o, n * recSize, `${n} ${what} record(s) for section '${section}'`);
    const records: R[] = [];
    for (let i = 0; i < n; i++, o += recSize) records.push(rec(b, o));
    out.push({ section, records });
  }
  return out;
}
