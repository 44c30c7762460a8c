// The packet buffer of one XDP run, laid out as the kernel's BPF_PROG_TEST_RUN lays it out
// (net/bpf/test_run.c): a 4096-byte frame with 256 bytes of headroom (the first 40 reserved for
// struct xdp_frame), at most 3520 bytes of linear data, 320 bytes for skb_shared_info at the end; a
// longer frame continues in 4096-byte fragments (multi-buffer XDP). Offsets are into `frame`.

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

const EINVAL = -22;
const EACCES = -13;

export class XdpBuffer {
  /** The linear frame; 8-aligned so atomics on packet bytes are aligned like the kernel's. */
  readonly frame = new Uint8Array(FRAME_SIZE);
  data = XDP_PACKET_HEADROOM;
  dataEnd = XDP_PACKET_HEADROOM;
  dataMeta = XDP_PACKET_HEADROOM;
  /** Fragments: each a 4096-byte page and the number of bytes used in it. */
  frags: { page: Uint8Array; len: number }[] = [];

  /** Lowest and highest frame offsets the previous packet could have touched (zeroed on reset). */
  private dirtyLo = 0;
  private dirtyHi = FRAME_SIZE;

  /** Loads a frame as test_run does: linear part first, the rest in fragments; the rest of the frame is zero. */
  reset(packet: Uint8Array): void {
    // Only the window the previous packet used can hold non-zero bytes (adjust_* keep the window
    // inside [XDP_FRAME_SIZE, FRAME_SIZE - SHARED_INFO], and programs only write inside the window).
    this.frame.fill(0, Math.min(this.dirtyLo, this.dataMeta), Math.max(this.dirtyHi, this.dataEnd));
    this.data = XDP_PACKET_HEADROOM;
    this.dataMeta = this.data;
    const linear = Math.min(packet.length, MAX_LINEAR);
    this.frame.set(packet.subarray(0, linear), this.data);
    this.dataEnd = this.data + linear;
    this.dirtyLo = this.data;
    this.dirtyHi = this.dataEnd;
    if (this.frags.length) this.frags = [];
    for (let o = linear; o < packet.length; o += FRAG_SIZE) {
      const page = new Uint8Array(FRAG_SIZE);
      const part = packet.subarray(o, Math.min(packet.length, o + FRAG_SIZE));
      page.set(part);
      this.frags.push({ page, len: part.length });
    }
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
    for (const f of this.frags) n += f.len;
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
    this.dirtyLo = Math.min(this.dirtyLo, this.dataMeta);
    return 0;
  }

  /** bpf_xdp_adjust_meta. */
  adjustMeta(delta: number): number {
    const meta = this.dataMeta + delta;
    const metalen = this.data - meta;
    if (meta < XDP_FRAME_SIZE || meta > this.data) return EINVAL;
    if (metalen % 4 !== 0 || metalen > META_MAX) return EACCES;
    this.dataMeta = meta;
    this.dirtyLo = Math.min(this.dirtyLo, meta);
    return 0;
  }

  /** bpf_xdp_adjust_tail (linear and multi-buffer). */
  adjustTail(delta: number): number {
    if (this.frags.length) return delta < 0 ? this.shrinkFrags(-delta) : this.growFrags(delta);
    const hardEnd = FRAME_SIZE - SHARED_INFO;
    const end = this.dataEnd + delta;
    if (end > hardEnd) return EINVAL;
    if (end < this.data + ETH_HLEN) return EINVAL;
    if (delta > 0) this.frame.fill(0, this.dataEnd, end);
    this.dataEnd = end;
    this.dirtyHi = Math.max(this.dirtyHi, end);
    return 0;
  }

  private growFrags(delta: number): number {
    const last = this.frags[this.frags.length - 1]!;
    if (last.len + delta > FRAG_SIZE) return EINVAL;
    last.page.fill(0, last.len, last.len + delta);
    last.len += delta;
    return 0;
  }

  private shrinkFrags(shrink: number): number {
    // The kernel refuses to shrink below ETH_HLEN of linear data; fragments go first, from the end.
    if (shrink >= this.totalLen - ETH_HLEN + 1) return EINVAL;
    let left = shrink;
    while (left > 0 && this.frags.length) {
      const last = this.frags[this.frags.length - 1]!;
      const take = Math.min(left, last.len);
      last.len -= take;
      left -= take;
      if (last.len === 0) this.frags.pop();
    }
    if (left > 0) this.dataEnd -= left;
    return 0;
  }

  /** Copies bytes [off, off + len) of the whole frame (linear + fragments) to or from `buf`. */
  copy(off: number, buf: Uint8Array, bufOff: number, len: number, store: boolean): number {
    if (off < 0 || len < 0 || off + len > this.totalLen) return EINVAL;
    let pos = 0;
    const segs: { mem: Uint8Array; start: number; len: number }[] = [{ mem: this.frame, start: this.data, len: this.linearLen }];
    for (const f of this.frags) segs.push({ mem: f.page, start: 0, len: f.len });
    let done = 0;
    for (const s of segs) {
      if (done === len) break;
      const segEnd = pos + s.len;
      if (off + done < segEnd) {
        const from = off + done - pos;
        const n = Math.min(s.len - from, len - done);
        if (store) s.mem.set(buf.subarray(bufOff + done, bufOff + done + n), s.start + from);
        else buf.set(s.mem.subarray(s.start + from, s.start + from + n), bufOff + done);
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
    for (const f of this.frags) {
      out.set(f.page.subarray(0, f.len), o);
      o += f.len;
    }
    return out;
  }
}
