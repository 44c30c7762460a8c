// bpf_xdp_pull_data (net/core/filter.c, 6.18): makes the first `len` bytes of a multi-buffer packet
// linear. The linear part (with its metadata) moves towards the headroom when the tailroom is too
// small, then bytes are taken from the front of the fragments; emptied fragments disappear.
import { CTX_DIRTY_HI, CTX_DIRTY_LO, CTX_FRAG_LEN, CTX_NFRAGS, FRAME_SIZE, SHARED_INFO, XDP_FRAME_SIZE } from '../xdp/buffer.ts';
import type { KfuncImpl } from './host.ts';

const EINVAL = -22;

/** int bpf_xdp_pull_data(struct xdp_md *x, u32 len) */
export const pullData: KfuncImpl = (h) => {
  const len = h.lo[2]! >>> 0;
  const b = h.buf;
  const w = b.w;
  const dataLen = b.linearLen;
  const done = (v: number) => {
    h.lo[0] = v;
    h.hi[0] = v < 0 ? -1 : 0;
    h.syncPacket();
  };
  if (len <= dataLen) return done(0);
  if (len > b.totalLen) return done(EINVAL);
  const start = b.dataMeta;
  const headroom = start - XDP_FRAME_SIZE;
  const tailroom = FRAME_SIZE - SHARED_INFO - b.dataEnd;
  let delta = len - dataLen;
  if (delta > tailroom + headroom) return done(EINVAL);
  const shift = delta - tailroom;
  if (shift > 0) {
    b.frame.copyWithin(start - shift, start, b.dataEnd);
    b.dataMeta -= shift;
    b.data -= shift;
    b.dataEnd -= shift;
    w[CTX_DIRTY_LO] = Math.min(w[CTX_DIRTY_LO]!, b.dataMeta);
  }
  while (delta > 0 && w[CTX_NFRAGS]! > 0) {
    const page = b.pages[0]!;
    const fl = w[CTX_FRAG_LEN]!;
    const take = Math.min(delta, fl);
    b.frame.set(page.subarray(0, take), b.dataEnd);
    b.dataEnd += take;
    delta -= take;
    if (take < fl) {
      page.copyWithin(0, take, fl);
      page.fill(0, fl - take, fl);
      w[CTX_FRAG_LEN] = fl - take;
    } else {
      // the first fragment is used up: the others move down one page
      const nf = w[CTX_NFRAGS]!;
      for (let i = 1; i < nf; i++) {
        b.pages[i - 1]!.set(b.pages[i]!);
        w[CTX_FRAG_LEN + i - 1] = w[CTX_FRAG_LEN + i]!;
      }
      b.pages[nf - 1]!.fill(0);
      w[CTX_FRAG_LEN + nf - 1] = 0;
      w[CTX_NFRAGS] = nf - 1;
    }
  }
  w[CTX_DIRTY_HI] = Math.max(w[CTX_DIRTY_HI]!, b.dataEnd);
  done(0);
};
