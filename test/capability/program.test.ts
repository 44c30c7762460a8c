// Whole-program rules (instruction memory, stack, packet reach), action warnings, NIC instruction
// counts (hand-computed from the agilio-cx translation table, configs/agilio-cx.yaml) and the
// partial verdict with its punt pcs.
import { describe, expect, it } from 'vitest';
import { wideImmediate } from '../../offload/capability/translate.ts';
import { checkAsm, profile, withKey } from './helpers.ts';
import { PROLOGUE, U64, prog } from './programs.ts';

const agilio = profile('agilio-cx');
const fallback = profile('agilio-cx-fallback');
const host = profile('host-x86');
// intro 2 + outro 13 + padding 8
const FIXED = 23;

describe('NIC instructions after translation (agilio-cx)', () => {
  it('r0 = 2; exit: mov64 2 + exit 1 + intro/outro/padding', () => {
    const r = checkAsm('r0 = 2\nexit', agilio);
    expect(r.nic_by_class).toEqual({ intro: 2, outro: 13, padding: 8, mov64: 2, exit: 1 });
    expect(r.nic_instructions).toBe(FIXED + 3);
    expect(r.instruction_memory).toBe(2560);
  });

  it('ctx loads, packet loads, jumps and a 16-bit multiply', () => {
    // prologue: mov64 r6 (2), ldx_ctx x2 (4), mov64 r4 (2), alu64 += (2), mov64 r0 (2), jcond64 (3) = 15
    // body: ldx.dw (4), alu64 &= 0xffff (2), mul16 (4); epilogue: mov64 (2), exit (1)
    const r = checkAsm(prog(U64, 'r5 &= 0xffff', 'r5 *= 3'), agilio);
    expect(r.findings).toEqual([]);
    expect(r.nic_by_class).toMatchObject({ mov64: 8, ldx_ctx: 4, alu64: 4, jcond64: 3, 'ldx.dw': 4, mul16: 4, exit: 1 });
    expect(r.nic_instructions).toBe(FIXED + 15 + 10 + 3);
  });

  it('multiply classes follow the operand ranges: mul32 when an operand exceeds 16 bits', () => {
    const r = checkAsm(prog(U64, 'r5 &= 0xffffff', 'r5 *= 3'), agilio);
    expect(r.nic_by_class).toMatchObject({ mul32: 7 });
    expect(r.nic_by_class.mul16).toBeUndefined();
  });

  it('a 32-bit immediate that one immed instruction cannot load costs imm_wide', () => {
    expect(wideImmediate(0x12345678)).toBe(true);
    expect(wideImmediate(0xffff)).toBe(false);
    expect(wideImmediate(0xff00)).toBe(false);
    expect(wideImmediate(0xabcd0000)).toBe(false);
    expect(wideImmediate(-2)).toBe(false); // ~imm = 1
    expect(wideImmediate(0x00ffff00)).toBe(false); // 0xffff << 8
    expect(wideImmediate(0x01ffff00)).toBe(true);
    const r = checkAsm('r0 = 0x12345678\nr0 = 2\nexit', agilio);
    expect(r.nic_by_class).toMatchObject({ mov64: 4, imm_wide: 1 });
  });

  it('helper calls cost their own nic_instructions (map_update_elem 9, lookup 8)', () => {
    const lookup = 'r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nld_pseudo r1, 5, 0\ncall 1\nr0 = 2\nexit';
    const r = checkAsm(lookup, agilio, [{ name: 'h', type: 'hash', key: 4, value: 8, entries: 4 }]);
    // mov64 r1 (2) + stx.w (2) + mov64 r2 (2) + alu64 (2) + lddw (2) + call (8) + mov64 (2) + exit (1)
    expect(r.nic_by_class).toMatchObject({ 'stx.w': 2, lddw: 2, call_helper: 8 });
    expect(r.nic_instructions).toBe(FIXED + 21);
  });

  it('hXDP packs 2.5 operations per VLIW row', () => {
    const r = checkAsm(prog(), profile('hxdp'));
    // 9 BPF instructions, 1 NIC operation each, no intro/outro: ceil(9 / 2.5) = 4
    expect(r.nic_by_class).toMatchObject({ mov64: 4, ldx_ctx: 2, alu64: 1, jcond64: 1, exit: 1 });
    expect(r.nic_instructions).toBe(4);
  });
});

describe('program rules', () => {
  it('imem.too_large: translated size above instruction memory', () => {
    const small = withKey(agilio, 'offload.instruction_memory', 30);
    expect(checkAsm('r0 = 2\nexit', small).verdict).toBe('offload');
    const r = checkAsm(prog(), small);
    expect(r.nic_instructions).toBe(FIXED + 18);
    expect(r.verdict).toBe('host');
    expect(r.findings).toMatchObject([{ code: 'imem.too_large', severity: 'program', profile_key: 'offload.instruction_memory', message: 'instruction limit reached (30 NFP instructions)', pc: null }]);
  });

  const stackProg = (depth: number) => `r1 = 0\n*(u64 *)(r10 - ${depth}) = r1\ncall sub\nr0 = 2\nexit\nsub:\nr1 = 0\n*(u64 *)(r10 - 8) = r1\nr0 = 0\nexit`;
  it('stack.too_large: 64-byte frames and the callee return address (nfp_bpf_get_stack_usage)', () => {
    // main: round_up(480, 64) = 512; callee: round_up(8 + 4, 64) = 64
    const r = checkAsm(stackProg(480), agilio);
    expect(r.stack).toBe(576);
    expect(r.findings).toMatchObject([{ code: 'stack.too_large', profile_key: 'offload.stack.bytes', message: 'stack too large: program 576B > FW stack 512B' }]);
    expect(r.verdict).toBe('host');
    const ok = checkAsm(stackProg(448), agilio);
    expect(ok.stack).toBe(512);
    expect(ok.findings).toEqual([]);
    // the kernel itself accepts both (16-byte rounding on the host)
    expect(checkAsm(stackProg(480), host).verdict).toBe('offload');
  });

  it('stack: a callee that writes r6-r9 adds callee_saved_bytes', () => {
    const text = `call sub\nr0 = 2\nexit\nsub:\nr6 = 1\nr1 = 0\n*(u64 *)(r10 - 8) = r1\nr0 = 0\nexit`;
    const r = checkAsm(text, agilio);
    // main: round_up(0, 64) = 0; callee: round_up(8 + 4 + 32, 64) = 64
    expect(r.stack).toBe(64);
    expect(r.nic_by_class.subprog_support).toBe(18);
  });

  const reach = (n: number) => `r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += ${n + 1}\nr0 = 2\nif r4 > r3 goto out\nr5 = *(u8 *)(r2 + ${n})\nout:\nexit`;
  it('packet.too_far: max_pkt_offset beyond the HW packet split boundary (1888)', () => {
    const r = checkAsm(reach(1999), agilio);
    expect(r.max_packet_offset).toBe(1999);
    expect(r.findings).toMatchObject([{ code: 'packet.too_far', profile_key: 'offload.packet_bytes', message: 'BPF offload not supported with potential packet access beyond HW packet split boundary' }]);
    expect(checkAsm(reach(1888), agilio).findings).toEqual([]);
    expect(checkAsm(reach(1999), host).findings).toEqual([]);
  });
});

describe('actions', () => {
  it('XDP_REDIRECT on agilio-cx: a warning, the program still offloads', () => {
    const r = checkAsm('r0 = 4\nexit', agilio);
    expect(r.verdict).toBe('offload');
    expect(r.findings).toMatchObject([{ code: 'action.redirect', severity: 'warning', pc: 1, profile_key: 'offload.actions.redirect', profile_value: 'aborted' }]);
    expect(checkAsm('r0 = 3\nexit', agilio).findings).toEqual([]);
    expect(checkAsm('r0 = 4\nexit', host).findings).toEqual([]);
  });
  it('return codes above 4 where the hardware does something else than the kernel', () => {
    const p = withKey(host, 'offload.actions.other', 'drop');
    expect(checkAsm('r0 = 7\nexit', p).findings).toMatchObject([{ code: 'action.other', profile_key: 'offload.actions.other' }]);
    expect(checkAsm('r0 = 7\nexit', host).findings).toEqual([]);
  });
});

describe('partial offload (agilio-cx-fallback)', () => {
  const branchy = prog(U64, 'r1 = *(u8 *)(r2 + 8)', 'if r1 == 0 goto skip', 'r5 %= 7', 'skip:');
  it('MOD on one branch: partial, punted at the MOD; agilio-cx: host', () => {
    const r = checkAsm(branchy, fallback);
    expect(r.verdict).toBe('partial');
    expect(r.punt_pcs).toEqual([10]);
    expect(r.findings.map((f) => [f.code, f.pc])).toEqual([['isa.mod', 10]]);
    // every pc but the MOD, which becomes an exit: 15 (prologue) + ldx.dw 4 + ldx.b 3 + jcond64 3 +
    // punt 1 + mov64 2 + exit 1, and zext 1: the byte load defines a 32-bit subregister that the
    // 64-bit compare reads (the kernel's zext_dst mark)
    expect(r.nic_by_class.punt).toBe(1);
    expect(r.nic_by_class.zext).toBe(1);
    expect(r.nic_instructions).toBe(FIXED + 15 + 4 + 3 + 3 + 1 + 3 + 1);
    expect(checkAsm(branchy, agilio).verdict).toBe('host');
    expect(checkAsm(branchy, agilio).punt_pcs).toEqual([]);
  });

  it('only the first unsupported instruction of a path is a punt pc', () => {
    const r = checkAsm(prog(U64, 'r5 %= 7', 'r5 %= 5'), fallback);
    expect(r.verdict).toBe('partial'); // short packets take the early exit on the device
    expect(r.punt_pcs).toEqual([8]);
    expect(r.findings.map((f) => f.pc)).toEqual([8, 9]);
  });

  it('an unsupported instruction on every path: host', () => {
    const r = checkAsm('r0 = 5\nr0 %= 3\nexit', fallback);
    expect(r.verdict).toBe('host');
    expect(r.punt_pcs).toEqual([]);
  });

  it('inside a subprogram: punted there, the call site does not continue on the device', () => {
    const text = `${PROLOGUE}\nr1 = *(u8 *)(r2 + 0)\nr0 = 2\nif r1 > 100 goto big\nout:\nexit\nbig:\ncall sub\nr0 = 2\nexit\nsub:\nr1 %= 7\nr0 = r1\nexit`;
    const r = checkAsm(text, fallback);
    expect(r.verdict).toBe('partial');
    expect(r.punt_pcs).toEqual([14]);
  });

  it('program findings still make it host', () => {
    const r = checkAsm(branchy, withKey(fallback, 'offload.instruction_memory', 20));
    expect(r.verdict).toBe('host');
    expect(r.blocking?.code).toBe('imem.too_large');
  });
});

