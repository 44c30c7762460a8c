// A small WebAssembly binary encoder: exactly what the eBPF translator emits, nothing more.
// `Code` appends instructions of one function body (LEB128 immediates, memargs, block types);
// `ModuleBuilder` assembles the sections (type, import, function, table, global, export, element,
// code) into module bytes. Opcode values are from the WebAssembly core specification (2.0) and the
// threads proposal (0xfe prefix, atomics on shared memory); bulk memory uses the 0xfc prefix.

export const I32 = 0x7f;
export const I64 = 0x7e;
export const F64 = 0x7c;
export type ValType = typeof I32 | typeof I64 | typeof F64;
const FUNCREF = 0x70;
const EMPTY = 0x40;

/** Plain (one-byte) opcodes used by the translator. */
export const OP = {
  unreachable: 0x00, block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, br_if: 0x0d,
  br_table: 0x0e, return: 0x0f, call: 0x10, call_indirect: 0x11, drop: 0x1a, select: 0x1b, f64_add: 0xa0,
  local_get: 0x20, local_set: 0x21, local_tee: 0x22, global_get: 0x23, global_set: 0x24,
  i32_load: 0x28, i64_load: 0x29, i32_load8_s: 0x2c, i32_load8_u: 0x2d, i32_load16_s: 0x2e, i32_load16_u: 0x2f,
  i64_load8_s: 0x30, i64_load8_u: 0x31, i64_load16_s: 0x32, i64_load16_u: 0x33, i64_load32_s: 0x34, i64_load32_u: 0x35,
  i32_store: 0x36, i64_store: 0x37, i32_store8: 0x3a, i32_store16: 0x3b, i64_store8: 0x3c, i64_store16: 0x3d, i64_store32: 0x3e,
  i32_const: 0x41, i64_const: 0x42,
  i32_eqz: 0x45, i32_eq: 0x46, i32_ne: 0x47, i32_lt_s: 0x48, i32_lt_u: 0x49, i32_gt_s: 0x4a, i32_gt_u: 0x4b,
  i32_le_s: 0x4c, i32_le_u: 0x4d, i32_ge_s: 0x4e, i32_ge_u: 0x4f,
  i64_eqz: 0x50, i64_eq: 0x51, i64_ne: 0x52, i64_lt_s: 0x53, i64_lt_u: 0x54, i64_gt_s: 0x55, i64_gt_u: 0x56,
  i64_le_s: 0x57, i64_le_u: 0x58, i64_ge_s: 0x59, i64_ge_u: 0x5a,
  i32_add: 0x6a, i32_sub: 0x6b, i32_mul: 0x6c, i32_div_s: 0x6d, i32_div_u: 0x6e, i32_rem_s: 0x6f, i32_rem_u: 0x70,
  i32_clz: 0x67, i32_and: 0x71, i32_or: 0x72, i32_xor: 0x73, i32_shl: 0x74, i32_shr_s: 0x75, i32_shr_u: 0x76, i32_rotl: 0x77,
  i64_add: 0x7c, i64_sub: 0x7d, i64_mul: 0x7e, i64_div_s: 0x7f, i64_div_u: 0x80, i64_rem_s: 0x81, i64_rem_u: 0x82,
  i64_and: 0x83, i64_or: 0x84, i64_xor: 0x85, i64_shl: 0x86, i64_shr_s: 0x87, i64_shr_u: 0x88, i64_rotl: 0x89,
  f64_load: 0x2b, i64_trunc_f64_s: 0xb0,
  i32_wrap_i64: 0xa7, i64_extend_i32_s: 0xac, i64_extend_i32_u: 0xad,
  i32_extend8_s: 0xc0, i32_extend16_s: 0xc1, i64_extend8_s: 0xc2, i64_extend16_s: 0xc3, i64_extend32_s: 0xc4,
} as const;

/** Atomic opcodes (after the 0xfe prefix). */
export const ATOMIC = {
  fence: 0x03,
  i32_load: 0x10, i64_load: 0x11, i64_load8_u: 0x14, i64_load16_u: 0x15, i64_load32_u: 0x16,
  i64_store: 0x18, i64_store8: 0x1b, i64_store16: 0x1c, i64_store32: 0x1d,
  i64_rmw_add: 0x1f, i64_rmw32_add_u: 0x24, i64_rmw_and: 0x2d, i64_rmw32_and_u: 0x32,
  i64_rmw_or: 0x34, i64_rmw32_or_u: 0x39, i64_rmw_xor: 0x3b, i64_rmw32_xor_u: 0x40,
  i64_rmw_xchg: 0x42, i64_rmw32_xchg_u: 0x47, i64_rmw_cmpxchg: 0x49, i64_rmw32_cmpxchg_u: 0x4e,
  i32_rmw_cmpxchg: 0x48, i32_store: 0x17, i32_rmw_add: 0x1e, i32_rmw_sub: 0x25,
} as const;

function uleb(out: number[], v: number): void {
  let x = v >>> 0;
  for (;;) {
    const b = x & 0x7f;
    x >>>= 7;
    if (x === 0) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

function sleb32(out: number[], v: number): void {
  let x = v | 0;
  for (;;) {
    const b = x & 0x7f;
    x >>= 7;
    if ((x === 0 && (b & 0x40) === 0) || (x === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

function sleb64(out: number[], v: bigint): void {
  let x = BigInt.asIntN(64, v);
  for (;;) {
    const b = Number(x & 0x7fn);
    x >>= 7n;
    if ((x === 0n && (b & 0x40) === 0) || (x === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

function name(out: number[], s: string): void {
  const b = Buffer.from(s, 'utf8');
  uleb(out, b.length);
  for (const x of b) out.push(x);
}

function vec(out: number[], items: readonly number[][]): void {
  uleb(out, items.length);
  for (const it of items) for (const x of it) out.push(x);
}

/** The instruction stream of one function body. */
export class Code {
  readonly bytes: number[] = [];
  /** Structured blocks open at this point of the body (block / loop / if opened by `open`, closed by `end`). */
  depth = 0;

  op(o: number): this {
    this.bytes.push(o);
    return this;
  }
  /** block / loop / if with an optional result type. */
  open(o: typeof OP.block | typeof OP.loop | typeof OP.if, result?: ValType): this {
    this.bytes.push(o, result ?? EMPTY);
    this.depth++;
    return this;
  }
  end(): this {
    this.bytes.push(OP.end);
    this.depth--;
    return this;
  }
  br(o: typeof OP.br | typeof OP.br_if, depth: number): this {
    this.bytes.push(o);
    uleb(this.bytes, depth);
    return this;
  }
  idx(o: number, i: number): this {
    this.bytes.push(o);
    uleb(this.bytes, i);
    return this;
  }
  get(l: number): this {
    return this.idx(OP.local_get, l);
  }
  set(l: number): this {
    return this.idx(OP.local_set, l);
  }
  tee(l: number): this {
    return this.idx(OP.local_tee, l);
  }
  i32(v: number): this {
    this.bytes.push(OP.i32_const);
    sleb32(this.bytes, v);
    return this;
  }
  i64(v: number | bigint): this {
    this.bytes.push(OP.i64_const);
    sleb64(this.bytes, typeof v === 'bigint' ? v : BigInt(v));
    return this;
  }
  /** f64.const (cycle accounting). */
  f64(v: number): this {
    this.bytes.push(0x44);
    const b = new Uint8Array(new Float64Array([v]).buffer);
    for (const x of b) this.bytes.push(x);
    return this;
  }
  /** A load or store with its memarg (log2 alignment, constant offset). */
  mem(o: number, align: number, offset = 0): this {
    this.bytes.push(o);
    uleb(this.bytes, align);
    uleb(this.bytes, offset);
    return this;
  }
  atomic(o: number, align: number, offset = 0): this {
    this.bytes.push(0xfe, o);
    if (o === ATOMIC.fence) this.bytes.push(0);
    else {
      uleb(this.bytes, align);
      uleb(this.bytes, offset);
    }
    return this;
  }
  callIndirect(type: number, table = 0): this {
    this.bytes.push(OP.call_indirect);
    uleb(this.bytes, type);
    uleb(this.bytes, table);
    return this;
  }
  brTable(depths: readonly number[], dflt: number): this {
    this.bytes.push(OP.br_table);
    uleb(this.bytes, depths.length);
    for (const d of depths) uleb(this.bytes, d);
    uleb(this.bytes, dflt);
    return this;
  }
  memoryFill(): this {
    this.bytes.push(0xfc, 11, 0);
    return this;
  }
  memoryCopy(): this {
    this.bytes.push(0xfc, 10, 0, 0);
    return this;
  }
}

export interface FuncType {
  params: ValType[];
  results: ValType[];
}

interface Func {
  type: number;
  locals: ValType[];
  code: Code;
}

/** Assembles a module: one shared memory import, function imports, functions, a funcref table. */
export class ModuleBuilder {
  private readonly types: FuncType[] = [];
  private readonly imports: number[][] = [];
  private importedFuncs = 0;
  private readonly funcs: Func[] = [];
  private readonly globals: number[][] = [];
  private importedGlobals = 0;
  private readonly exports: number[][] = [];
  private table: number[] = [];

  type(t: FuncType): number {
    const i = this.types.findIndex((x) => x.params.join() === t.params.join() && x.results.join() === t.results.join());
    if (i >= 0) return i;
    this.types.push(t);
    return this.types.length - 1;
  }

  /** Imports `env.<field>` as a function; returns its function index. Imports come before functions. */
  importFunc(field: string, t: FuncType): number {
    if (this.funcs.length) throw new Error('function imports must precede functions');
    const b: number[] = [];
    name(b, 'env');
    name(b, field);
    b.push(0x00);
    uleb(b, this.type(t));
    this.imports.push(b);
    return this.importedFuncs++;
  }

  /** Imports `env.<field>` as a shared memory of `min`..`max` 64 KiB pages. */
  importSharedMemory(field: string, min: number, max: number): void {
    const b: number[] = [];
    name(b, 'env');
    name(b, field);
    b.push(0x02, 0x03);
    uleb(b, min);
    uleb(b, max);
    this.imports.push(b);
  }

  /** Imports an immutable i32 global; returns its global index. */
  importGlobal(field: string): number {
    if (this.globals.length) throw new Error('global imports must precede globals');
    const b: number[] = [];
    name(b, 'env');
    name(b, field);
    b.push(0x03, I32, 0x00);
    this.imports.push(b);
    return this.importedGlobals++;
  }

  /** A mutable i32 global initialised to `init`. */
  global(init: number): number {
    const b: number[] = [I32, 0x01, OP.i32_const];
    sleb32(b, init);
    b.push(OP.end);
    this.globals.push(b);
    return this.importedGlobals + this.globals.length - 1;
  }

  /** A mutable f64 global initialised to 0 (cycle accounting). */
  globalF64(): number {
    this.globals.push([F64, 0x01, 0x44, 0, 0, 0, 0, 0, 0, 0, 0, OP.end]);
    return this.importedGlobals + this.globals.length - 1;
  }

  exportGlobal(field: string, index: number): void {
    const b: number[] = [];
    name(b, field);
    b.push(0x03);
    uleb(b, index);
    this.exports.push(b);
  }

  /** Declares a function (its body can be filled later); returns its function index. */
  func(t: FuncType, locals: ValType[] = []): { index: number; code: Code; locals: ValType[] } {
    const f: Func = { type: this.type(t), locals, code: new Code() };
    this.funcs.push(f);
    return { index: this.importedFuncs + this.funcs.length - 1, code: f.code, locals };
  }

  exportFunc(field: string, index: number): void {
    const b: number[] = [];
    name(b, field);
    b.push(0x00);
    uleb(b, index);
    this.exports.push(b);
  }

  /** The funcref table (table 0), filled with these function indices in order. */
  setTable(funcs: number[]): void {
    this.table = funcs;
  }

  private section(out: number[], id: number, body: number[]): void {
    out.push(id);
    uleb(out, body.length);
    for (const x of body) out.push(x);
  }

  build(): Uint8Array {
    const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const types = this.types.map((t) => {
      const b = [0x60];
      uleb(b, t.params.length);
      b.push(...t.params);
      uleb(b, t.results.length);
      b.push(...t.results);
      return b;
    });
    const s1: number[] = [];
    vec(s1, types);
    this.section(out, 1, s1);
    const s2: number[] = [];
    vec(s2, this.imports);
    this.section(out, 2, s2);
    const s3: number[] = [];
    vec(s3, this.funcs.map((f) => {
      const b: number[] = [];
      uleb(b, f.type);
      return b;
    }));
    this.section(out, 3, s3);
    if (this.table.length) {
      const s4: number[] = [1, FUNCREF, 0x00];
      uleb(s4, this.table.length);
      this.section(out, 4, s4);
    }
    if (this.globals.length) {
      const s6: number[] = [];
      vec(s6, this.globals);
      this.section(out, 6, s6);
    }
    const s7: number[] = [];
    vec(s7, this.exports);
    this.section(out, 7, s7);
    if (this.table.length) {
      const s9: number[] = [1, 0x00, OP.i32_const, 0, OP.end];
      uleb(s9, this.table.length);
      for (const f of this.table) uleb(s9, f);
      this.section(out, 9, s9);
    }
    const s10: number[] = [];
    uleb(s10, this.funcs.length);
    for (const f of this.funcs) {
      const body: number[] = [];
      // Locals run-length encoded by type.
      const runs: [number, ValType][] = [];
      for (const t of f.locals) {
        const last = runs[runs.length - 1];
        if (last && last[1] === t) last[0]++;
        else runs.push([1, t]);
      }
      uleb(body, runs.length);
      for (const [n, t] of runs) {
        uleb(body, n);
        body.push(t);
      }
      for (const x of f.code.bytes) body.push(x);
      body.push(OP.end);
      uleb(s10, body.length);
      for (const x of body) s10.push(x);
    }
    this.section(out, 10, s10);
    return Uint8Array.from(out);
  }
}
