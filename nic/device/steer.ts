// Which RX queue a frame lands on: RSS as NICs do it. A Toeplitz hash over the IPv4/IPv6 source and
// destination addresses and, for TCP/UDP (not fragments), the ports, with the profile's key (default:
// Microsoft's verification key) and indirection table (default: 128 entries, i mod queues). Non-IP
// frames go to queue 0. Until nic/device/rss.ts (tested on Microsoft's vectors) is merged this is the
// device's own small implementation of the same function.
export const MS_RSS_KEY = Uint8Array.from(
  Buffer.from('6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa', 'hex'),
);

/** Bytes of Toeplitz input at most: IPv6 source and destination addresses and two ports. */
const MAX_INPUT = 36;

export class Steering {
  /** table[i * 256 + b]: the hash contribution of byte value b at input position i (no per-bit loop). */
  private readonly table = new Int32Array(MAX_INPUT * 256);
  private readonly indirection: Int32Array;

  constructor(queues: number, keyHex: string | null, indirection: number[] | null) {
    const key = keyHex ? Uint8Array.from(Buffer.from(keyHex, 'hex')) : MS_RSS_KEY;
    const table = indirection ?? Array.from({ length: 128 }, (_, i) => i % queues);
    for (const q of table) if (q >= queues) throw new Error(`rx.indirection names queue ${q}, the profile has ${queues}`);
    this.indirection = Int32Array.from(table);
    const bit = (p: number) => ((key[p >> 3] ?? 0) >> (7 - (p & 7))) & 1;
    // The 32-bit window of the key that starts at bit p is what input bit p contributes.
    const windowAt = (p: number) => {
      let w = 0;
      for (let j = 0; j < 32; j++) w = (w << 1) | bit(p + j);
      return w;
    };
    for (let i = 0; i < MAX_INPUT; i++) {
      const windows = Array.from({ length: 8 }, (_, k) => windowAt(i * 8 + k));
      for (let b = 0; b < 256; b++) {
        let h = 0;
        for (let k = 0; k < 8; k++) if (b & (0x80 >> k)) h ^= windows[k]!;
        this.table[i * 256 + b] = h;
      }
    }
  }

  /** XOR of the contributions of f[from, from + n) placed at input position `at`. */
  private part(f: Uint8Array, from: number, n: number, at: number, h: number): number {
    const t = this.table;
    for (let k = 0; k < n; k++) h ^= t[(at + k) * 256 + f[from + k]!]!;
    return h;
  }

  /** RSS hash of a frame (unsigned 32 bits), or -1 when it is not IP. */
  hash(f: Uint8Array): number {
    let o = 12;
    if (f.length < 14) return -1;
    let type = (f[o]! << 8) | f[o + 1]!;
    while ((type === 0x8100 || type === 0x88a8) && f.length >= o + 6) {
      o += 4;
      type = (f[o]! << 8) | f[o + 1]!;
    }
    o += 2;
    let h: number;
    let n: number;
    let proto: number;
    let l4: number;
    if (type === 0x0800 && f.length >= o + 20) {
      h = this.part(f, o + 12, 8, 0, 0);
      n = 8;
      proto = f[o + 9]!;
      const frag = ((f[o + 6]! & 0x3f) << 8) | f[o + 7]!;
      l4 = frag === 0 ? o + (f[o]! & 15) * 4 : -1;
    } else if (type === 0x86dd && f.length >= o + 40) {
      h = this.part(f, o + 8, 32, 0, 0);
      n = 32;
      proto = f[o + 6]!;
      l4 = o + 40;
    } else return -1;
    if ((proto === 6 || proto === 17) && l4 >= 0 && f.length >= l4 + 4) h = this.part(f, l4, 4, n, h);
    return h >>> 0;
  }

  queueOf(f: Uint8Array): number {
    const h = this.hash(f);
    return h < 0 ? 0 : this.indirection[h % this.indirection.length]!;
  }
}
