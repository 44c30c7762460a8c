// The loader's output: pure data describing what an object file asks for. Nothing here is "loaded";
// programs are relocated instruction bytes, maps are definitions. Everything is JSON-serialisable
// except the Uint8Arrays (instructions, initial map contents).

import type { Btf } from '../btf/types.ts';
import type { Location } from '../errors.ts';

export interface Diagnostic {
  code: string;
  message: string;
  location: Location;
}

export interface ObjectSpec {
  /** File name as given to the loader. */
  file: string;
  /** Object name as libbpf derives it: the file's basename up to the first '.', at most 15 chars. */
  name: string;
  license: string;
  /** The 'version' section, if any (legacy kprobe objects). */
  kernelVersion?: number;
  programs: ProgramSpec[];
  /** Maps in libbpf's order; instructions refer to them by index (lddw src=5/6). */
  maps: MapSpec[];
  /** The object's BTF (types of maps, functions and globals), if it has any. */
  btf?: Btf;
  /** Non-fatal observations (sections skipped, etc.), in the order found. */
  warnings: Diagnostic[];
}

export interface FuncSpec {
  /** C function name. */
  name: string;
  /** First instruction (slot) of the function inside the program. */
  pc: number;
  /** Number of slots. */
  length: number;
  /** ELF section the code came from, and the slot offset inside it. */
  section: string;
  sectionPc: number;
  /** Symbol binding is global or weak. */
  global: boolean;
  /** Global symbol with hidden/internal visibility. */
  hidden: boolean;
  /**
   * Linkage of the BTF FUNC as the kernel will see it: libbpf turns hidden global subprograms into
   * 'static', so the verifier checks them in their callers' context; 'global' subprograms are
   * verified on their own, against their BTF prototype. Absent without BTF func_info.
   */
  btfLinkage?: 'static' | 'global' | 'extern';
  /** BTF FUNC type id from .BTF.ext func_info, if any. */
  btfTypeId?: number;
  /** BTF FUNC name from func_info (equals `name` for clang objects). */
  btfName?: string;
}

export interface LineInfo {
  /** First slot this line applies to (until the next entry's pc). */
  pc: number;
  file: string;
  line: number;
  col: number;
  /** The source line text as recorded in BTF. */
  text: string;
}

export interface MapReference {
  /** Slot of the lddw. */
  pc: number;
  /** Index into ObjectSpec.maps. */
  map: number;
  /** 'map' for src=5 (the map itself), 'value' for src=6 (a pointer into its value). */
  kind: 'map' | 'value';
  /** Offset into the value (kind 'value'). */
  offset: number;
}

export interface ProgramSpec {
  /** C function name (the program's name in libbpf and bpftool). */
  name: string;
  /** ELF section name, without libbpf's '?' autoload marker. */
  section: string;
  sectionIndex: number;
  /** libbpf loads it by default (false for SEC("?...")). */
  autoload: boolean;
  /** enum bpf_prog_type, and libbpf's name for it ('xdp', 'sched_cls', ...); 0 / 'unspec' if unknown. */
  type: number;
  typeName: string;
  /** enum bpf_attach_type expected by the section (e.g. 'xdp', 'xdp_devmap'), if any. */
  attachType?: number;
  attachTypeName?: string;
  /** SEC("xdp.frags...") programs are loaded with BPF_F_XDP_HAS_FRAGS. */
  xdpFrags: boolean;
  /** How the section name was recognised: libbpf 1.x rule, or only by a pre-1.0 legacy prefix. */
  match: 'exact' | 'prefix' | 'legacy' | 'none';
  /** File offset of the program's first instruction. */
  offset: number;
  /** Relocated instructions, 8 bytes per slot, used subprograms appended. */
  insns: Uint8Array;
  /** funcs[0] is the program itself; then each appended subprogram, in append order. */
  funcs: FuncSpec[];
  /** Sparse source map, sorted by pc; empty without BTF line info. */
  lineInfo: LineInfo[];
  /** Every map reference (lddw rewritten to src=5 or src=6). */
  mapRefs: MapReference[];
  /** Calls of kernel functions (kfuncs), resolved to their BTF id in the recorded kernel (offload/btf/kfuncs.ts). */
  kfuncs?: { pc: number; name: string; btfId: number }[];
  /**
   * Features the loader could not resolve (CO-RE, externs). Loading fails on the first one unless
   * `allowUnsupported` was given; then they are listed here and the program must not be run.
   */
  unsupported: Diagnostic[];
}

export type InternalKind = 'data' | 'rodata' | 'bss' | 'kconfig';

export interface InitSlot {
  /** Array index to fill. */
  index: number;
  /** A program (prog_array) or a map (map-in-map), by name. */
  kind: 'program' | 'map';
  name: string;
}

export interface MapSpec {
  /** C variable name; for internal maps the ELF section name ('.rodata', '.data.custom'). */
  name: string;
  /** The name libbpf gives the kernel object (at most 15 chars; '<obj>.rodata' for internal maps). */
  kernelName: string;
  /** enum bpf_map_type and its libbpf name ('hash', 'lru_percpu_hash', ...). */
  type: number;
  typeName: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** map_flags as libbpf passes them to BPF_MAP_CREATE. */
  flags: number;
  numaNode?: number;
  /** LIBBPF_PIN_BY_NAME */
  pinning: 'none' | 'by_name';
  mapExtra: number;
  /** null for maps the program declared; otherwise the global-data section kind. */
  internal: InternalKind | null;
  /** Programs may not write it (BPF_F_RDONLY_PROG). */
  readonly: boolean;
  /** Frozen by the loader after initialisation, so user space cannot change it either (.rodata*). */
  frozen: boolean;
  /** Initial contents of internal maps (zeros for .bss). */
  initial?: Uint8Array;
  /** Template of the inner map of a map-in-map. */
  inner?: MapSpec;
  /** prog_array / map-in-map slots initialised in C. */
  initSlots: InitSlot[];
  btfKeyTypeId: number;
  btfValueTypeId: number;
  /** Where the definition lives: 'legacy' maps section, '.maps', or the data section. */
  definedIn: string;
  /** Location of the definition in the file (section and file offset). */
  location: Location;
}
