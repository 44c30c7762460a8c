// Public API of the BTF package: parse .BTF and .BTF.ext, resolve types.

export { parseBtf, BtfStrings } from './parse.ts';
export type { BtfLocation, ParsedBtf } from './parse.ts';
export { parseBtfExt, CORE_RELO_KINDS } from './ext.ts';
export type { BtfExt, CoreReloKind, CoreReloRecord, ExtSection, FuncInfoRecord, LineInfoRecord } from './ext.ts';
export { asStruct, describe, findByNameKind, findMember, sizeOf, skipModsAndTypedefs, typeById } from './resolve.ts';
export { formatBtf, formatBtfType } from './dump.ts';
export * from './types.ts';
