// Stable error family ids (VerifyError.code), derived from the kernel's final error line and the
// failing instruction. The ids are the corpus family names (test/fixtures/verifier/README.md) of the
// rule the message reports; a message shared by several corpus families (e.g. `R1 offset is outside
// of the packet` for missing checks, wrong branch directions and signed comparisons) gets the most
// general one ('packet_bounds'), refined by what the failing instruction touched where the kernel's
// state tells more (a pkt_meta pointer: 'data_meta'; a variable offset: 'packet_var_off').

export interface FamilyContext {
  /** Kind of the failing instruction ('ldx', 'stx', 'call', ...), or null for whole-program errors. */
  insnKind: string | null;
  /** Helper id when the failing instruction is a helper call. */
  helperId: number | null;
  /** Kernel type name of each register at the failure (e.g. 'pkt_meta'), '' if unknown. */
  regTypes: string[];
  /** Registers holding a pointer with a non-constant variable offset at the failure. */
  regVarOffs: boolean[];
  /** Number of subprograms (bpf-to-bpf functions) of the program. */
  subprogs: number;
}

type Rule = [RegExp, string | ((m: RegExpMatchArray, c: FamilyContext) => string)];

const isStore = (c: FamilyContext) => c.insnKind === 'st' || c.insnKind === 'stx';
const TAIL_CALL = 12;

const RULES: Rule[] = [
  [/^calling kernel function .* is not allowed$|^Possibly NULL pointer passed to trusted arg|^arg#\d+ expected pointer to ctx|memory, len pair leads to invalid memory access$|^R\d+ must be a known constant$|^kernel function \S+ (args#\d+|returns pointer)|must point to (void, )?scalar, or struct with scalar$|^R\d+ must be (referenced or trusted|a rcu pointer)$|^R\d+ is not a scalar$|^release kernel function |^acquire kernel function |sleepable kfunc |region$|^unmatched rcu read unlock|^nested rcu read lock|^unmatched attempt to enable preemption|^nicsim does not verify calls of kernel function|^destructive kfunc calls|^kfunc \S+ reference has not been acquired/, (m) =>
    /region$/.test(m.input ?? '') && !/rcu_read_lock|preempt_disable/.test(m.input ?? '') ? 'lock' : 'kfunc'],
  [/^div by zero$|^invalid shift /, 'alu_imm'],
  [/^BPF_ATOMIC |^invalid atomic operand size/, 'atomic'],
  [/^misaligned stack access/, (_m, c) => (c.insnKind === 'atomic' ? 'atomic' : 'stack_align')],
  [/^misaligned /, (_m, c) => (c.insnKind === 'atomic' ? 'atomic' : 'alignment')],
  [/^jump out of range from insn \d+ to (-?\d+)|^last insn is not an exit or jmp/, (_m, c) => (c.subprogs > 1 ? 'subprog_call' : 'cfg')],
  [/^(unreachable insn|jump into the middle of ldimm64|back-edge from insn)/, 'cfg'],
  [/^call to invalid destination|^the call stack of \d+ frames is too deep|^function calls are not allowed while holding|^global function calls/, (m) =>
    m[0].startsWith('function calls') ? 'lock' : 'subprog_call'],
  [/uses reserved fields$|^R\d+ is invalid$|^addr_space_cast |^fd -?\d+ is not pointing|bpf_ld_imm64 insn$|^unknown opcode |^BPF_LD_\[ABS\|IND\]|^invalid BPF_LD mode|^invalid BPF_ALU opcode|^unknown insn class|^invalid may_goto imm/, 'insn_encoding'],
  [/^infinite loop detected/, 'loop_infinite'],
  [/^BPF program is too large|^The sequence of \d+ jumps is too complex/, 'too_large'],
  [/^combined stack size of /, 'stack_depth'],
  [/^tail_calls are not allowed|^expected prog array map for tail call|^tail_call would lead to reference leak/, 'tail_call'],
  [/^(invalid bpf_context access|dereference of modified ctx ptr|variable ctx access)/, (_m, c) => (isStore(c) ? 'ctx_write' : 'ctx_access')],
  [/^R\d+ leaks addr into ctx/, 'ctx_write'],
  [/^frame pointer is read only/, 'fp_write'],
  [/^At callback return the register/, 'callback_return'],
  [/^At subprogram exit the register R0|^cannot return stack pointer to the caller/, 'subprog_return'],
  [/^R0 leaks addr as return value|^R\d+ leaks addr |^attempt to corrupt spilled pointer|^R\d+ pointer -= pointer prohibited|^R\d+ sign-extension part of pointer|^R\d+ partial copy of pointer/, 'ptr_leak'],
  [/^R\d+ pointer comparison prohibited/, 'ptr_compare'],
  [/^Unreleased reference|would lead to reference leak$/, 'ref_leak'],
  [/cannot be used inside bpf_spin_lock-ed region$|^bpf_spin_lock cannot be accessed directly|bpf_spin_lock|bpf_spin_unlock|^Locking two bpf_spin_locks/, 'lock'],
  [/^cannot call GPL-restricted function/, 'helper_gpl'],
  [/^program of this type cannot use helper /, 'helper_unavailable'],
  [/^invalid func /, 'helper_unknown'],
  [/^cannot pass map_type /, 'helper_map_type'],
  [/^metadata kfuncs require device-bound program|kfunc/, 'kfunc'],
  [/^write into map forbidden|^R\d+ cannot write into rdonly/, 'rodata_write'],
  [/^R(\d+) type=(\S+) expected=/, (m, c) => {
    const t = m[2]!;
    if (c.helperId === TAIL_CALL) return 'tail_call';
    if (t === 'map_value_or_null') return 'map_null';
    if (/_or_null$/.test(t)) return 'ref_null';
    if (t === 'scalar' && /sock_common/.test(m.input ?? '')) return 'ref_release';
    return 'helper_arg';
  }],
  [/invalid zero-sized read|unbounded memory access, use 'var &= const'|^R\d+ min value is negative, either use unsigned or/, 'helper_size'],
  [/^invalid (read from|write to) stack R(\d+) off=(-?\d+) size=(\d+)$/, (m, c) => {
    const off = Number(m[3]);
    const inFrame = off >= -512 && off + Number(m[4]) <= 0;
    if (c.insnKind === 'call') return m[1] === 'write to' ? 'helper_size' : inFrame ? 'stack_uninit' : 'helper_arg';
    return m[1] === 'read from' && inFrame ? 'stack_uninit' : 'stack_bounds';
  }],
  [/^R(\d+) tried to (add|sub) beyond pointer bounds/, (m, c) => (c.regTypes[Number(m[1])] === 'fp' ? 'stack_var_off' : 'ptr_arith')],
  [/^invalid read from stack R\d+ off -?\d+\+\d+ size \d+$/, 'stack_uninit'],
  [/^invalid size of register fill|^invalid size of register spill/, 'stack_spill'],
  [/variable-offset|^R\d+ variable stack access prohibited|^R\d+ variable offset stack access prohibited|^variable offset stack pointer cannot be passed|^R\d+ stack pointer arithmetic goes out of range|^uninit stack in range of var-offset|^spilled ptr in range of var-offset/, 'stack_var_off'],
  [/^R(\d+) invalid mem access '(\S+)'$/, (m) => {
    const t = m[2]!;
    if (t === 'map_value_or_null') return 'map_null';
    if (t === 'pkt_end') return 'packet_end';
    if (t === 'scalar') return 'scalar_deref';
    if (t === 'mem_or_null') return 'subprog_arg';
    return 'null_deref';
  }],
  [/^R(\d+) offset is outside of the packet|^invalid access to packet/, (m, c) => {
    const r = Number(m[1] ?? -1);
    if (r >= 0 && c.regTypes[r] === 'pkt_meta') return 'data_meta';
    if (r >= 0 && c.regVarOffs[r]) return 'packet_var_off';
    return 'packet_bounds';
  }],
  [/^R\d+ pointer arithmetic on pkt_end prohibited/, 'packet_end'],
  [/^R\d+ pointer arithmetic on map_ptr prohibited|access is allowed only to CAP_PERFMON|^R\d+ is map_ptr invalid negative access|^only read from map_ptr/, 'map_ptr'],
  [/^R\d+ (min|max) value is outside of the allowed memory range|^R\d+ unbounded memory access, make sure|^R\d+ min value is negative, either use unsigned index|makes map_value pointer be out of bounds|^invalid access to map value|^R\d+ pointer arithmetic of map value goes out of range/, 'map_value_bounds'],
  [/^R\d+ !read_ok$/, (_m, c) => (c.insnKind === 'exit' ? 'r0_exit' : 'uninit_reg')],
  [/pointer arithmetic|pointer \+= pointer|bitwise operator .* on pointer|pointer .* pointer prohibited|math between .* pointer|pointer offset -?\d+ is not allowed|makes \S+ pointer be out of bounds|^R\d+ tried to (add|sub)|subtraction from stack pointer|subtract pointer from scalar/, 'ptr_arith'],
  [/^Caller passes invalid args|^arg#\d+ /, 'subprog_arg'],
  [/^same insn cannot be used with different pointers/, 'ptr_type_mismatch'],
];

/** The family id of a kernel error line. */
export function familyOf(message: string, ctx: FamilyContext): string {
  for (const [re, fam] of RULES) {
    const m = re.exec(message);
    if (m) return typeof fam === 'string' ? fam : fam(m, ctx);
  }
  return 'other';
}
