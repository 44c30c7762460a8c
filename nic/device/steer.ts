// Which RX queue a frame lands on: RSS as NICs do it. A Toeplitz hash over the IPv4/IPv6 source and
// destination addresses and, for TCP/UDP (not fragments), the ports, with the profile's key (default:
// Microsoft's verification key) and indirection table (default: 128 entries, i mod queues). Non-IP
// frames go to queue 0. Until nic/device/rss.ts (tested on Microsoft's vectors) is merged this is the
// device's own small implementation of the same function.
export const MS_RSS_KEY = Uint8Array.from(
  Buffer.from('6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa', 'hex'),
);

export class Steering {
  private readonly key: Uint8Array;
  private readonly table: number[];
  private readonly input = new Uint8Array(36);

  constructor(queues: number, keyHex: string | null, indirection: number[] | null) {
    this.key = keyHex ? Uint8Array.from(Buffer.from(keyHex, 'hex')) : MS_RSS_KEY;
    this.table = indirection ?? Array.from({ length: 128 }, (_, i) => i % queues);
    for (const q of this.table) if (q >= queues) throw new Error(`rx.indirection names queue ${q}, the profile has ${queues}`);
  }

  /** Toeplitz hash of the first `n` bytes of `input`. */
  private toeplitz(n: number): number {
    const k = this.key;
    let result = 0;
    // The 32-bit window of the key that starts at the current bit.
    let window = ((k[0]! << 24) | (k[1]! << 16) | (k[2]! << 8) | k[3]!) >>> 0;
    for (let i = 0; i < n; i++) {
      const b = this.input[i]!;
      const next = k[i + 4] ?? 0;
      for (let bit = 7; bit >= 0; bit--) {
        if (b & (1 << bit)) result = (result ^ window) >>> 0;
        window = ((window << 1) | ((next >> bit) & 1)) >>> 0;
      }
    }
    return result >>> 0;
  }

  /** RSS hash of a frame, or -1 when it is not IP. */
  hash(f: Uint8Array): number {
    let o = 12;
    if (f.length < 14) return -1;
    let type = (f[o]! << 8) | f[o + 1]!;
    while ((type === 0x8100 || type === 0x88a8) && f.length >= o + 6) {
      o += 4;
      type = (f[o]! << 8) | f[o + 1]!;
    }
    o += 2;
    const inp = this.input;
    let n: number;
    let proto: number;
    let l4: number;
    if (type === 0x0800 && f.length >= o + 20) {
      inp.set(f.subarray(o + 12, o + 20), 0);
      n = 8;
      proto = f[o + 9]!;
      const frag = ((f[o + 6]! & 0x3f) << 8) | f[o + 7]!;
      l4 = frag === 0 ? o + (f[o]! & 15) * 4 : -1;
    } else if (type === 0x86dd && f.length >= o + 40) {
      inp.set(f.subarray(o + 8, o + 40), 0);
      n = 32;
      proto = f[o + 6]!;
      l4 = o + 40;
    } else return -1;
    if ((proto === 6 || proto === 17) && l4 >= 0 && f.length >= l4 + 4) {
      inp.set(f.subarray(l4, l4 + 4), n);
      n += 4;
    }
    return this.toeplitz(n);
  }

  queueOf(f: Uint8Array): number {
    const h = this.hash(f);
    return h < 0 ? 0 : this.table[h % this.table.length]!;
  }
}
