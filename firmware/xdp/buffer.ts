// The packet buffer of one XDP run, laid out as the kernel's BPF_PROG_TEST_RUN lays it out
// (net/bpf/test_run.c): a 4096-byte frame with 256 bytes of headroom (the first 40 reserved for
// struct xdp_frame), at most 3520 bytes of linear data, 320 bytes for skb_shared_info at the end; a
// longer frame continues in 4096-byte fragments (multi-buffer XDP). Offsets are into `frame`.
//
// The buffer keeps no state of its own: its offsets live in the core's ctx block (struct xdp_md
// words 0..5 followed by the words below) and its bytes in the core's frame and fragment pages, all in
// the arena (firmware/arena.ts), so copying those blocks moves the packet to another core.
//   ctx words: 0 data  1 data_end  2 data_meta  3 ingress_ifindex  4 rx_queue_index  5 egress_ifindex
//              6 CTX_NFRAGS  7 CTX_DIRTY_LO  8 CTX_DIRTY_HI  9.. CTX_FRAG_LEN + i (bytes used in page i)

export const FRAME_SIZE = 4096;
export const XDP_PACKET_HEADROOM = 256;
/** sizeof(struct xdp_frame): bytes at the start of the headroom the program cannot take. */
export const XDP_FRAME_SIZE = 40;
/** SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) on x86_64. */
export const SHARED_INFO = 320;
export const MAX_LINEAR = FRAME_SIZE - XDP_PACKET_HEADROOM - SHARED_INFO; // 3520
export const FRAG_SIZE = 4096;
export const ETH_HLEN = 14;
/** Largest metadata area (struct skb_shared_info's meta_len is a u8). */
export const META_MAX = 255;
/** At most this many fragments (MAX_SKB_FRAGS). */
export const MAX_FRAGS = 17;

/** Word indices of the ctx block (struct xdp_md first, as the program reads it). */
export const CTX_DATA = 0;
export const CTX_DATA_END = 1;
export const CTX_DATA_META = 2;
export const CTX_INGRESS_IFINDEX = 3;
export const CTX_RX_QUEUE = 4;
export const CTX_EGRESS_IFINDEX = 5;
export const CTX_NFRAGS = 6;
export const CTX_DIRTY_LO = 7;
export const CTX_DIRTY_HI = 8;
export const CTX_FRAG_LEN = 9;
export const CTX_WORDS = 32;
export const CTX_BYTES = CTX_WORDS * 4;

const EINVAL = -22;
const EACCES = -13;

/** The memory a buffer works on: views of a core's blocks (or private memory for a standalone buffer). */
export interface PacketMemory {
  frame: Uint8Array;
  frags: Uint8Array;
  ctx: Int32Array;
}

function privateMemory(): PacketMemory {
  return { frame: new Uint8Array(FRAME_SIZE), frags: new Uint8Array(MAX_FRAGS * FRAG_SIZE), ctx: new Int32Array(CTX_WORDS) };
}

export class XdpBuffer {
  /** The linear frame; 8-aligned so atomics on packet bytes are aligned like the kernel's. */
  readonly frame: Uint8Array;
  /** The ctx block's words (see the header). */
  readonly w: Int32Array;
  /** Fragment pages, one view per page (fixed; CTX_NFRAGS says how many are in use). */
  readonly pages: readonly Uint8Array[];

  constructor(mem: PacketMemory = privateMemory()) {
    this.frame = mem.frame;
    this.w = mem.ctx;
    const pages: Uint8Array[] = [];
    for (let i = 0; i < MAX_FRAGS; i++) pages.push(mem.frags.subarray(i * FRAG_SIZE, (i + 1) * FRAG_SIZE));
    this.pages = pages;
    // A fresh block (all zero; data is never below XDP_FRAME_SIZE once set) gets an empty packet; a
    // block that already holds one (a core attached after a state was copied in) is left alone.
    if (this.w[CTX_DATA] === 0) {
      this.w[CTX_DATA] = this.w[CTX_DATA_END] = this.w[CTX_DATA_META] = XDP_PACKET_HEADROOM;
      this.w[CTX_DIRTY_HI] = FRAME_SIZE;
    }
  }

  get data(): number {
    return this.w[CTX_DATA]!;
  }
  set data(v: number) {
    this.w[CTX_DATA] = v;
  }
  get dataEnd(): number {
    return this.w[CTX_DATA_END]!;
  }
  set dataEnd(v: number) {
    this.w[CTX_DATA_END] = v;
  }
  get dataMeta(): number {
    return this.w[CTX_DATA_META]!;
  }
  set dataMeta(v: number) {
    this.w[CTX_DATA_META] = v;
  }
  /** Fragments in use. */
  get nfrags(): number {
    return this.w[CTX_NFRAGS]!;
  }
  /** Bytes used in fragment page i. */
  fragLen(i: number): number {
    return this.w[CTX_FRAG_LEN + i]!;
  }

  /** Loads a frame as test_run does: linear part first, the rest in fragments; the rest of the frame is zero. */
  reset(packet: Uint8Array): void {
    const w = this.w;
    const frame = this.frame;
    // Only the window the previous packet used can hold non-zero bytes (adjust_* keep the window
    // inside [XDP_FRAME_SIZE, FRAME_SIZE - SHARED_INFO], and programs only write inside the window).
    const meta = w[CTX_DATA_META]!;
    const end = w[CTX_DATA_END]!;
    let lo = w[CTX_DIRTY_LO]!;
    let hi = w[CTX_DIRTY_HI]!;
    if (meta < lo) lo = meta;
    if (end > hi) hi = end;
    const data = XDP_PACKET_HEADROOM;
    const n = packet.length;
    const linear = n < MAX_LINEAR ? n : MAX_LINEAR;
    // Clear only what the new packet does not overwrite.
    if (lo < data) frame.fill(0, lo, data);
    if (hi > data + linear) frame.fill(0, data + linear, hi);
    if (linear === n) frame.set(packet, data);
    else frame.set(packet.subarray(0, linear), data);
    w[CTX_DATA] = data;
    w[CTX_DATA_META] = data;
    w[CTX_DATA_END] = data + linear;
    w[CTX_DIRTY_LO] = data;
    w[CTX_DIRTY_HI] = data + linear;
    let nf = 0;
    for (let o = linear; o < n; o += FRAG_SIZE) {
      const len = Math.min(n - o, FRAG_SIZE);
      const page = this.pages[nf]!;
      page.set(packet.subarray(o, o + len));
      if (len < FRAG_SIZE) page.fill(0, len);
      w[CTX_FRAG_LEN + nf] = len;
      nf++;
    }
    w[CTX_NFRAGS] = nf;
  }

  get linearLen(): number {
    return this.dataEnd - this.data;
  }

  get metaLen(): number {
    return this.data - this.dataMeta;
  }

  /** bpf_xdp_get_buff_len: linear plus fragments. */
  get totalLen(): number {
    let n = this.linearLen;
    const nf = this.nfrags;
    for (let i = 0; i < nf; i++) n += this.w[CTX_FRAG_LEN + i]!;
    return n;
  }

  /** bpf_xdp_adjust_head. */
  adjustHead(delta: number): number {
    const dataStart = XDP_FRAME_SIZE + this.metaLen;
    const data = this.data + delta;
    if (data < dataStart || data > this.dataEnd - ETH_HLEN) return EINVAL;
    const meta = this.metaLen;
    if (meta) this.frame.copyWithin(this.dataMeta + delta, this.dataMeta, this.data);
    this.dataMeta += delta;
    this.data = data;
    this.w[CTX_DIRTY_LO] = Math.min(this.w[CTX_DIRTY_LO]!, this.dataMeta);
    return 0;
  }

  /** bpf_xdp_adjust_meta. */
  adjustMeta(delta: number): number {
    const meta = this.dataMeta + delta;
    const metalen = this.data - meta;
    if (meta < XDP_FRAME_SIZE || meta > this.data) return EINVAL;
    if (metalen % 4 !== 0 || metalen > META_MAX) return EACCES;
    this.dataMeta = meta;
    this.w[CTX_DIRTY_LO] = Math.min(this.w[CTX_DIRTY_LO]!, meta);
    return 0;
  }

  /** bpf_xdp_adjust_tail (linear and multi-buffer). */
  adjustTail(delta: number): number {
    if (this.nfrags) return delta < 0 ? this.shrinkFrags(-delta) : this.growFrags(delta);
    const hardEnd = FRAME_SIZE - SHARED_INFO;
    const end = this.dataEnd + delta;
    if (end > hardEnd) return EINVAL;
    if (end < this.data + ETH_HLEN) return EINVAL;
    if (delta > 0) this.frame.fill(0, this.dataEnd, end);
    this.dataEnd = end;
    this.w[CTX_DIRTY_HI] = Math.max(this.w[CTX_DIRTY_HI]!, end);
    return 0;
  }

  private growFrags(delta: number): number {
    const last = this.nfrags - 1;
    const len = this.w[CTX_FRAG_LEN + last]!;
    if (len + delta > FRAG_SIZE) return EINVAL;
    this.pages[last]!.fill(0, len, len + delta);
    this.w[CTX_FRAG_LEN + last] = len + delta;
    return 0;
  }

  private shrinkFrags(shrink: number): number {
    // The kernel refuses to shrink below ETH_HLEN of linear data; fragments go first, from the end.
    if (shrink >= this.totalLen - ETH_HLEN + 1) return EINVAL;
    const w = this.w;
    let left = shrink;
    while (left > 0 && w[CTX_NFRAGS]! > 0) {
      const last = w[CTX_NFRAGS]! - 1;
      const len = w[CTX_FRAG_LEN + last]!;
      const take = Math.min(left, len);
      w[CTX_FRAG_LEN + last] = len - take;
      left -= take;
      if (len - take === 0) w[CTX_NFRAGS] = last;
    }
    if (left > 0) this.dataEnd -= left;
    return 0;
  }

  /** Copies bytes [off, off + len) of the whole frame (linear + fragments) to or from `buf`. */
  copy(off: number, buf: Uint8Array, bufOff: number, len: number, store: boolean): number {
    if (off < 0 || len < 0 || off + len > this.totalLen) return EINVAL;
    let pos = 0;
    let done = 0;
    const nf = this.nfrags;
    // Segment -1 is the linear part, then the fragment pages.
    for (let seg = -1; seg < nf && done < len; seg++) {
      const mem = seg < 0 ? this.frame : this.pages[seg]!;
      const start = seg < 0 ? this.data : 0;
      const segLen = seg < 0 ? this.linearLen : this.w[CTX_FRAG_LEN + seg]!;
      const segEnd = pos + segLen;
      if (off + done < segEnd) {
        const from = off + done - pos;
        const n = Math.min(segLen - from, len - done);
        if (store) mem.set(buf.subarray(bufOff + done, bufOff + done + n), start + from);
        else buf.set(mem.subarray(start + from, start + from + n), bufOff + done);
        done += n;
      }
      pos = segEnd;
    }
    return 0;
  }

  /** What test_run copies out: metadata + linear data, then the fragments. */
  output(): Uint8Array {
    const out = new Uint8Array(this.metaLen + this.totalLen);
    out.set(this.frame.subarray(this.dataMeta, this.dataEnd));
    let o = this.dataEnd - this.dataMeta;
    for (let i = 0; i < this.nfrags; i++) {
      const len = this.fragLen(i);
      out.set(this.pages[i]!.subarray(0, len), o);
      o += len;
    }
    return out;
  }
}
