// The pcap/pcapng reader against tshark's recorded view of files written by Wireshark's tools (and of
// the byte-swapped / crafted files no tool writes): frame numbers, sections, interfaces, timestamps,
// lengths and bytes, exactly; interfaces' link types, snap lengths and clocks as capinfos reports.
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generate, openCapture, parseTrafficSpec, PcapngWriter, PcapWriter } from '../../nic/traffic/index.ts';
import { epochToNs, fixture, hex, readAll, tmpDir, tsharkView } from './helpers.ts';

const FILES = ['basic.pcapng', 'le-us.pcap', 'le-ns.pcap', 'be-us.pcap', 'be-ns.pcap', 'snap64.pcap', 'rawip.pcap', 'two-ifaces.pcapng', 'crafted.pcapng', 'sections.pcapng'];
const ENCAP_TO_LINKTYPE: Record<string, number> = { 'Ethernet (1 - ether)': 1, 'Raw IP (7 - rawip)': 101 };
const U64 = 1n << 64n;

/** Wireshark 4.0's conversion (wiretap/pcapng.c): the fraction times 1e9 wraps at 64 bits. */
function wiresharkNs(hi: number, lo: number, units: bigint, offset: bigint): bigint {
  const v = (BigInt(hi) << 32n) | BigInt(lo);
  const frac = ((v % units) * 1_000_000_000n) % U64;
  return (v / units + offset) * 1_000_000_000n + frac / units;
}

describe('reader agrees with tshark', () => {
  for (const name of FILES) {
    it(name, () => {
      const view = tsharkView(name);
      const { frames, raw, warnings, interfaces, reader } = readAll(fixture(name));
      expect(warnings).toEqual([]);
      expect(reader.format).toBe(name.endsWith('.pcapng') ? 'pcapng' : 'pcap');
      const packets = view.frames.filter((t) => t.encap_type !== null); // custom blocks are records, not packets
      expect(frames.length).toBe(packets.length);
      frames.forEach((f, i) => {
        const t = packets[i]!;
        const info = interfaces[f.iface]!;
        expect({ index: f.index, section: info.section + 1, iface: info.localId, len: f.wireLen, cap: f.data.length, hex: hex(f.data) }).toEqual({
          index: t.number,
          section: t.section,
          iface: t.interface_id,
          len: t.len,
          cap: t.cap_len,
          hex: t.hex,
        });
        if (t.time_epoch === null) {
          expect(f.tsNs).toBe(0n); // a Simple Packet Block has no timestamp
        } else if (info.unitsPerSecond * 1_000_000_000n >= U64 && reader.format === 'pcapng') {
          // tshark wraps the fraction; ours is exact (see README): check both against the raw words.
          const [hi, lo] = raw[i]!;
          expect(epochToNs(t.time_epoch)).toBe(wiresharkNs(hi, lo, info.unitsPerSecond, info.tsOffsetSec));
          const v = (BigInt(hi) << 32n) | BigInt(lo);
          expect(f.tsNs).toBe((v / info.unitsPerSecond + info.tsOffsetSec) * 1_000_000_000n + ((v % info.unitsPerSecond) * 1_000_000_000n) / info.unitsPerSecond);
        } else {
          expect(f.tsNs).toBe(epochToNs(t.time_epoch));
        }
      });
      // One interface per IDB (pcap: the file header), as capinfos lists them.
      expect(interfaces.length).toBe(view.interfaces.length);
      interfaces.forEach((info, i) => {
        const c = view.interfaces[i]!;
        expect(info.id).toBe(i);
        expect(info.linktype).toBe(ENCAP_TO_LINKTYPE[c['Encapsulation']!]);
        expect(String(info.unitsPerSecond)).toBe(c['Time ticks per second']);
        expect(String(info.snaplen)).toBe(c['Capture length']);
      });
    });
  }

  it('small chunks and large chunks read the same frames (every refill path)', () => {
    for (const name of ['sections.pcapng', 'be-ns.pcap', 'two-ifaces.pcapng']) {
      const big = readAll(fixture(name)).frames.map((f) => [f.index, f.iface, f.tsNs, f.wireLen, hex(f.data)]);
      for (const chunkSize of [64, 100, 333]) {
        const small = readAll(fixture(name), { chunkSize }).frames.map((f) => [f.index, f.iface, f.tsNs, f.wireLen, hex(f.data)]);
        expect(small).toEqual(big);
      }
    }
  });

  it('the reused cursor frame, the iterator and copies() agree', () => {
    const copies = [...openCapture(fixture('crafted.pcapng')).copies()];
    const viaIter: string[] = [];
    for (const f of openCapture(fixture('crafted.pcapng'))) viaIter.push(`${f.index}:${f.tsNs}:${hex(f.data)}`);
    expect(viaIter).toEqual(copies.map((f) => `${f.index}:${f.tsNs}:${hex(f.data)}`));
    const r = openCapture(fixture('crafted.pcapng'));
    const a = r.next()!;
    const b = r.next()!;
    expect(a).toBe(b); // one reused object
    expect(b.index).toBe(2);
    // Leaving a loop early closes the reader: next() then reports the end.
    const r2 = openCapture(fixture('le-us.pcap'));
    for (const f of r2) if (f.index === 2) break;
    expect(r2.next()).toBeNull();
  });

  it('long packets past the view cache and past one chunk read intact', () => {
    const dir = tmpDir('nicsim-long-');
    const p = path.join(dir, 'long.pcap');
    const w = new PcapWriter(p);
    const sizes = [60, 20000, 60, 70000, 1514, 60];
    const made = sizes.map((n, i) => Uint8Array.from({ length: n }, (_, k) => (k * 7 + i) & 0xff));
    made.forEach((data, i) => w.write({ tsNs: BigInt(i), data }));
    w.close();
    for (const chunkSize of [64, 4096, 1 << 20]) {
      const r = openCapture(p, { chunkSize });
      const got: string[] = [];
      for (let f = r.next(); f !== null; f = r.next()) got.push(hex(f.data));
      expect(got).toEqual(made.map(hex));
      expect(r.bufferBytes).toBeLessThanOrEqual(Math.max(chunkSize, 2 * (70000 + 16)));
    }
    fs.rmSync(dir, { recursive: true });
  });

  it('memory stays one chunk while a file many times larger streams through', () => {
    const dir = tmpDir('nicsim-stream-');
    const p = path.join(dir, 's.pcapng');
    const w = new PcapngWriter(p);
    for (const f of generate(parseTrafficSpec('packets=20000,size=imix'), 3)) w.write(f);
    w.close();
    const r = openCapture(p, { chunkSize: 65536 });
    let n = 0;
    let most = 0;
    for (let f = r.next(); f !== null; f = r.next()) {
      n++;
      most = Math.max(most, r.bufferBytes);
    }
    expect(n).toBe(20000);
    expect(fs.statSync(p).size).toBeGreaterThan(50 * 65536);
    expect(most).toBe(65536);
    fs.rmSync(dir, { recursive: true });
  });

  it('pcap header facts: byte order, precision, link type, snaplen', () => {
    const le = openCapture(fixture('le-us.pcap'));
    const be = openCapture(fixture('be-ns.pcap'));
    const raw = openCapture(fixture('rawip.pcap'));
    expect([le.littleEndian, be.littleEndian]).toEqual([true, false]);
    expect([le.interfaces[0]!.unitsPerSecond, be.interfaces[0]!.unitsPerSecond]).toEqual([1_000_000n, 1_000_000_000n]);
    expect(raw.interfaces[0]!.linktype).toBe(101);
    expect(openCapture(fixture('snap64.pcap')).interfaces[0]!.snaplen).toBe(262144); // editcap -s cuts records, keeps the header's
  });
});
