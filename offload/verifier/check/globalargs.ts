// Global functions are verified once, against their BTF prototype (btf_prepare_func_args): scalars
// are any value, `struct xdp_md *` is the context, a pointer to a sized type is memory of that size
// that may be NULL. Callers must pass matching registers (btf_check_func_arg_match).
import type { Btf } from '../../btf/index.ts';
import { sizeOf, skipModsAndTypedefs, typeById } from '../../btf/index.ts';

export type GlobalArg = { kind: 'scalar' } | { kind: 'ctx' } | { kind: 'mem'; size: number } | { kind: 'unsupported'; what: string };

export interface GlobalProto {
  name: string;
  args: GlobalArg[];
  /** The BTF return type is an integer or enum (the kernel verifies no other global functions). */
  returnsScalar: boolean;
}

/** The argument kinds of the global function with BTF FUNC type `funcId`. */
export function globalProto(btf: Btf, funcId: number): GlobalProto {
  const fn = typeById(btf, funcId);
  if (fn.kind !== 'func') return { name: '?', args: [], returnsScalar: true };
  const proto = typeById(btf, fn.type);
  if (proto.kind !== 'func_proto') return { name: fn.name, args: [], returnsScalar: true };
  const ret = skipModsAndTypedefs(btf, proto.returnType);
  const returnsScalar = ret.kind === 'int' || ret.kind === 'enum' || ret.kind === 'enum64';
  const args = proto.params.map((p): GlobalArg => {
    const t = skipModsAndTypedefs(btf, p.type);
    if (t.kind === 'int' || t.kind === 'enum' || t.kind === 'enum64') return { kind: 'scalar' };
    if (t.kind === 'ptr') {
      const pointee = skipModsAndTypedefs(btf, t.type);
      if ((pointee.kind === 'struct' && pointee.name === 'xdp_md') || (pointee.kind === 'struct' && pointee.name === 'bpf_xdp'))
        return { kind: 'ctx' };
      let size = 0;
      try {
        size = pointee.kind === 'void' ? 0 : sizeOf(btf, t.type);
      } catch {
        size = 0;
      }
      if (size > 0) return { kind: 'mem', size };
      return { kind: 'unsupported', what: pointee.kind === 'void' ? 'void' : pointee.name };
    }
    return { kind: 'unsupported', what: t.kind };
  });
  return { name: fn.name, args, returnsScalar };
}
