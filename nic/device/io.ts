// Packet input and output of a run, behind two small interfaces so that the device does not depend
// on a file format: a source yields packets in input order, a sink writes one output file. Until
// nic/traffic (streamed pcap/pcapng reader and writers, the traffic generator) is merged, this file
// carries a minimal classic-pcap reader and writer (both byte orders, micro/nanosecond) to run on.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { InputError } from '../../offload/errors.ts';

export interface Packet {
  tsNs: bigint;
  data: Uint8Array;
  wireLen: number;
  index: number;
}

export interface PacketSink {
  write(p: { tsNs: bigint; data: Uint8Array; wireLen?: number }): void;
  close(): void | Promise<void>;
}

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
const LINKTYPE_ETHERNET = 1;

/** Streams the packets of a classic pcap file (bounded memory: one 1 MiB read buffer). */
export function* readPcap(file: string): Generator<Packet> {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new InputError('pcap.read', `cannot read ${file}: ${(e as Error).message}`, { file });
  }
  try {
    let buf = Buffer.alloc(1 << 20);
    let have = 0;
    let start = 0;
    let fileOff = 0;
    const fill = (need: number): boolean => {
      if (have - start >= need) return true;
      if (start > 0) {
        buf.copy(buf, 0, start, have);
        have -= start;
        start = 0;
      }
      if (need > buf.length) {
        const b = Buffer.alloc(Math.max(need, buf.length * 2));
        buf.copy(b, 0, 0, have);
        buf = b;
      }
      while (have < need) {
        const n = readSync(fd, buf, have, buf.length - have, null);
        if (n === 0) return false;
        have += n;
      }
      return true;
    };
    if (!fill(24)) throw new InputError('pcap.header', `${file}: shorter than a pcap header`, { file, offset: 0 });
    const m = buf.readUInt32LE(0);
    let le: boolean;
    let ns: boolean;
    if (m === MAGIC_US || m === MAGIC_NS) le = true;
    else if (buf.readUInt32BE(0) === MAGIC_US || buf.readUInt32BE(0) === MAGIC_NS) le = false;
    else throw new InputError('pcap.magic', `${file}: not a pcap file (magic 0x${m.toString(16)}); pcapng needs nic/traffic`, { file, offset: 0 });
    ns = (le ? m : buf.readUInt32BE(0)) === MAGIC_NS;
    const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
    const link = u32(20) & 0xffff;
    if (link !== LINKTYPE_ETHERNET) throw new InputError('pcap.linktype', `${file}: link type ${link}, only Ethernet (1) frames can be run`, { file, offset: 20 });
    start = 24;
    fileOff = 24;
    for (let index = 0; ; index++) {
      if (!fill(16)) {
        if (have - start > 0) throw new InputError('pcap.truncated', `${file}: record ${index} header truncated at byte ${fileOff}`, { file, offset: fileOff });
        return;
      }
      const sec = u32(start);
      const frac = u32(start + 4);
      const incl = u32(start + 8);
      const orig = u32(start + 12);
      if (incl > 262144) throw new InputError('pcap.record', `${file}: record ${index} at byte ${fileOff} claims ${incl} bytes`, { file, offset: fileOff });
      if (!fill(16 + incl)) throw new InputError('pcap.truncated', `${file}: record ${index} at byte ${fileOff} is truncated`, { file, offset: fileOff });
      const data = Uint8Array.from(buf.subarray(start + 16, start + 16 + incl));
      const tsNs = BigInt(sec) * 1_000_000_000n + BigInt(ns ? frac : frac * 1000);
      start += 16 + incl;
      fileOff += 16 + incl;
      yield { tsNs, data, wireLen: orig, index };
    }
  } finally {
    closeSync(fd);
  }
}

/** A classic pcap writer (little-endian, nanosecond timestamps, Ethernet). */
export class PcapWriter implements PacketSink {
  private fd: number;
  private chunks: Buffer[] = [];
  private bytes = 0;

  constructor(readonly file: string) {
    this.fd = openSync(file, 'w');
    const h = Buffer.alloc(24);
    h.writeUInt32LE(MAGIC_NS, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeUInt32LE(262144, 16);
    h.writeUInt32LE(LINKTYPE_ETHERNET, 20);
    writeSync(this.fd, h);
  }

  write(p: { tsNs: bigint; data: Uint8Array; wireLen?: number }): void {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(Number(p.tsNs / 1_000_000_000n), 0);
    h.writeUInt32LE(Number(p.tsNs % 1_000_000_000n), 4);
    h.writeUInt32LE(p.data.length, 8);
    h.writeUInt32LE(Math.max(p.wireLen ?? p.data.length, p.data.length), 12);
    this.chunks.push(h, Buffer.from(p.data));
    this.bytes += 16 + p.data.length;
    if (this.bytes > 1 << 20) this.flush();
  }

  private flush(): void {
    if (this.chunks.length) writeSync(this.fd, Buffer.concat(this.chunks));
    this.chunks = [];
    this.bytes = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}
