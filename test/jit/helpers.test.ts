// The helpers the JIT compiles into its module (firmware/jit/helpers.ts: bpf_csum_diff,
// bpf_xdp_adjust_head / _meta / _tail, bpf_xdp_get_buff_len, bpf_get_prandom_u32) against the
// interpreter's helper table on the same program and packet: exit kind, r0, fault, the packet as
// test_run returns it, the PRNG state and every byte of the arena outside the state block. The
// csum_diff cases are also checked against the kernel's recorded answers (test/fixtures/helpers).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assembleBytes } from '../../offload/isa/index.ts';
import { EXIT } from '../../firmware/engine.ts';
import { CORE_STATE } from '../../firmware/arena.ts';
import { S_PRNG, STATE_BYTES } from '../../firmware/state.ts';
import { objectOf, runOnBoth } from './diff.ts';
import type { ObjectSpec } from '../../offload/elf/index.ts';
import { mapSpec } from '../capability/helpers.ts';

interface CsumCase {
  from: string[];
  to: string[];
  seed: string;
  r0: string;
}
const csum = (JSON.parse(readFileSync(new URL('../fixtures/helpers/csum_diff.json', import.meta.url), 'utf8')) as { cases: CsumCase[] }).cases;

/** Runs `src` (ubpf syntax) on `packet` on both engines; returns the JIT's r0 after checking they agree. */
function both(src: string, packet: Uint8Array, maps: object[] = []): bigint | null {
  const spec = { ...objectOf(assembleBytes(src, { syntax: 'ubpf' })), maps } as ObjectSpec;
  const { coreI, coreJ, ki, kj, objI, objJ } = runOnBoth(spec, packet);
  expect(kj).toBe(ki);
  if (ki === EXIT.fault) {
    expect(coreJ.fault!.faultCode).toBe(coreI.fault!.faultCode);
    expect(coreJ.fault!.pc).toBe(coreI.fault!.pc);
    expect(coreJ.fault!.message).toBe(coreI.fault!.message);
  }
  const r0 = (s: typeof coreI) => (BigInt(s.blocks.state.hi[0]! >>> 0) << 32n) | BigInt(s.blocks.state.lo[0]! >>> 0);
  if (ki === EXIT.exit) expect(r0(coreJ)).toBe(r0(coreI));
  expect(Buffer.from(coreJ.buf.output()).toString('hex')).toBe(Buffer.from(coreI.buf.output()).toString('hex'));
  expect(coreJ.blocks.state.words[S_PRNG]).toBe(coreI.blocks.state.words[S_PRNG]);
  const a = new Uint8Array(objI.arena.sab);
  const b = new Uint8Array(objJ.arena.sab);
  const s = coreI.blocks.base + CORE_STATE;
  expect(Buffer.compare(a.subarray(0, s), b.subarray(0, s))).toBe(0);
  expect(Buffer.compare(a.subarray(s + STATE_BYTES), b.subarray(s + STATE_BYTES))).toBe(0);
  return ki === EXIT.exit ? r0(coreJ) : null;
}

const packet = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) & 0xff);
const PKT = 'ldxw %r6, [%r1+0]\nldxw %r7, [%r1+4]\n';

/** Words stored little-endian at r10 - 512 + 4 i (from) and r10 - 256 + 4 i (to), then bpf_csum_diff. */
function csumProgram(c: CsumCase): string {
  const st = (base: number, ws: string[]) => ws.map((w, i) => `stw [%r10${base + 4 * i}], 0x${w}`).join('\n');
  return [
    st(-512, c.from),
    st(-256, c.to),
    'mov %r1, %r10', 'add %r1, -512', `mov %r2, ${c.from.length * 4}`,
    'mov %r3, %r10', 'add %r3, -256', `mov %r4, ${c.to.length * 4}`,
    `lddw %r5, 0x${c.seed}`, 'call 28', 'exit',
  ].join('\n');
}

describe('helpers compiled into the module', () => {
  it(`bpf_csum_diff: the kernel's ${csum.length} recorded cases`, () => {
    for (const c of csum) expect(both(csumProgram(c), packet(60))!.toString(16), JSON.stringify(c)).toBe(BigInt(`0x${c.r0}`).toString(16));
  });

  it.each([
    ['over packet bytes', `${PKT}mov %r1, %r6\nmov %r2, 20\nmov %r3, %r6\nadd %r3, 20\nmov %r4, 8\nmov %r5, 77\ncall 28\nexit`],
    ['to only, 512 bytes of stack', `mov %r1, 0\nmov %r2, 0\nmov %r3, %r10\nadd %r3, -512\nmov %r4, 512\nmov %r5, -1\ncall 28\nexit`],
    ['from only', `${PKT}mov %r1, %r6\nmov %r2, 40\nmov %r3, 0\nmov %r4, 0\nmov %r5, 5\ncall 28\nexit`],
    ['a size not a multiple of 4 (EINVAL)', `${PKT}mov %r1, %r6\nmov %r2, 6\nmov %r3, 0\nmov %r4, 0\nmov %r5, 0\ncall 28\nexit`],
    ['more than 512 bytes (EINVAL)', `${PKT}mov %r1, %r6\nmov %r2, 260\nmov %r3, %r6\nmov %r4, 256\nmov %r5, 0\ncall 28\nexit`],
    ['past the packet end (the table faults)', `${PKT}mov %r1, %r6\nmov %r2, 64\nmov %r3, 0\nmov %r4, 0\nmov %r5, 0\ncall 28\nexit`],
    ['a scalar pointer (the table faults)', `mov %r1, 64\nmov %r2, 4\nmov %r3, 0\nmov %r4, 0\nmov %r5, 0\ncall 28\nexit`],
    ['into the context (the table reads it)', `mov %r2, 8\nmov %r3, 0\nmov %r4, 0\nmov %r5, 0\ncall 28\nexit`],
  ])('bpf_csum_diff %s', (_n, src) => {
    both(src, packet(60));
  });

  const adjust = (id: number, delta: number, after = '') => `mov %r2, ${delta}\ncall ${id}\nmov %r8, %r0\n${after}${PKT}mov %r0, %r7\nsub %r0, %r6\nlsh %r0, 32\nor %r0, %r8\nexit`;
  it.each([
    ['head -20', adjust(44, -20)], ['head +14', adjust(44, 14)], ['head -300 (EINVAL)', adjust(44, -300)],
    ['head +47 (EINVAL: shorter than ETH_HLEN)', adjust(44, 47)], ['head INT_MIN', adjust(44, -2147483648)],
    ['meta -8, then head -20 (the metadata moves)', `mov %r9, %r1\nmov %r2, -8\ncall 45\nldxw %r3, [%r9+8]\nstw [%r3+0], 0x11223344\nstw [%r3+4], 0x55667788\nmov %r1, %r9\n${adjust(44, -20).replace(/%r1/g, '%r9')}`],
    ['meta -4', adjust(45, -4)], ['meta -3 (EACCES)', adjust(45, -3)], ['meta -256 (EACCES)', adjust(45, -256)], ['meta +4 (EINVAL)', adjust(45, 4)],
    ['meta -220 (EINVAL: below xdp_frame)', adjust(45, -220)],
    ['tail -10', adjust(65, -10)], ['tail +20 (zeroed)', adjust(65, 20)], ['tail +4000 (EINVAL)', adjust(65, 4000)], ['tail -50 (EINVAL)', adjust(65, -50)],
  ])('bpf_xdp_adjust_%s', (_n, src) => {
    both(src, packet(60));
  });

  it.each([
    ['tail -100 of a multi-buffer frame (the helper table)', adjust(65, -100), 5000],
    ['tail +100 of a multi-buffer frame (the helper table)', adjust(65, 100), 5000],
    ['head -20 of a multi-buffer frame', adjust(44, -20), 5000],
  ])('bpf_xdp_adjust_%s', (_n, src, n) => {
    both(src, packet(n));
  });

  it.each([[60], [3520], [3521], [9000]])('bpf_xdp_get_buff_len of a %i-byte frame', (n) => {
    expect(both('call 188\nexit', packet(n))).toBe(BigInt(n));
  });

  // Map 0 (lddw of the map-object pointer): 4 entries of 12-byte values (16-byte slots); r0 = the
  // update's result, or'ed with the first value word read back through a lookup.
  const MAP = 'lddw %r1, 0x7f0000000000\n';
  const upd = (key: number, flags: string, value = 'mov %r3, %r10\nadd %r3, -32\n') =>
    `stdw [%r10-32], 0x1122\nstdw [%r10-24], 0x3344\nstw [%r10-4], ${key}\n${MAP}mov %r2, %r10\nadd %r2, -4\n${value}${flags}call 2\nmov %r6, %r0\n` +
    `stw [%r10-4], 1\n${MAP}mov %r2, %r10\nadd %r2, -4\ncall 1\njeq %r0, 0, +2\nldxw %r0, [%r0+0]\nlsh %r0, 32\nor %r0, %r6\nexit`;
  it.each([
    ['index 1', upd(1, 'mov %r4, 0\n')], ['BPF_EXIST', upd(1, 'mov %r4, 2\n')], ['past the end (E2BIG)', upd(4, 'mov %r4, 0\n')],
    ['BPF_NOEXIST (EEXIST)', upd(1, 'mov %r4, 1\n')], ['BPF_F_LOCK (EINVAL)', upd(1, 'mov %r4, 4\n')], ['flags 8 (EINVAL)', upd(1, 'mov %r4, 8\n')],
    ['flags above 32 bits (EINVAL)', upd(1, 'lddw %r4, 0x100000000\n')], ['a value in the packet', upd(1, 'mov %r4, 0\n', 'ldxw %r3, [%r1+0]\n')],
    ['a value past the packet (the table faults)', upd(1, 'mov %r4, 0\n', 'ldxw %r3, [%r1+0]\nadd %r3, 58\n')],
    ['a scalar key (the table faults)', upd(1, 'mov %r4, 0\nmov %r2, 8\n')],
  ])('bpf_map_update_elem on an array: %s', (_n, src) => {
    for (const type of ['array', 'percpu_array'] as const) both(src, packet(60), [mapSpec({ name: 'm', type, key: 4, value: 12, entries: 4 })]);
  });

  it('bpf_map_update_elem on an array: a value overlapping its element from below (copied forward byte by byte)', () => {
    // r7 = &element 0; update element 1 (16 bytes on) from element 0 + 8: source and destination overlap
    const src = `stw [%r10-4], 0\n${MAP}mov %r2, %r10\nadd %r2, -4\ncall 1\njeq %r0, 0, +18\nmov %r7, %r0\nlddw %r8, 0x0102030405060708\nstxdw [%r7+0], %r8\nlddw %r8, 0x1112131415161718\nstxdw [%r7+8], %r8\n` +
      `stw [%r10-4], 1\n${MAP}mov %r2, %r10\nadd %r2, -4\nmov %r3, %r7\nadd %r3, 8\nmov %r4, 0\ncall 2\nldxdw %r0, [%r7+16]\nexit\nmov %r0, 0\nexit`;
    both(src, packet(60), [mapSpec({ name: 'm', type: 'array', key: 4, value: 12, entries: 4 })]);
  });

  it('bpf_get_prandom_u32: the same numbers and generator state', () => {
    both('call 7\nmov %r6, %r0\ncall 7\nlsh %r6, 32\nor %r0, %r6\ncall 7\nexit', packet(60));
  });
});
