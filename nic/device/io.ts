// Packet input and output of a run, behind two small interfaces so that the device does not depend
// on a file format: a source yields packets in input order (a capture read by nic/traffic, or its
// generator), a sink writes one output file (nic/traffic's pcap writer). A source may reuse one packet
// object: the device copies each packet into a ring before asking for the next.
import { createCapture, generate, loadTrafficSpec, openCapture, type CaptureReader } from '../traffic/index.ts';

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

/** A pcap or pcapng file, streamed (bounded memory); its warnings (a truncated last record) after the run. */
export function readCapture(file: string): CaptureReader {
  return openCapture(file);
}

/** `--traffic SPEC` (a YAML file or key=value,...): the seeded generator's packets. */
export function generatedTraffic(spec: string, seed: number): { packets: number; source: Iterable<Packet> } {
  const s = loadTrafficSpec(spec);
  return { packets: s.packets, source: generate(s, seed) };
}

/** An output pcap. */
export function pcapSink(file: string): PacketSink {
  return createCapture(file, 'pcap');
}
