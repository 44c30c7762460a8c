// Public entry of nic/traffic: open a capture (pcap or pcapng, sniffed from the first bytes), create
// a writer, and the generator. Readers hand out one reused CursorFrame (valid until the next call);
// `copies()` or `copyFrame` give frames that stay valid.
import { CaptureError } from './errors.ts';
import type { CaptureReader } from './frame.ts';
import { PcapReader, PCAP_MAGIC_NS, PCAP_MAGIC_US, PcapWriter, type PcapWriterOptions, type ReaderOptions } from './pcap.ts';
import { BT_SHB, MAX_BLOCK_LEN, PcapngReader, PcapngWriter, type PcapngWriterOptions } from './pcapng.ts';
import { ChunkSource } from './source.ts';

export { CaptureError, CaptureOutputError, type CaptureWarning } from './errors.ts';
export { type CaptureReader, type Clock, copyFrame, CursorFrame, type Frame, type FrameInput, type InterfaceInfo } from './frame.ts';
export { LINKTYPE_ETHERNET, MAX_PACKET_LEN, PcapReader, PcapWriter, type PcapWriterOptions, type ReaderOptions } from './pcap.ts';
export { PcapngReader, PcapngWriter, type PcapngWriterOptions } from './pcapng.ts';
export type { SourceOptions } from './source.ts';

/** Opens a pcap or pcapng file (`-` = stdin, capped by `stdinCap`) and reads its header. */
export function openCapture(path: string, opts: ReaderOptions = {}): CaptureReader {
  const src = new ChunkSource(path, { ...opts, maxBuffer: Math.max(opts.maxBuffer ?? 0, MAX_BLOCK_LEN) });
  try {
    if (!src.need(4)) throw new CaptureError('capture-empty', src.avail() === 0 ? 'empty file, not a capture' : `file is ${src.avail()} bytes, not a capture`, src.file, 0);
    const le = src.dv.getUint32(src.pos, true);
    const be = src.dv.getUint32(src.pos, false);
    if (le === BT_SHB) return new PcapngReader(src, opts);
    if (le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS || be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS) return new PcapReader(src, opts);
    throw new CaptureError('capture-bad-magic', `not a pcap or pcapng file (first bytes 0x${be.toString(16).padStart(8, '0')})`, src.file, 0);
  } catch (e) {
    src.close();
    throw e;
  }
}

export type CaptureFormat = 'pcap' | 'pcapng';

export interface CaptureWriter {
  readonly path: string;
  write(f: import('./frame.ts').FrameInput): void;
  close(): void;
}

/** Creates a capture writer; the format defaults from the extension (.pcapng, else pcap). */
export function createCapture(path: string, format?: CaptureFormat, opts: PcapWriterOptions & PcapngWriterOptions = {}): CaptureWriter {
  const fmt = format ?? (path.endsWith('.pcapng') ? 'pcapng' : 'pcap');
  return fmt === 'pcapng' ? new PcapngWriter(path, opts) : new PcapWriter(path, opts);
}

export {
  FCS_LEN,
  generate,
  type GeneratedFrame,
  IMIX,
  type MalformKind,
  WIRE_OVERHEAD,
} from './generate.ts';
export { defaultSpec, KEYS as TRAFFIC_SPEC_KEYS, loadTrafficSpec, parseTrafficSpec, type Rate, type SizeDist, type TrafficSpec } from './spec.ts';
