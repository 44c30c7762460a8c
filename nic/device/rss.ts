// Receive-side scaling: the Toeplitz hash over a frame's IPv4/IPv6 addresses and TCP/UDP ports, and
// the indirection table that turns a hash into an RX queue. The input layout is Microsoft's ("RSS
// hashing functions", https://learn.microsoft.com/windows-hardware/drivers/network/rss-hashing-functions):
// source address, destination address, then source port, destination port, in packet byte order;
// IPv4 12 or 8 bytes, IPv6 36 or 32. Which fields count is as "RSS hashing types" says: a fragment
// (MF set or a non-zero offset) hashes addresses only, even the first fragment; IPv6 hashes ports only
// when the next header right after the fixed header is TCP or UDP (no extension-header walk, the
// NDIS_HASH_*_IPV6 types without _EX). Frames that are not IPv4/IPv6 over Ethernet (optionally under
// one or two 802.1Q / 802.1ad tags), or whose IP header is cut short, get no hash and go to queue 0,
// as NICs do. The default key is Microsoft's 40-byte verification key. Hashing allocates nothing: a
// per-byte table (36 positions x 256 values) is built once per key.
import { InputError } from '../../offload/errors.ts';

/** Microsoft's RSS verification key (also the default key of many NIC drivers). */
export const MICROSOFT_RSS_KEY: readonly number[] = [
  0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
  0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
];

/** Longest hash input: two IPv6 addresses and two ports. */
export const MAX_INPUT = 36;
/** Default indirection table size (Linux's ETH_RSS default for most NICs is 128 entries). */
export const DEFAULT_TABLE_SIZE = 128;

const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;
const ETH_P_8021Q = 0x8100;
const ETH_P_8021AD = 0x88a8;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;

export interface RssOptions {
  /** Hash key, at least 40 bytes (MAX_INPUT + 4). Default: MICROSOFT_RSS_KEY. */
  key?: ArrayLike<number>;
  /** Queue of each table entry; the hash's value modulo the table length picks the entry. Default:
   * 128 entries, entry i -> queue i % queues (Linux's ethtool_rxfh_indir_default). */
  indirection?: ArrayLike<number>;
  /** Number of RX queues. */
  queues: number;
  /** Hash UDP ports as well as TCP ports (NDIS_HASH_UDP_IPV4/IPV6); default true. */
  udpPorts?: boolean;
}

/** The Toeplitz hash of `n` bytes of `input` under `key` (Microsoft's ComputeHash), without tables. */
export function toeplitz(key: ArrayLike<number>, input: ArrayLike<number>, n = input.length): number {
  let result = 0;
  // The leftmost 32 bits of the key, then shifted left one bit per input bit.
  let window = ((key[0]! << 24) | (key[1]! << 16) | (key[2]! << 8) | key[3]!) >>> 0;
  for (let i = 0; i < n; i++) {
    const next = key[i + 4] ?? 0;
    for (let b = 7; b >= 0; b--) {
      if ((input[i]! >> b) & 1) result ^= window;
      window = ((window << 1) | ((next >> b) & 1)) >>> 0;
    }
  }
  return result >>> 0;
}

export class Rss {
  readonly key: Uint8Array;
  readonly indirection: Uint16Array;
  readonly queues: number;
  readonly udpPorts: boolean;
  /** table[pos * 256 + byte] = the hash contribution of `byte` at input position `pos`. */
  private readonly table: Int32Array;

  constructor(opts: RssOptions) {
    const key = opts.key ?? MICROSOFT_RSS_KEY;
    if (key.length < MAX_INPUT + 4) throw new InputError('rss-key', `RSS key has ${key.length} bytes; at least ${MAX_INPUT + 4} are needed`, { path: 'rss.key' });
    if (!Number.isInteger(opts.queues) || opts.queues < 1 || opts.queues > 65535) throw new InputError('rss-queues', `RSS queue count ${opts.queues} is not an integer from 1 to 65535`, { path: 'rx.queues' });
    this.key = Uint8Array.from(key as ArrayLike<number>);
    this.queues = opts.queues;
    this.udpPorts = opts.udpPorts ?? true;
    const ind = opts.indirection ?? Array.from({ length: DEFAULT_TABLE_SIZE }, (_, i) => i % opts.queues);
    if (ind.length === 0) throw new InputError('rss-indirection', 'RSS indirection table is empty', { path: 'rss.indirection' });
    this.indirection = new Uint16Array(ind.length);
    for (let i = 0; i < ind.length; i++) {
      const q = ind[i]!;
      if (!Number.isInteger(q) || q < 0 || q >= opts.queues) throw new InputError('rss-indirection', `RSS indirection entry ${i} is ${q}, not a queue below ${opts.queues}`, { path: `rss.indirection[${i}]` });
      this.indirection[i] = q;
    }
    this.table = new Int32Array(MAX_INPUT * 256);
    for (let pos = 0; pos < MAX_INPUT; pos++) {
      // The eight key windows for the bits of this byte: bit k (from the left) uses the key from bit pos*8+k.
      const w = new Int32Array(8);
      for (let k = 0; k < 8; k++) w[k] = this.windowAt(pos * 8 + k);
      for (let v = 0; v < 256; v++) {
        let h = 0;
        for (let k = 0; k < 8; k++) if ((v >> (7 - k)) & 1) h ^= w[k]!;
        this.table[pos * 256 + v] = h;
      }
    }
  }

  /** The 32 key bits starting at bit `bit`. */
  private windowAt(bit: number): number {
    let w = 0;
    for (let i = 0; i < 32; i++) {
      const b = bit + i;
      w = (w << 1) | ((this.key[b >> 3]! >> (7 - (b & 7))) & 1);
    }
    return w | 0;
  }

  /** Toeplitz hash of input[off, off+n) with this key (n <= 36). */
  hashBytes(input: Uint8Array, off = 0, n = input.length - off): number {
    return this.bytes32(input, off, n) >>> 0;
  }

  // The hash as a signed 32-bit value inside this class (a uint32 above 2^31 is a heap number once it
  // leaves a function: one allocation per packet); `noInput` says the last frame gave no hash input.
  private noInput = false;

  private bytes32(input: Uint8Array, off: number, n: number): number {
    const t = this.table;
    let h = 0;
    for (let i = 0; i < n; i++) h ^= t[(i << 8) | input[off + i]!]!;
    return h;
  }

  /** Hash two fields of the frame as one input: frame[a, a+na) then frame[b, b+nb). */
  private hash2(f: Uint8Array, a: number, na: number, b: number, nb: number): number {
    const t = this.table;
    let h = 0;
    for (let i = 0; i < na; i++) h ^= t[(i << 8) | f[a + i]!]!;
    for (let i = 0; i < nb; i++) h ^= t[((na + i) << 8) | f[b + i]!]!;
    return h;
  }

  /** The RSS hash of an Ethernet frame, or -1 when the frame gives no hash input (not IP, cut short). */
  hash(frame: Uint8Array): number {
    const h = this.hash32(frame, 0, frame.length);
    return this.noInput ? -1 : h >>> 0;
  }

  /** The hash of the frame frame[base, base + len) as a signed int32; sets `noInput` (then the value is 0). */
  private hash32(frame: Uint8Array, base: number, len: number): number {
    this.noInput = true;
    if (len < 14) return 0;
    const end = base + len;
    let l3 = base + 14;
    let type = (frame[base + 12]! << 8) | frame[base + 13]!;
    for (let tags = 0; tags < 2 && (type === ETH_P_8021Q || type === ETH_P_8021AD); tags++) {
      if (end < l3 + 4) return 0;
      type = (frame[l3 + 2]! << 8) | frame[l3 + 3]!;
      l3 += 4;
    }
    if (type === ETH_P_IP) {
      if (end < l3 + 20) return 0;
      const vihl = frame[l3]!;
      const ihl = (vihl & 0x0f) * 4;
      if (vihl >> 4 !== 4 || ihl < 20 || end < l3 + ihl) return 0;
      const frag = ((frame[l3 + 6]! << 8) | frame[l3 + 7]!) & 0x3fff; // MF and the fragment offset
      const proto = frame[l3 + 9]!;
      const l4 = l3 + ihl;
      if (frag === 0 && (proto === IPPROTO_TCP || (proto === IPPROTO_UDP && this.udpPorts)) && end >= l4 + 4) {
        this.noInput = false;
        return this.hash2(frame, l3 + 12, 8, l4, 4);
      }
      this.noInput = false;
      return this.bytes32(frame, l3 + 12, 8);
    }
    if (type === ETH_P_IPV6) {
      if (end < l3 + 40 || frame[l3]! >> 4 !== 6) return 0;
      const nh = frame[l3 + 6]!;
      const l4 = l3 + 40;
      if ((nh === IPPROTO_TCP || (nh === IPPROTO_UDP && this.udpPorts)) && end >= l4 + 4) {
        this.noInput = false;
        return this.hash2(frame, l3 + 8, 32, l4, 4);
      }
      this.noInput = false;
      return this.bytes32(frame, l3 + 8, 32);
    }
    return 0;
  }

  /** The RX queue of an Ethernet frame: indirection[hash % table size], queue 0 without a hash. */
  queueOf(frame: Uint8Array): number {
    return this.queueAt(frame, 0, frame.length);
  }

  /**
   * queueOf of the frame bytes[offset, offset + len) (a capture reader's buffer, without a view); its
   * hash is left in `lastHash`.
   */
  queueAt(bytes: Uint8Array, offset: number, len: number): number {
    const h = this.hash32(bytes, offset, len);
    if (this.noInput) {
      this.lastHash = -1;
      return 0;
    }
    this.lastHash = h;
    return this.indirection[(h >>> 0) % this.indirection.length]!;
  }

  /** The hash of the frame queueAt last steered as an int32 (the bits of hash(); -1: no hash input). */
  lastHash = -1;
}
