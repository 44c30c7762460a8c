// Instruction rules, one focused program per profile key, forbidden and allowed. With agilio-cx the
// finding carries the nfp driver's exact message (drivers/net/ethernet/netronome/nfp/bpf/verifier.c:
// "instruction %#02x not supported", the multiply/divide range checks, "atomic op not implemented: %d",
// "atomic add not to a map value pointer: %d"); the opcode bytes are the ISA's (RFC 9669).
import { kfuncByName } from '../../offload/btf/kfuncs.ts';
import { describe, expect, it } from 'vitest';
import type { Profile } from '../../nic/profile/index.ts';
import { join } from 'node:path';
import { root } from '../cli/run.ts';
import { loadObjectFile } from '../../offload/elf/index.ts';
import { checkObject, verifierSafety } from '../../offload/capability/index.ts';
import { type MapDef, checkAsm, profile, withKey } from './helpers.ts';
import { ARRAY8, U32, U64, prog, withValue } from './programs.ts';

const agilio = profile('agilio-cx');
const host = profile('host-x86');

interface Case {
  what: string;
  text: string;
  maps?: MapDef[];
  /** Profile that forbids it (default agilio-cx). */
  forbid?: Profile;
  code: string;
  key: string;
  /** Expected message (agilio-cx: the nfp driver's). */
  message?: string;
  /** The driver prints nothing for it (nicsim's own message). */
  noDriver?: boolean;
  /** A program that the same profile accepts (the allowed counterpart), if not just host-x86. */
  allowed?: string;
  allowedMaps?: MapDef[];
}

const cases: Case[] = [
  { what: 'MOD by an immediate (64-bit)', text: prog(U64, 'r5 %= 7'), code: 'isa.mod', key: 'offload.isa.mod', message: 'instruction 0x97 not supported' },
  { what: 'MOD by a register (32-bit)', text: prog(U32, 'w0 = 3', 'w7 %= w0'), code: 'isa.mod', key: 'offload.isa.mod', message: 'instruction 0x9c not supported' },
  { what: 'to-little-endian swap', text: prog(U64, 'r5 = le16 r5'), code: 'isa.end', key: 'offload.isa.end.to_le', message: 'instruction 0xd4 not supported', allowed: prog(U64, 'r5 = be16 r5') },
  { what: 'to-big-endian swap (profile without to_be)', text: prog(U64, 'r5 = be32 r5'), forbid: withKey(host, 'offload.isa.end.to_be', false), code: 'isa.end', key: 'offload.isa.end.to_be' },
  { what: 'BSWAP (cpu v4)', text: prog(U64, 'r5 = bswap32 r5'), code: 'isa.bswap', key: 'offload.isa.bswap', message: 'instruction 0xd7 not supported' },
  { what: 'signed divide (not caught by the driver)', text: prog(U32, 'r7 s/= 3'), code: 'isa.sdiv', key: 'offload.isa.sdiv', message: 'instruction 0x37 not supported (signed division; the nfp driver does not catch it)', noDriver: true },
  { what: 'signed modulo', text: prog(U32, 'r7 s%= 3'), code: 'isa.smod', key: 'offload.isa.smod', message: 'instruction 0x97 not supported' },
  { what: 'sign-extending move (not caught by the driver)', text: prog(U64, 'r5 = (s8)r5'), code: 'isa.movsx', key: 'offload.isa.movsx', message: 'instruction 0xbf not supported (sign-extending mov; the nfp driver does not catch it)', noDriver: true },
  { what: 'sign-extending load', text: prog('r5 = *(s8 *)(r2 + 0)'), code: 'isa.ldsx', key: 'offload.isa.ldsx', message: 'instruction 0x91 not supported' },
  { what: 'gotol', text: prog('gotol next', 'next:'), code: 'isa.gotol', key: 'offload.isa.gotol', message: 'instruction 0x6 not supported' },
  { what: 'multiplier beyond u32', text: prog(U64, 'r5 *= 3'), code: 'isa.mul_range', key: 'offload.isa.mul.max_operand', message: 'multiplier is not within u32 value range', allowed: prog(U64, 'r5 &= 0xffff', 'r5 *= 3') },
  { what: 'multiplicand beyond u32', text: prog(U64, U32, 'r7 *= r5'), code: 'isa.mul_range', key: 'offload.isa.mul.max_operand', message: 'multiplicand is not within u32 value range', allowed: prog(U64, U32, 'r5 &= 0xffffff', 'r7 *= r5') },
  { what: '64-bit multiply by a negative immediate', text: prog(U32, 'r7 *= -3'), code: 'isa.mul_range', key: 'offload.isa.mul.negative_imm64', message: "sign extended multiplicand won't be within u32 value range", allowed: prog(U32, 'w7 *= -3') },
  { what: 'dividend beyond u32', text: prog(U64, 'r5 /= 3'), code: 'isa.div_range', key: 'offload.isa.div.max_operand', message: 'dividend is not within u32 value range', allowed: prog(U32, 'r7 /= 3') },
  { what: 'division by a register', text: prog(U32, 'r5 = *(u32 *)(r2 + 4)', 'r7 /= r5'), code: 'isa.div_reg', key: 'offload.isa.div.divisor', message: 'divisor is not constant', allowed: prog(U32, 'r5 = 10', 'r7 /= r5') },
  { what: 'divisor beyond u32', text: prog(U32, 'r5 = 0x100000000 ll', 'r7 /= r5'), code: 'isa.div_range', key: 'offload.isa.div.max_operand', message: 'divisor is not within u32 value range' },
  { what: 'division by a negative immediate', text: prog(U32, 'r7 /= -3'), code: 'isa.div_range', key: 'offload.isa.div.negative_imm', message: 'divide by negative constant is not supported' },
  { what: 'atomic fetch-add', text: withValue('r1 = 1', 'r1 = atomic_fetch_add((u64 *)(r0 + 0), r1)'), maps: [ARRAY8], code: 'isa.atomic_fetch', key: 'offload.isa.atomics.fetch_add.dw', message: 'atomic op not implemented: 1', allowed: withValue('r1 = 1', 'lock *(u64 *)(r0 + 0) += r1') },
  { what: 'atomic fetch-add, 32-bit', text: withValue('w1 = 1', 'w1 = atomic_fetch_add((u32 *)(r0 + 0), w1)'), maps: [ARRAY8], code: 'isa.atomic_fetch', key: 'offload.isa.atomics.fetch_add.w', message: 'atomic op not implemented: 1', allowed: withValue('w1 = 1', 'lock *(u32 *)(r0 + 0) += w1') },
  { what: 'atomic or', text: withValue('r1 = 1', 'lock *(u64 *)(r0 + 0) |= r1'), maps: [ARRAY8], code: 'isa.atomic', key: 'offload.isa.atomics.or.dw', message: 'atomic op not implemented: 64' },
  { what: 'atomic and', text: withValue('r1 = 1', 'lock *(u64 *)(r0 + 0) &= r1'), maps: [ARRAY8], code: 'isa.atomic', key: 'offload.isa.atomics.and.dw', message: 'atomic op not implemented: 80' },
  { what: 'atomic xor', text: withValue('r1 = 1', 'lock *(u64 *)(r0 + 0) ^= r1'), maps: [ARRAY8], code: 'isa.atomic', key: 'offload.isa.atomics.xor.dw', message: 'atomic op not implemented: 160' },
  { what: 'atomic fetch-or', text: withValue('r1 = 1', 'r1 = atomic_fetch_or((u64 *)(r0 + 0), r1)'), maps: [ARRAY8], code: 'isa.atomic_fetch', key: 'offload.isa.atomics.fetch_or.dw', message: 'atomic op not implemented: 65' },
  { what: 'atomic fetch-and', text: withValue('r1 = 1', 'r1 = atomic_fetch_and((u64 *)(r0 + 0), r1)'), maps: [ARRAY8], code: 'isa.atomic_fetch', key: 'offload.isa.atomics.fetch_and.dw', message: 'atomic op not implemented: 81' },
  { what: 'atomic fetch-xor', text: withValue('r1 = 1', 'r1 = atomic_fetch_xor((u64 *)(r0 + 0), r1)'), maps: [ARRAY8], code: 'isa.atomic_fetch', key: 'offload.isa.atomics.fetch_xor.dw', message: 'atomic op not implemented: 161' },
  { what: 'xchg', text: withValue('r1 = 1', 'r1 = xchg_64(r0 + 0, r1)'), maps: [ARRAY8], code: 'isa.atomic_fetch', key: 'offload.isa.atomics.xchg.dw', message: 'atomic op not implemented: 225' },
  { what: 'cmpxchg', text: withValue('r1 = 1', 'r2 = r0', 'r0 = 0', 'r0 = cmpxchg_64(r2 + 0, r0, r1)'), maps: [ARRAY8], code: 'isa.atomic_fetch', key: 'offload.isa.atomics.cmpxchg.dw', message: 'atomic op not implemented: 241' },
  { what: 'atomic add on the stack', text: prog('r1 = 0', '*(u64 *)(r10 - 8) = r1', 'r1 = 1', 'lock *(u64 *)(r10 - 8) += r1'), code: 'isa.atomic_target', key: 'offload.isa.atomics.targets', message: 'atomic add not to a map value pointer: 6', allowed: withValue('r1 = 1', 'lock *(u64 *)(r0 + 0) += r1'), allowedMaps: [ARRAY8] },
  { what: 'may_goto', text: prog('may_goto skip', 'r0 = 1', 'skip:'), code: 'isa.may_goto', key: 'offload.isa.may_goto', message: 'instruction 0xe5 not supported' },
  { what: 'load-acquire, 64-bit', text: prog('r1 = 0', '*(u64 *)(r10 - 8) = r1', 'r5 = load_acquire((u64 *)(r10 - 8))'), code: 'isa.load_acquire', key: 'offload.isa.load_acquire', message: 'atomic op not implemented: 256' },
  { what: 'load-acquire, 8-bit', text: prog('r1 = 0', '*(u64 *)(r10 - 8) = r1', 'w5 = load_acquire((u8 *)(r10 - 8))'), code: 'isa.load_acquire', key: 'offload.isa.load_acquire', message: 'instruction 0xd3 not supported' },
  { what: 'store-release, 64-bit', text: prog('r1 = 0', 'store_release((u64 *)(r10 - 8), r1)'), code: 'isa.store_release', key: 'offload.isa.store_release', message: 'atomic op not implemented: 272' },
  { what: '32-bit ALU (profile without it)', text: prog('w0 = 2'), forbid: withKey(host, 'offload.isa.alu32', false), code: 'isa.alu32', key: 'offload.isa.alu32', message: 'instruction 0xb4 not supported' },
  { what: '64-bit ALU (profile without it)', text: 'r0 = 3\nexit', forbid: withKey(host, 'offload.isa.alu64', false), code: 'isa.alu64', key: 'offload.isa.alu64', message: 'instruction 0xb7 not supported' },
  { what: 'JMP32 (profile without it)', text: prog(U32, 'if w7 > 3 goto out'), forbid: withKey(host, 'offload.isa.jmp32', false), code: 'isa.jmp32', key: 'offload.isa.jmp32', message: 'instruction 0x26 not supported' },
  { what: 'MUL (profile without it)', text: prog(U32, 'r7 *= 3'), forbid: withKey(host, 'offload.isa.mul.supported', false), code: 'isa.mul', key: 'offload.isa.mul.supported', message: 'instruction 0x27 not supported' },
  { what: 'DIV (profile without it)', text: prog(U32, 'r7 /= 3'), forbid: withKey(host, 'offload.isa.div.supported', false), code: 'isa.div', key: 'offload.isa.div.supported', message: 'instruction 0x37 not supported' },
  { what: 'bpf-to-bpf call (hxdp)', text: 'call sub\nr0 = 2\nexit\nsub:\nr0 = 1\nexit', forbid: profile('hxdp'), code: 'isa.bpf_call', key: 'offload.isa.bpf_calls' },
];

describe('instruction rules', () => {
  for (const c of cases) {
    const forbid = c.forbid ?? agilio;
    it(`${c.what}: ${c.code} on ${forbid.name}, not on host-x86`, () => {
      const r = checkAsm(c.text, forbid, c.maps);
      expect(r.rejected).toBeNull();
      const f = r.findings.find((x) => x.code === c.code);
      expect(f, JSON.stringify(r.findings.map((x) => `${x.code} ${x.message}`))).toBeDefined();
      expect(f!.profile_key).toBe(c.key);
      expect(f!.severity).toBe('instruction');
      expect(f!.pc).not.toBeNull();
      expect(f!.insn).toBeTruthy();
      if (c.message) expect(f!.message).toBe(c.message);
      if (forbid.offload.driver_messages === 'nfp') expect(f!.driver_message).toBe(c.noDriver ? null : c.message);
      expect(r.verdict).toBe('host');

      const ok = checkAsm(c.text, host, c.maps);
      expect(ok.findings.map((x) => x.code)).not.toContain(c.code);
      expect(ok.verdict).toBe('offload');
      if (c.allowed) {
        const a = checkAsm(c.allowed, forbid, c.allowedMaps ?? c.maps);
        expect(a.findings.map((x) => `${x.code} ${x.message}`)).toEqual([]);
        expect(a.verdict).toBe('offload');
      }
    });
  }
});

describe('kernel function calls', () => {
  const spec = () => loadObjectFile(join(root, 'test/fixtures/verifier/corpus/kfunc_dynptr_xdp.o'));
  const id = kfuncByName('bpf_dynptr_from_xdp')!.btfId;
  it('a kfunc call (verifier corpus kfunc_dynptr_xdp.o) is not offloadable to agilio-cx, fine on a host', () => {
    // The loader resolves the __ksym to its BTF id in the recorded kernel, as libbpf does against vmlinux.
    const run = (p: Profile) => checkObject(spec(), [{ name: p.name, profile: p }], verifierSafety)[0]!;
    const f = run(agilio).findings.find((x) => x.code === 'isa.kfunc');
    expect(f).toMatchObject({ pc: 3, profile_key: 'offload.isa.kfuncs', insn: `call kfunc 0x${id.toString(16)}`, driver_message: `unsupported function id: ${id}` });
    expect(run(agilio).verdict).toBe('host');
    expect(run(host).verdict).toBe('offload');
  });
  it('a list of kfuncs in offload.isa.kfuncs allows exactly those', () => {
    const withList = (kfuncs: string[]): Profile => ({ ...host, name: 'list', offload: { ...host.offload, isa: { ...host.offload.isa, kfuncs } } });
    const run = (p: Profile) => checkObject(spec(), [{ name: p.name, profile: p }], verifierSafety)[0]!;
    expect(run(withList(['bpf_dynptr_from_xdp'])).verdict).toBe('offload');
    const other = run(withList(['bpf_xdp_metadata_rx_hash']));
    expect(other.verdict).not.toBe('offload');
    expect(other.findings.find((x) => x.code === 'isa.kfunc')).toMatchObject({ pc: 3, profile_key: 'offload.isa.kfuncs' });
    expect(other.findings.find((x) => x.code === 'isa.kfunc')!.message).toMatch(/bpf_dynptr_from_xdp/);
  });
});
