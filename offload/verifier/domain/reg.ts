// Register state (struct bpf_reg_state): a type with modifier flags, a fixed offset for pointers, and
// the scalar domain (tnum + u64/s64/u32/s32 bounds) describing a scalar's value or a pointer's
// variable offset. Registers are mutable and owned by one verifier state; copy with clone().
import { Tnum, TNUM_UNKNOWN } from './tnum.ts';
import { S32_MAX, S32_MIN, S64_MAX, S64_MIN, U32_MAX, U64_MAX } from './u64.ts';

/** Base register types (enum bpf_reg_type). */
export const T = {
  NOT_INIT: 0,
  SCALAR: 1,
  CTX: 2,
  MAP_PTR: 3,
  MAP_VALUE: 4,
  STACK: 5,
  PKT: 6,
  PKT_META: 7,
  PKT_END: 8,
  FLOW_KEYS: 9,
  SOCKET: 10,
  SOCK_COMMON: 11,
  TCP_SOCK: 12,
  TP_BUFFER: 13,
  XDP_SOCK: 14,
  BTF_ID: 15,
  MEM: 16,
  BUF: 17,
  FUNC: 18,
  MAP_KEY: 19,
  DYNPTR: 20,
} as const;

/** Type modifier flags (enum bpf_type_flag), above the base type byte. */
export const F = {
  MAYBE_NULL: 1 << 8,
  RDONLY: 1 << 9,
  RINGBUF: 1 << 10,
  USER: 1 << 11,
  PERCPU: 1 << 12,
  RCU: 1 << 13,
  UNTRUSTED: 1 << 14,
  TRUSTED: 1 << 15,
  ALLOC: 1 << 16,
  DYNPTR_XDP: 1 << 17,
} as const;

export const base = (t: number): number => t & 0xff;

const NAMES: Record<number, string> = {
  [T.NOT_INIT]: '?',
  [T.SCALAR]: 'scalar',
  [T.CTX]: 'ctx',
  [T.MAP_PTR]: 'map_ptr',
  [T.MAP_VALUE]: 'map_value',
  [T.STACK]: 'fp',
  [T.PKT]: 'pkt',
  [T.PKT_META]: 'pkt_meta',
  [T.PKT_END]: 'pkt_end',
  [T.FLOW_KEYS]: 'flow_keys',
  [T.SOCKET]: 'sock',
  [T.SOCK_COMMON]: 'sock_common',
  [T.TCP_SOCK]: 'tcp_sock',
  [T.TP_BUFFER]: 'tp_buffer',
  [T.XDP_SOCK]: 'xdp_sock',
  [T.BTF_ID]: 'ptr_',
  [T.MEM]: 'mem',
  [T.BUF]: 'buf',
  [T.FUNC]: 'func',
  [T.MAP_KEY]: 'map_key',
  [T.DYNPTR]: 'dynptr_ptr',
};

/** reg_type_str(): e.g. 'map_value_or_null', 'ringbuf_mem', 'trusted_ptr_'. */
export function typeStr(t: number): string {
  let prefix = '';
  if (t & F.RDONLY) prefix += 'rdonly_';
  if (t & F.RINGBUF) prefix += 'ringbuf_';
  if (t & F.USER) prefix += 'user_';
  if (t & F.PERCPU) prefix += 'percpu_';
  if (t & F.RCU) prefix += 'rcu_';
  if (t & F.UNTRUSTED) prefix += 'untrusted_';
  if (t & F.TRUSTED) prefix += 'trusted_';
  let postfix = '';
  if (t & F.MAYBE_NULL) postfix = base(t) === T.BTF_ID ? 'or_null_' : '_or_null';
  return prefix + (NAMES[base(t)] ?? '?') + postfix;
}

export const isPktPointer = (t: number): boolean => t === T.PKT || t === T.PKT_META;
export const isPktPointerAny = (t: number): boolean => t === T.PKT || t === T.PKT_META || t === T.PKT_END;
export const isSkPointer = (t: number): boolean =>
  t === T.SOCKET || t === T.SOCK_COMMON || t === T.TCP_SOCK || t === T.XDP_SOCK;
export const mayBeNull = (t: number): boolean => (t & F.MAYBE_NULL) !== 0;

/** Pointer types known not to be NULL (reg_not_null): the ones a NULL test could be decided for. */
export function regNotNull(r: Reg): boolean {
  const t = r.type;
  if (mayBeNull(t)) return false;
  const b = base(t);
  return (
    b === T.SOCKET ||
    b === T.TCP_SOCK ||
    b === T.MAP_VALUE ||
    b === T.MAP_KEY ||
    b === T.SOCK_COMMON ||
    (b === T.BTF_ID && (t & F.TRUSTED) !== 0) ||
    (b === T.MEM && (t & F.UNTRUSTED) === 0) ||
    b === T.MAP_PTR
  );
}

export class Reg {
  /** Base type | flags (T, F). */
  type: number;
  /** Fixed offset of a pointer (reg->off); for linked scalars the delta of rX += K. */
  off: number;
  var: Tnum;
  smin: bigint;
  smax: bigint;
  umin: bigint;
  umax: bigint;
  s32min: number;
  s32max: number;
  u32min: number;
  u32max: number;
  /** Identity for null-check / packet-range / linked-scalar propagation (BPF_ADD_CONST in bit 31). */
  id: number;
  refObjId: number;
  /** Packet pointers: proven readable bytes from the pointer's base (or AT/BEYOND_PKT_END < 0). */
  range: number;
  /** Map index (ObjectSpec.maps) for map_ptr / map_value / map_key; -1 otherwise. */
  map: number;
  /** Inner-map uid (map-in-map lookups). */
  mapUid: number;
  /** Readable bytes of a mem pointer. */
  memSize: number;
  /** Frame a stack pointer points into. */
  frameno: number;
  precise: boolean;
  /** Subprogram of a func pointer. */
  subprogno: number;
  /** BTF type name of a ptr_ register ('sock_common', 'bpf_htab', ...). */
  btf: string;
  /** Dynptr slots and dynptr_ptr registers: dynptr kind (1 local, 2 ringbuf, 4 xdp) and first slot. */
  dynptrType: number;
  dynptrFirst: boolean;
  /** Instruction index + 1 that last wrote the 32-bit subregister (0 = 64-bit write). */
  subregDef: number;

  /** A NOT_INIT register, or a copy of `src`. */
  constructor(src?: Reg) {
    if (src) {
      this.type = src.type;
      this.off = src.off;
      this.var = src.var;
      this.smin = src.smin;
      this.smax = src.smax;
      this.umin = src.umin;
      this.umax = src.umax;
      this.s32min = src.s32min;
      this.s32max = src.s32max;
      this.u32min = src.u32min;
      this.u32max = src.u32max;
      this.id = src.id;
      this.refObjId = src.refObjId;
      this.range = src.range;
      this.map = src.map;
      this.mapUid = src.mapUid;
      this.memSize = src.memSize;
      this.frameno = src.frameno;
      this.precise = src.precise;
      this.subprogno = src.subprogno;
      this.btf = src.btf;
      this.dynptrType = src.dynptrType;
      this.dynptrFirst = src.dynptrFirst;
      this.subregDef = src.subregDef;
    } else {
      this.type = T.NOT_INIT;
      this.off = 0;
      this.var = TNUM_UNKNOWN;
      this.smin = S64_MIN;
      this.smax = S64_MAX;
      this.umin = 0n;
      this.umax = U64_MAX;
      this.s32min = S32_MIN;
      this.s32max = S32_MAX;
      this.u32min = 0;
      this.u32max = U32_MAX;
      this.id = 0;
      this.refObjId = 0;
      this.range = 0;
      this.map = -1;
      this.mapUid = 0;
      this.memSize = 0;
      this.frameno = 0;
      this.precise = false;
      this.subprogno = 0;
      this.btf = '';
      this.dynptrType = 0;
      this.dynptrFirst = false;
      this.subregDef = 0;
    }
  }

  clone(): Reg {
    return new Reg(this);
  }

  /** Overwrite every field with src's (copy_register_state). */
  assign(src: Reg): void {
    this.type = src.type;
    this.off = src.off;
    this.var = src.var;
    this.smin = src.smin;
    this.smax = src.smax;
    this.umin = src.umin;
    this.umax = src.umax;
    this.s32min = src.s32min;
    this.s32max = src.s32max;
    this.u32min = src.u32min;
    this.u32max = src.u32max;
    this.id = src.id;
    this.refObjId = src.refObjId;
    this.range = src.range;
    this.map = src.map;
    this.mapUid = src.mapUid;
    this.memSize = src.memSize;
    this.frameno = src.frameno;
    this.precise = src.precise;
    this.subprogno = src.subprogno;
    this.btf = src.btf;
    this.dynptrType = src.dynptrType;
    this.dynptrFirst = src.dynptrFirst;
    this.subregDef = src.subregDef;
  }
}

/** Scalar linked by rX += K / rX -= K (the kernel's BPF_ADD_CONST64 / BPF_ADD_CONST32 id bits). */
export const ADD_CONST64 = 0x8000_0000;
export const ADD_CONST32 = 0x4000_0000;
/** Either flag: ids at or above this value carry one. */
export const ADD_CONST = ADD_CONST32;
/** The id without its BPF_ADD_CONST flags. */
export function idBase(id: number): number {
  return id % ADD_CONST32;
}
/** The BPF_ADD_CONST flags of an id (0, ADD_CONST32 or ADD_CONST64). */
export function idFlags(id: number): number {
  return id - (id % ADD_CONST32);
}
/** Packet pointer known to be at / beyond packet end (negative reg->range markers). */
export const AT_PKT_END = -1;
export const BEYOND_PKT_END = -2;
