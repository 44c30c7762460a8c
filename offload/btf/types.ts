// BTF types as plain data (include/uapi/linux/btf.h, Documentation/bpf/btf.rst). Names are resolved
// at parse time so a parsed Btf is self-contained and JSON-serialisable. Type id 0 is `void`.

export const BTF_MAGIC = 0xeb9f;

/** Kind numbers as encoded in btf_type.info bits 24..28. */
export const KIND_NUMBERS = {
  int: 1,
  ptr: 2,
  array: 3,
  struct: 4,
  union: 5,
  enum: 6,
  fwd: 7,
  typedef: 8,
  volatile: 9,
  const: 10,
  restrict: 11,
  func: 12,
  func_proto: 13,
  var: 14,
  datasec: 15,
  float: 16,
  decl_tag: 17,
  type_tag: 18,
  enum64: 19,
} as const;
export type BtfKind = keyof typeof KIND_NUMBERS;

export const KIND_BY_NUMBER: readonly (BtfKind | undefined)[] = (() => {
  const a: (BtfKind | undefined)[] = [];
  for (const [k, v] of Object.entries(KIND_NUMBERS)) a[v] = k as BtfKind;
  return a;
})();

export type Linkage = 'static' | 'global' | 'extern';
export const LINKAGES: readonly Linkage[] = ['static', 'global', 'extern'];

interface Base {
  id: number;
  /** '' for anonymous types. */
  name: string;
}

export interface VoidType extends Base { kind: 'void' }
export interface IntType extends Base {
  kind: 'int';
  size: number;
  signed: boolean;
  char: boolean;
  bool: boolean;
  bitsOffset: number;
  bits: number;
}
export interface PtrType extends Base { kind: 'ptr'; type: number }
export interface ArrayType extends Base { kind: 'array'; type: number; indexType: number; nelems: number }
export interface Member {
  name: string;
  type: number;
  /** Bit offset of the member inside the struct. */
  bitsOffset: number;
  /** Bitfield width in bits, 0 for a normal member. */
  bitfieldSize: number;
}
export interface StructType extends Base { kind: 'struct' | 'union'; size: number; members: Member[] }
export interface EnumValue { name: string; value: number }
export interface EnumType extends Base { kind: 'enum'; size: number; signed: boolean; values: EnumValue[] }
export interface Enum64Value {
  name: string;
  /** The 64-bit value as two unsigned halves (JSON-safe). */
  lo: number;
  hi: number;
}
export interface Enum64Type extends Base { kind: 'enum64'; size: number; signed: boolean; values: Enum64Value[] }
export interface FwdType extends Base { kind: 'fwd'; union: boolean }
export interface RefType extends Base { kind: 'typedef' | 'volatile' | 'const' | 'restrict' | 'type_tag'; type: number }
export interface FuncType extends Base { kind: 'func'; type: number; linkage: Linkage }
export interface Param { name: string; type: number }
export interface FuncProtoType extends Base { kind: 'func_proto'; returnType: number; params: Param[] }
export interface VarType extends Base { kind: 'var'; type: number; linkage: Linkage }
export interface VarSecinfo { type: number; offset: number; size: number }
export interface DatasecType extends Base { kind: 'datasec'; size: number; vars: VarSecinfo[] }
export interface FloatType extends Base { kind: 'float'; size: number }
export interface DeclTagType extends Base { kind: 'decl_tag'; type: number; componentIdx: number }

export type BtfType =
  | VoidType
  | IntType
  | PtrType
  | ArrayType
  | StructType
  | EnumType
  | Enum64Type
  | FwdType
  | RefType
  | FuncType
  | FuncProtoType
  | VarType
  | DatasecType
  | FloatType
  | DeclTagType;

export interface Btf {
  /** Indexed by type id; types[0] is void. */
  types: BtfType[];
  /** Size of the string section (diagnostics). */
  stringsSize: number;
}
