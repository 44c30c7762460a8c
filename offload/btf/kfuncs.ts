// The kernel's kfuncs (kernel functions BPF programs may call), as recorded from Linux 6.18's BTF and
// verifier by test/kernel/record-kfuncs.py into test/fixtures/kfuncs/xdp-kfuncs.json: name, BTF id in
// that kernel, prototype (parameter names carry the kernel's __sz / __k / __uninit / __opt / __nullable
// suffixes), KF_* flags, and whether an XDP program may call it (the verifier's own verdict). The loader
// resolves `__ksym` function externs against this table as libbpf resolves them against vmlinux BTF;
// the verifier, the capability verifier and the engines' kfunc table key everything by the BTF id.
import recorded from '../../test/fixtures/kfuncs/xdp-kfuncs.json' with { type: 'json' };

export type KfuncFlag =
  | 'KF_ACQUIRE' | 'KF_RELEASE' | 'KF_RET_NULL' | 'KF_TRUSTED_ARGS' | 'KF_SLEEPABLE' | 'KF_DESTRUCTIVE'
  | 'KF_RCU' | 'KF_RCU_PROTECTED' | 'KF_ITER_NEW' | 'KF_ITER_NEXT' | 'KF_ITER_DESTROY' | 'KF_FASTCALL'
  | 'KF_ARENA_RET' | 'KF_ARENA_ARG2';

/** What a pointer parameter or return value points to (modifiers and typedefs skipped). */
export interface KfuncPointee {
  /** btf_type_str of the pointee: 'STRUCT', 'UNION', 'INT', 'ENUM', 'VOID', 'PTR', 'FUNC_PROTO', ... */
  kind: string;
  name: string;
  /** btf_resolve_size, null where it cannot be determined (void). */
  size: number | null;
  /** An INT or ENUM. */
  scalar: boolean;
  /** __btf_type_is_scalar_struct: a struct made (recursively, 3 levels) of scalars and scalar arrays. */
  scalarStruct: boolean;
  /** What the kernel logs while deciding scalarStruct ("max struct nesting depth exceeded"). */
  scalarStructLog: string[];
  /** The struct at offset 0 of a struct pointee (btf_struct_ids_match walks into it), or null. */
  firstMember: string | null;
}

export interface KfuncParam {
  /** Parameter name as in BTF, with its suffix (e.g. 'tuple__sz', 'buffer__szk', 'ptr__uninit'). */
  name: string;
  /** C spelling of its type ('struct xdp_md *', 'u32', 'const struct bpf_dynptr *'). */
  type: string;
  /** Bytes of the parameter value (8 for pointers). */
  size: number;
  /** Pointers: the pointee. */
  pointee?: KfuncPointee;
  /** Non-pointers: an INT or ENUM. */
  scalar?: boolean;
}

export interface Kfunc {
  name: string;
  /** BTF object it lives in ('vmlinux' or a module) and its FUNC id there. */
  btf: string;
  btfId: number;
  prototype: string;
  ret: string;
  retSize: number;
  params: KfuncParam[];
  /** A pointer return value's pointee, null otherwise. */
  retPointee: KfuncPointee | null;
  /** The kernel lets XDP programs call it (null: not probed, e.g. a module kfunc). */
  xdp: boolean | null;
  /** The kernel's answer to a call with all-zero arguments (null: it loaded). */
  kernelMessage: string | null;
  /** KF_* flags (from the registration tables); null for kfuncs XDP may not call. */
  flags: KfuncFlag[] | null;
}

interface RecordedPointee {
  kind: string;
  name: string;
  size: number | null;
  scalar: boolean;
  scalar_struct: boolean;
  scalar_struct_log: string[];
  first_member: string | null;
}

interface RecordedParam {
  name: string;
  type: string;
  size: number;
  pointee?: RecordedPointee;
  scalar?: boolean;
}

const pointee = (p: RecordedPointee): KfuncPointee => ({
  kind: p.kind,
  name: p.name,
  size: p.size,
  scalar: p.scalar,
  scalarStruct: p.scalar_struct,
  scalarStructLog: p.scalar_struct_log,
  firstMember: p.first_member,
});

interface RecordedRow {
  name: string;
  btf: string;
  btf_id: number;
  prototype: string;
  ret: string;
  ret_size: number;
  params: RecordedParam[];
  ret_pointee: RecordedPointee | null;
  xdp: boolean | null;
  kernel_message?: string | null;
  flags?: string[] | null;
}

/** The kernel the table was recorded from (uname -r). */
export const KFUNC_KERNEL: string = recorded.kernel;

const ALL: readonly Kfunc[] = Object.freeze(
  (recorded.kfuncs as RecordedRow[]).map((r) => ({
    name: r.name,
    btf: r.btf,
    btfId: r.btf_id,
    prototype: r.prototype,
    ret: r.ret,
    retSize: r.ret_size,
    params: r.params.map((p) => {
      const q: KfuncParam = { name: p.name, type: p.type, size: p.size };
      if (p.pointee) q.pointee = pointee(p.pointee);
      else q.scalar = p.scalar === true;
      return q;
    }),
    retPointee: r.ret_pointee ? pointee(r.ret_pointee) : null,
    xdp: r.xdp,
    kernelMessage: r.kernel_message ?? null,
    flags: (r.flags ?? null) as KfuncFlag[] | null,
  })),
);
const BY_NAME = new Map(ALL.map((k) => [k.name, k]));
const BY_ID = new Map(ALL.filter((k) => k.btf === 'vmlinux').map((k) => [k.btfId, k]));

/** Kfuncs named in the kernel sources that this kernel's BTF lacks, with why. */
export const ABSENT_KFUNCS: Readonly<Record<string, string>> = recorded.absent;

export const allKfuncs = (): readonly Kfunc[] => ALL;
export const kfuncByName = (name: string): Kfunc | undefined => BY_NAME.get(name);
/** A vmlinux kfunc by its BTF id (the `imm` of a call with src_reg BPF_PSEUDO_KFUNC_CALL and off 0). */
export const kfuncById = (id: number): Kfunc | undefined => BY_ID.get(id);
export const hasFlag = (k: Kfunc, f: KfuncFlag): boolean => k.flags?.includes(f) ?? false;
