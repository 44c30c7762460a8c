// The program as the verifier sees it: slots decoded leniently, the maps, license, attach type,
// line info, kfunc names and BTF function info (or none, for a raw load without BTF).
import type { ObjectSpec, ProgramSpec } from '../../elf/index.ts';
import type { Btf } from '../../btf/index.ts';
import { kfuncById } from '../../btf/kfuncs.ts';
import type { ProgramView } from '../check/env.ts';
import { decodeLenient } from './decode.ts';
import { rawAt } from './isa-shim.ts';
import type { Slot } from './insn.ts';

/** license_is_gpl_compatible() */
export function gplCompatible(license: string): boolean {
  return ['GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL'].includes(license);
}

export interface ViewOptions {
  /** Load without BTF func/line info, as a raw BPF_PROG_LOAD (no libbpf) would. */
  withoutBtf?: boolean;
}

export function programView(spec: ObjectSpec, prog: ProgramSpec, opts: ViewOptions = {}): ProgramView {
  const bytes = prog.insns;
  const len = bytes.length / 8;
  const raws = Array.from({ length: len }, (_, pc) => rawAt(bytes, pc));
  const slots: (Slot | null)[] = new Array(len).fill(null);
  // Illegal encodings make the ISA decoder throw; their stack traces are of no use here.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    for (let pc = 0; pc < len; pc++) {
      const raw = raws[pc]!;
      const next = raw.code === 0x18 ? raws[pc + 1] : undefined;
      slots[pc] = { insn: decodeLenient(raw, next), raw };
      if (raw.code === 0x18 && next) pc++;
    }
  } finally {
    Error.stackTraceLimit = limit;
  }
  const kfuncs = new Map<number, string>();
  for (const k of prog.kfuncs ?? []) kfuncs.set(k.pc, k.name);
  // a raw kfunc call (no relocation) names its callee by the BTF id of the recorded kernel
  raws.forEach((r, pc) => {
    const k = r.code === 0x85 && r.src === 2 && r.off === 0 && r.imm !== 0 ? kfuncById(r.imm) : undefined;
    if (k && !kfuncs.has(pc)) kfuncs.set(pc, k.name);
  });
  for (const d of prog.unsupported) {
    const m = /kfunc\) '([^']+)'/.exec(d.message);
    if (d.code === 'elf.unsupported_kfunc' && m && d.location.pc !== undefined) kfuncs.set(d.location.pc, m[1]!);
  }
  // The kernel refuses BTF it finds invalid; libbpf then loads everything without BTF.
  const btfOk = spec.btf !== undefined && kernelAcceptsBtf(spec.btf);
  const withBtf = !opts.withoutBtf && btfOk;
  const funcInfo = withBtf
    ? prog.funcs.map((f) => ({
        pc: f.pc,
        name: f.btfName ?? f.name,
        linkage: f.btfLinkage === 'global' ? ('global' as const) : ('static' as const),
        btfTypeId: f.btfTypeId ?? 0,
      }))
    : [];
  const attach =
    prog.attachTypeName === 'xdp_devmap' ? 'devmap' : prog.attachTypeName === 'xdp_cpumap' ? 'cpumap' : ('xdp' as const);
  const maps = spec.maps.slice();
  const innerOf = spec.maps.map((m) => {
    if (!m.inner) return -1;
    maps.push({ ...m.inner, kernelName: '' }); // the verifier's inner-map template has no name
    return maps.length - 1;
  });
  return {
    name: prog.name,
    slots,
    raws,
    len,
    maps,
    innerOf,
    gpl: gplCompatible(spec.license),
    xdpFrags: prog.xdpFrags,
    attach,
    lineInfo: withBtf ? prog.lineInfo : [],
    btf: withBtf ? spec.btf : undefined,
    mapBtf: btfOk ? spec.btf : undefined,
    kfuncs,
    funcInfo,
    hasFuncInfo: withBtf && prog.funcs.some((f) => f.btfTypeId !== undefined),
  };
}

/**
 * btf_func_check: every parameter of a FUNC's prototype needs a name. clang leaves the parameters
 * of naked functions unnamed, so an object with a naked function that takes arguments has BTF the
 * kernel rejects (and libbpf then loads the programs without func/line info).
 */
export function kernelAcceptsBtf(btf: Btf): boolean {
  for (const t of btf.types) {
    if (!t || t.kind !== 'func') continue;
    // libbpf names the parameters of extern (kfunc) declarations itself before loading
    if (t.linkage === 'extern') continue;
    const proto = btf.types[t.type];
    if (proto?.kind === 'func_proto' && proto.params.some((p) => !p.name && p.type !== 0)) return false;
  }
  return true;
}
