// XDP helper semantics against the kernel and hand-computed values.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { csumDiff } from '../../firmware/xdp/csum.ts';
import { formatPrintk } from '../../firmware/xdp/printk.ts';
import { XdpBuffer } from '../../firmware/xdp/buffer.ts';

interface CsumCase {
  from: string[];
  to: string[];
  seed: string;
  r0: string;
}
const csum = JSON.parse(readFileSync(new URL('../fixtures/helpers/csum_diff.json', import.meta.url), 'utf8')) as { cases: CsumCase[] };

function words(ws: string[]): Uint8Array {
  const b = new Uint8Array(ws.length * 4);
  const dv = new DataView(b.buffer);
  ws.forEach((w, i) => dv.setUint32(i * 4, parseInt(w, 16), true));
  return b;
}

describe('bpf_csum_diff', () => {
  it(`matches the kernel on ${csum.cases.length} recorded cases`, () => {
    for (const c of csum.cases) {
      const f = words(c.from);
      const t = words(c.to);
      const got = csumDiff(f.length ? f : null, 0, f.length, t.length ? t : null, 0, t.length, parseInt(c.seed, 16));
      expect(got.toString(16), JSON.stringify(c)).toBe(c.r0);
    }
  });
});

describe('bpf_trace_printk formatting', () => {
  const args = (vals: bigint[], strs: Record<number, string> = {}) => ({
    lo: vals.map((v) => Number(BigInt.asIntN(32, v))),
    hi: vals.map((v) => Number(BigInt.asIntN(32, v >> 32n))),
    str: (lo: number) => strs[lo] ?? '?',
  });
  it('formats integers as the kernel does (hand-computed)', () => {
    expect(formatPrintk('port %d (%s)', args([7n, 100n], { 100: 'nicsim' }))).toBe('port 7 (nicsim)');
    expect(formatPrintk('%d %u %x', args([-1n, -1n, 255n]))).toBe('-1 4294967295 ff');
    expect(formatPrintk('%lld %llu %llx', args([-2n, -1n, 0x1234567890n]))).toBe('-2 18446744073709551615 1234567890');
    expect(formatPrintk('[%5d|%-5d|%05d]', args([42n, 42n, -42n]))).toBe('[   42|42   |-0042]');
    expect(formatPrintk('100%%', args([]))).toBe('100%');
    expect(formatPrintk('%d %d %d %d', args([1n, 2n, 3n, 4n]))).toBeNull(); // more than 3 arguments
    expect(formatPrintk('%f', args([1n]))).toBeNull();
  });
});

describe('XDP buffer (test_run layout)', () => {
  it('grows the head by at most 216 bytes and keeps 14 bytes of frame', () => {
    const b = new XdpBuffer();
    b.reset(new Uint8Array(60));
    expect(b.adjustHead(-217)).toBe(-22);
    expect(b.adjustHead(-216)).toBe(0);
    expect(b.adjustHead(216 + 60 - 14)).toBe(0);
    expect(b.linearLen).toBe(14);
    expect(b.adjustHead(1)).toBe(-22);
  });
  it('limits metadata to 4-byte multiples inside the headroom', () => {
    const b = new XdpBuffer();
    b.reset(new Uint8Array(60));
    expect(b.adjustMeta(-6)).toBe(-13);
    expect(b.adjustMeta(-8)).toBe(0);
    expect(b.metaLen).toBe(8);
  });
  it('splits long frames into a 3520-byte linear part and 4096-byte fragments', () => {
    const b = new XdpBuffer();
    const pkt = Uint8Array.from({ length: 9000 }, (_, i) => i & 0xff);
    b.reset(pkt);
    expect(b.linearLen).toBe(3520);
    expect(Array.from({ length: b.nfrags }, (_, i) => b.fragLen(i))).toEqual([4096, 1384]);
    expect(b.totalLen).toBe(9000);
    expect(b.output()).toEqual(pkt);
    const out = new Uint8Array(8);
    expect(b.copy(3516, out, 0, 8, false)).toBe(0);
    expect([...out]).toEqual([...pkt.subarray(3516, 3524)]);
    expect(b.adjustTail(4096 - 1384)).toBe(0);
    expect(b.adjustTail(1)).toBe(-22);
  });
});
