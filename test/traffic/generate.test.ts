// The traffic generator: spec parsing (key=value and YAML, errors naming the key), determinism, the
// size, flow (Zipf) and rate distributions, header facts checked by hand-written parsing (lengths,
// checksums), and tshark's dissection: live when installed (no expert finding of warning level or
// above on the valid frames, checksums verified; every malformed frame flagged), and the recorded
// findings on the committed snapshot otherwise.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../offload/errors.ts';
import { FCS_LEN, generate, type GeneratedFrame, IMIX, loadTrafficSpec, parseTrafficSpec, WIRE_OVERHEAD } from '../../nic/traffic/generate.ts';
import { PcapWriter } from '../../nic/traffic/index.ts';
import { sum16 } from '../../nic/traffic/build.ts';
import { fixture, hasTshark, tmpDir, tsharkFields } from './helpers.ts';
import { SAMPLE_SEED, SAMPLE_SPEC } from './samples.ts';

const ALL = 'packets=400,flows=60,size=imix,ipv6=0.4,l4=tcp:1+udp:1+icmp:1,vlan=0.2,qinq=0.2,ipip=0.15,gre=0.15,vxlan=0.2';
const digest = (frames: Iterable<GeneratedFrame>) => {
  const h = createHash('sha256');
  for (const f of frames) h.update(f.data).update(String(f.tsNs)).update(String(f.wireLen));
  return h.digest('hex');
};

describe('traffic spec', () => {
  it('key=value and YAML give the same spec', () => {
    const a = parseTrafficSpec('packets=10,flows=3,zipf=1.2,size=64-128,ipv6=0.5,l4=tcp:3+udp:1,vlan=0.1,malformed=0.01,pps=1000000,start=5');
    const b = parseTrafficSpec('packets: 10\nflows: 3\nzipf: 1.2\nsize: 64-128\nipv6: 0.5\nl4: {tcp: 3, udp: 1}\nvlan: 0.1\nmalformed: 0.01\npps: 1000000\nstart: 5\n');
    expect(b).toEqual(a);
    expect(a.size).toEqual({ kind: 'uniform', min: 64, max: 128 });
    expect(a.l4).toEqual({ tcp: 3, udp: 1, icmp: 0 });
    expect(a.rate).toEqual({ kind: 'pps', pps: 1e6 });
    expect(a.startNs).toBe(5_000_000_000n);
    expect(parseTrafficSpec('size=imix').size).toEqual({ kind: 'imix' });
  });

  it('reads a YAML file; errors name the key (and the file)', () => {
    const dir = tmpDir('nicsim-spec-');
    const f = path.join(dir, 't.yaml');
    fs.writeFileSync(f, 'packets: 5\nsize: 1500\n');
    expect(loadTrafficSpec(f).packets).toBe(5);
    fs.writeFileSync(f, 'packets: 5\nsizes: 1500\n');
    expect(() => loadTrafficSpec(f)).toThrow(`${f}: sizes: sizes: unknown key`);
    fs.rmSync(dir, { recursive: true });
    const bad: Array<[string, RegExp]> = [
      ['packets=0', /^packets: packets: '0' is not an integer/],
      ['size=63', /size: '63' is not an integer from 64/],
      ['size=big', /size: 'big' is not N, imix or A-B/],
      ['size=200-100', /size: range 200-100 is empty/],
      ['ipv6=2', /ipv6: '2' is not a fraction/],
      ['l4=sctp:1', /l4: unknown protocol 'sctp'/],
      ['pps=10,gbps=1', /gbps: pps and gbps exclude each other/],
      ['vlan=0.6,qinq=0.6', /qinq: vlan \+ qinq = 1.2 is above 1/],
      ['flows', /flows: needs key=value/],
      ['bogus=1', /bogus: unknown key/],
      ['packets=1,packets=2', /packets: given twice/],
    ];
    for (const [text, re] of bad) {
      let err: unknown;
      try {
        parseTrafficSpec(text);
      } catch (e) {
        err = e;
      }
      expect(err, text).toBeInstanceOf(InputError);
      expect((err as Error).message, text).toMatch(re);
    }
    expect(() => loadTrafficSpec('/no/such/spec.yaml')).toThrow(InputError);
  });
});

describe('generator', () => {
  it('same seed, same bytes; another seed, other bytes', () => {
    const spec = parseTrafficSpec(ALL + ',malformed=0.1');
    expect(digest(generate(spec, 42))).toBe(digest(generate(spec, 42)));
    expect(digest(generate(spec, 43))).not.toBe(digest(generate(spec, 42)));
  });

  it('sizes: fixed, uniform range, IMIX 7:4:1', () => {
    for (const f of generate(parseTrafficSpec('packets=50,size=128,l4=udp'), 1)) expect(f.data.length).toBe(128 - FCS_LEN);
    for (const f of generate(parseTrafficSpec('packets=500,size=100-300'), 1)) {
      expect(f.size).toBeGreaterThanOrEqual(100);
      expect(f.size).toBeLessThanOrEqual(300);
      expect(f.data.length).toBe(f.size - FCS_LEN);
    }
    const counts = new Map<number, number>();
    const N = 12000;
    for (const f of generate(parseTrafficSpec(`packets=${N},size=imix`), 3)) counts.set(f.size, (counts.get(f.size) ?? 0) + 1);
    for (const [size, w] of IMIX) expect(Math.abs(counts.get(size)! / N - w / 12)).toBeLessThan(0.02);
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual(IMIX.map(([s]) => s));
  });

  it('headers longer than the size grow the frame to the header length', () => {
    for (const f of generate(parseTrafficSpec('packets=50,size=64,ipv6=1,l4=tcp,qinq=1,vxlan=1'), 2)) {
      expect(f.data.length).toBe(14 + 8 + 20 + 8 + 8 + 14 + 40 + 20);
    }
  });

  it('flows: Zipf weights 1/k^s, uniform at s = 0', () => {
    const N = 40000;
    const count = (s: number) => {
      const c = new Array<number>(10).fill(0);
      for (const f of generate(parseTrafficSpec(`packets=${N},flows=10,zipf=${s}`), 9)) c[f.flow]!++;
      return c;
    };
    const z = count(1);
    const H = [...Array(10).keys()].reduce((a, k) => a + 1 / (k + 1), 0);
    z.forEach((c, k) => expect(Math.abs(c / N - 1 / (k + 1) / H)).toBeLessThan(0.01));
    count(0).forEach((c) => expect(Math.abs(c / N - 0.1)).toBeLessThan(0.01));
  });

  it('timestamps: fixed pps, and line rate with 20 bytes of preamble and gap per frame', () => {
    const pps = [...generate(parseTrafficSpec('packets=5,pps=4000000,start=10'), 1)].map((f) => f.tsNs);
    expect(pps).toEqual([10_000_000_000n, 10_000_000_250n, 10_000_000_500n, 10_000_000_750n, 10_000_001_000n]);
    // 64-byte frames at 10 Gb/s: 84 bytes on the wire = 67.2 ns, 14.88 Mpps.
    const line = [...generate(parseTrafficSpec('packets=1001,size=64,gbps=10,start=0'), 1)];
    expect(line[1]!.tsNs).toBe(67n);
    expect(line[1000]!.tsNs).toBe(BigInt(Math.floor((1000 * (64 + WIRE_OVERHEAD) * 8) / 10)));
  });

  it('lengths and checksums, parsed by hand from the bytes', () => {
    let checked = 0;
    for (const f of generate(parseTrafficSpec(ALL), 11)) {
      const d = f.data;
      let o = 12;
      let type = (d[o]! << 8) | d[o + 1]!;
      while (type === 0x8100 || type === 0x88a8) {
        o += 4;
        type = (d[o]! << 8) | d[o + 1]!;
      }
      o += 2;
      // Walk IP headers through tunnels down to L4.
      for (;;) {
        if (type === 0x0800) {
          expect((d[o + 2]! << 8) | d[o + 3]!).toBe(d.length - o); // total length
          expect(sum16(d, o, o + 20) % 0xffff).toBe(0); // header checksum folds to 0xffff
          const proto = d[o + 9]!;
          const l4 = o + 20;
          const pseudo = sum16(d, o + 12, o + 20) + proto + (d.length - l4);
          if (proto === 4 || proto === 41) ((type = proto === 4 ? 0x0800 : 0x86dd), (o = l4));
          else if (proto === 47) ((type = (d[l4 + 2]! << 8) | d[l4 + 3]!), (o = l4 + 4));
          else if (proto === 17 && ((d[l4 + 2]! << 8) | d[l4 + 3]!) === 4789) {
            expect(sum16(d, l4, d.length, pseudo) % 0xffff).toBe(0);
            type = (d[l4 + 28]! << 8) | d[l4 + 29]!;
            o = l4 + 30;
          } else {
            expect(sum16(d, l4, d.length, proto === 1 ? 0 : pseudo) % 0xffff, `frame ${f.index} proto ${proto}`).toBe(0);
            break;
          }
        } else {
          expect(type).toBe(0x86dd);
          expect((d[o + 4]! << 8) | d[o + 5]!).toBe(d.length - o - 40);
          const nh = d[o + 6]!;
          const pseudo = sum16(d, o + 8, o + 40) + nh + (d.length - o - 40);
          expect(sum16(d, o + 40, d.length, pseudo) % 0xffff).toBe(0);
          break;
        }
      }
      checked++;
    }
    expect(checked).toBe(400);
  });

  it('malformed frames: the requested share, each cut inside its headers or with a longer IP length', () => {
    const frames = [...generate(parseTrafficSpec('packets=4000,l4=tcp:1+udp:1,ipv6=0.5,malformed=0.25'), 5)];
    const bad = frames.filter((f) => f.malformed);
    expect(Math.abs(bad.length / frames.length - 0.25)).toBeLessThan(0.03);
    expect(new Set(bad.map((f) => f.malformed))).toEqual(new Set(['truncated', 'bad-length']));
    for (const f of bad) if (f.malformed === 'truncated') expect(f.data.length).toBeLessThan(14 + 40 + 20);
  });

  it('committed snapshot: tshark found nothing wrong with the valid frames and flagged every malformed one', () => {
    const rec = JSON.parse(fs.readFileSync(fixture('gen.snapshot.pcap.expert.json'), 'utf8')) as {
      frames: Array<{ number: number; protocols: string; severity: number[]; malformed: boolean }>;
    };
    const frames = [...generate(parseTrafficSpec(SAMPLE_SPEC), SAMPLE_SEED)];
    expect(rec.frames.length).toBe(frames.length);
    checkExpert(frames, rec.frames);
    // Every protocol of the mix was dissected somewhere.
    const protos = new Set(rec.frames.flatMap((r) => r.protocols.split(':')));
    for (const p of ['vlan', 'ieee8021ad', 'ip', 'ipv6', 'tcp', 'udp', 'icmp', 'icmpv6', 'gre', 'vxlan']) expect(protos, p).toContain(p);
  });

  it.skipIf(!hasTshark())(`tshark dissects fresh generated traffic, live${hasTshark() ? '' : ' (skipped: tshark is not installed)'}`, () => {
    const dir = tmpDir('nicsim-gen-');
    const p = path.join(dir, 'gen.pcap');
    const frames = [...generate(parseTrafficSpec(ALL + ',malformed=0.05,zipf=0.8'), 2024)];
    const w = new PcapWriter(p);
    for (const f of frames) w.write(f);
    w.close();
    const rows = tsharkFields(p, ['frame.number', 'frame.protocols', '_ws.expert.severity', '_ws.malformed'], [
      '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.analyze_sequence_numbers:FALSE',
    ]);
    checkExpert(frames, rows.map(([n, protocols, sev, mal]) => ({ number: Number(n), protocols: protocols!, severity: (sev ?? '').split(',').filter(Boolean).map(Number), malformed: (mal ?? '') !== '' })));
    fs.rmSync(dir, { recursive: true });
  });
});

/** PI_WARN in Wireshark's expert severities (epan/proto.h): warnings and errors are at or above it. */
const PI_WARN = 0x00600000;

function checkExpert(frames: GeneratedFrame[], rows: Array<{ number: number; severity: number[]; malformed: boolean }>): void {
  expect(rows.length).toBe(frames.length);
  let flagged = 0;
  for (const r of rows) {
    const f = frames[r.number - 1]!;
    const bad = r.malformed || r.severity.some((s) => s >= PI_WARN);
    expect(bad, `frame ${r.number} (${f.malformed ?? 'valid'})`).toBe(f.malformed !== undefined);
    if (bad) flagged++;
  }
  expect(flagged).toBeGreaterThan(0);
}
