// Findings of the capability verifier as data: a stable code, where (pc, instruction, C source), the
// rule in words, the profile key that decides it and the message. Rules produce drafts; check.ts
// completes them (disassembly, line info, severity, which message to show).

/** Every finding code, with its severity class (configs/README.md, "Capability rules"). */
export const FINDING_CODES = {
  // instruction findings: a path that reaches them cannot run on the device
  'isa.alu32': 'instruction',
  'isa.alu64': 'instruction',
  'isa.jmp32': 'instruction',
  'isa.mul': 'instruction',
  'isa.mul_range': 'instruction',
  'isa.div': 'instruction',
  'isa.div_reg': 'instruction',
  'isa.div_range': 'instruction',
  'isa.mod': 'instruction',
  'isa.sdiv': 'instruction',
  'isa.smod': 'instruction',
  'isa.movsx': 'instruction',
  'isa.ldsx': 'instruction',
  'isa.end': 'instruction',
  'isa.bswap': 'instruction',
  'isa.gotol': 'instruction',
  'isa.atomic': 'instruction',
  'isa.atomic_fetch': 'instruction',
  'isa.atomic_target': 'instruction',
  'isa.may_goto': 'instruction',
  'isa.kfunc': 'instruction',
  'isa.load_acquire': 'instruction',
  'isa.store_release': 'instruction',
  'isa.bpf_call': 'instruction',
  'isa.ld_abs': 'instruction',
  'isa.callx': 'instruction',
  tail_call: 'instruction',
  'mem.store': 'instruction',
  'mem.store_imm': 'instruction',
  'mem.stack_var_off': 'instruction',
  'mem.map_value_var_off': 'instruction',
  'mem.ptr_type_changed': 'instruction',
  'mem.atomic_counter': 'instruction',
  'helper.unsupported': 'instruction',
  'helper.map_type': 'instruction',
  'helper.args': 'instruction',
  'helper.flags': 'instruction',
  'ctx.read': 'instruction',
  'ctx.write': 'instruction',
  // program findings: the program cannot be placed on the device at all
  'imem.too_large': 'program',
  'stack.too_large': 'program',
  'packet.too_far': 'program',
  'map.flags': 'program',
  'map.type': 'program',
  'map.too_many_maps': 'program',
  'map.too_many_elements': 'program',
  'map.element_too_large': 'program',
  'map.key_too_large': 'program',
  'map.value_too_large': 'program',
  'map.memory': 'program',
  // warnings: the program runs, but the hardware behaves differently
  'helper.adjust_grow': 'warning',
  'action.aborted': 'warning',
  'action.drop': 'warning',
  'action.pass': 'warning',
  'action.tx': 'warning',
  'action.redirect': 'warning',
  'action.other': 'warning',
} as const;

export type FindingCode = keyof typeof FINDING_CODES;
export type Severity = (typeof FINDING_CODES)[FindingCode];

export function severityOf(code: FindingCode): Severity {
  return FINDING_CODES[code];
}

export interface SourceRef {
  file: string;
  line: number;
  text: string;
}

/** What a rule reports. */
export interface FindingDraft {
  code: FindingCode;
  /** Instruction the finding is about; absent for map and whole-program findings. */
  pc?: number;
  /** The rule in words, independent of the values found. */
  rule: string;
  /** Dotted profile key that decides the rule, e.g. `offload.isa.atomics.fetch_add.dw`. */
  key: string;
  /** The key's value in the profile. */
  value: unknown;
  /** nicsim's message: what was found, with the numbers. */
  text: string;
  /** The exact message of the nfp driver for this case (printf arguments filled in), if it has one. */
  nfp?: string;
  /** The map a map finding is about (its C name). */
  map?: string;
}

/** A complete finding, as reports and `--json` show it. */
export interface Finding {
  code: FindingCode;
  severity: Severity;
  pc: number | null;
  /** Disassembly of the instruction at pc (llvm-objdump syntax). */
  insn: string | null;
  source: SourceRef | null;
  /** The message shown: the driver's text when the profile reproduces a driver, else nicsim's. */
  message: string;
  /** The rule in words. */
  rule: string;
  profile_key: string;
  profile_value: unknown;
  /** nicsim's own description of what was found. */
  detail: string;
  /** The nfp driver's exact message for this case, when it has one. */
  driver_message: string | null;
  map: string | null;
}

/** `key: value` as a profile would spell it (for human output). */
export function keyValue(f: { profile_key: string; profile_value: unknown }): string {
  const v = f.profile_value;
  const shown = Array.isArray(v) ? `[${v.join(', ')}]` : v === null ? 'null' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return `${f.profile_key}: ${shown}`;
}
