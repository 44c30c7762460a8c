// Dynptrs over the XDP packet (bpf_dynptr_from_xdp) and what reads them: the bpf_dynptr_slice(_rdwr)
// kfuncs and the bpf_dynptr_read / _write / _data helpers. A dynptr is 16 bytes on the program's stack
// laid out as the kernel's struct bpf_dynptr_kern: a data pointer (8 bytes; null = an invalid dynptr),
// then `size | type << 28 | rdonly << 31` and an offset (4 bytes each). An XDP dynptr's data pointer
// names the ctx: reads and writes go to the packet as it is at the time of the access (linear part
// then fragments), as the kernel's bpf_xdp_copy_buf does.
import type { HelperHost, HelperImpl } from '../helpers/host.ts';
import { REGION_CTX, REGION_PACKET, REGION_TAG } from '../layout.ts';
import { Fault } from '../vm/fault.ts';
import type { KfuncImpl } from './host.ts';

export const DYNPTR_TYPE_XDP = 4;
const SIZE_MASK = (1 << 24) - 1;
const TYPE_SHIFT = 28;
const RDONLY_BIT = 1 << 31;
const EINVAL = -22;
const E2BIG = -7;

interface Dynptr {
  /** Null dynptr: no data. */
  valid: boolean;
  type: number;
  size: number;
  offset: number;
  rdonly: boolean;
}

function ret(h: HelperHost, v: number): void {
  h.lo[0] = v | 0;
  h.hi[0] = v < 0 ? -1 : 0;
}

function readDynptr(h: HelperHost, r: number, pc: number, what: string): Dynptr {
  const reg = h.resolveAddr(h.lo[r]!, h.hi[r]!, 16, pc, what);
  const at = h.lastEa;
  const dv = reg.dv;
  const valid = dv.getInt32(at, true) !== 0 || dv.getInt32(at + 4, true) !== 0;
  const word = dv.getUint32(at + 8, true);
  const d = { valid, type: (word >>> TYPE_SHIFT) & 7, size: word & SIZE_MASK, offset: dv.getUint32(at + 12, true), rdonly: (word & RDONLY_BIT) !== 0 };
  if (d.valid && d.type !== DYNPTR_TYPE_XDP) throw new Fault('fault.helper', `${what}: dynptrs of type ${d.type} are not simulated (only XDP dynptrs)`, pc);
  return d;
}

function writeDynptr(h: HelperHost, r: number, pc: number, d: Dynptr | null): void {
  const reg = h.resolveAddr(h.lo[r]!, h.hi[r]!, 16, pc, 'bpf_dynptr_from_xdp ptr');
  const at = h.lastEa;
  if (!reg.writable) throw new Fault('fault.readonly', 'bpf_dynptr_from_xdp: ptr is read-only', pc);
  if (!d) return reg.u8.fill(0, at, at + 16) as unknown as void;
  reg.dv.setInt32(at, 0, true);
  reg.dv.setInt32(at + 4, REGION_TAG + REGION_CTX, true);
  reg.dv.setUint32(at + 8, ((d.size & SIZE_MASK) | (d.type << TYPE_SHIFT) | (d.rdonly ? RDONLY_BIT : 0)) >>> 0, true);
  reg.dv.setUint32(at + 12, d.offset, true);
}

/** bpf_dynptr_check_off_len */
const offLenOk = (d: Dynptr, off: number, len: number): boolean => off <= d.size && len <= d.size - off;

/** int bpf_dynptr_from_xdp(struct xdp_md *x, u64 flags, struct bpf_dynptr *ptr__uninit) */
export const dynptrFromXdp: KfuncImpl = (h, pc) => {
  if (h.lo[2] !== 0 || h.hi[2] !== 0) {
    writeDynptr(h, 3, pc, null);
    return ret(h, EINVAL);
  }
  writeDynptr(h, 3, pc, { valid: true, type: DYNPTR_TYPE_XDP, size: h.buf.totalLen, offset: 0, rdonly: false });
  ret(h, 0);
};

/** void *bpf_dynptr_slice(_rdwr)(const struct bpf_dynptr *p, u32 offset, void *buffer__opt, u32 buffer__szk) */
export const dynptrSlice =
  (rdwr: boolean): KfuncImpl =>
  (h, pc) => {
    const null0 = () => {
      h.lo[0] = 0;
      h.hi[0] = 0;
    };
    const d = readDynptr(h, 1, pc, rdwr ? 'bpf_dynptr_slice_rdwr' : 'bpf_dynptr_slice');
    const off = h.lo[2]! >>> 0;
    const len = h.lo[4]! >>> 0;
    if (!d.valid || (rdwr && d.rdonly) || !offLenOk(d, off, len)) return null0();
    const at = d.offset + off;
    const buf = h.buf;
    // bpf_xdp_pointer: a direct pointer when the range is in the linear part
    if (at + len <= buf.linearLen) {
      h.lo[0] = buf.data + at;
      h.hi[0] = REGION_TAG + REGION_PACKET;
      return;
    }
    if (h.lo[3] === 0 && h.hi[3] === 0) return null0();
    const r = h.resolveAddr(h.lo[3]!, h.hi[3]!, len, pc, 'bpf_dynptr_slice buffer');
    const ea = h.lastEa;
    if (buf.copy(at, r.u8, ea, len, false) < 0) return null0();
    h.lo[0] = h.lo[3]!;
    h.hi[0] = h.hi[3]!;
  };

/** long bpf_dynptr_read(void *dst, u32 len, const struct bpf_dynptr *src, u32 offset, u64 flags) */
export const dynptrRead: HelperImpl = (h, pc) => {
  const len = h.lo[2]! >>> 0;
  const d = readDynptr(h, 3, pc, 'bpf_dynptr_read');
  const off = h.lo[4]! >>> 0;
  if (!d.valid) return ret(h, EINVAL);
  if (!offLenOk(d, off, len)) return ret(h, E2BIG);
  if (h.lo[5] !== 0 || h.hi[5] !== 0) return ret(h, EINVAL);
  const r = h.resolveAddr(h.lo[1]!, h.hi[1]!, len, pc, 'bpf_dynptr_read dst');
  if (!r.writable) throw new Fault('fault.readonly', 'bpf_dynptr_read into read-only memory', pc);
  ret(h, h.buf.copy(d.offset + off, r.u8, h.lastEa, len, false));
};

/** long bpf_dynptr_write(const struct bpf_dynptr *dst, u32 offset, void *src, u32 len, u64 flags) */
export const dynptrWrite: HelperImpl = (h, pc) => {
  const d = readDynptr(h, 1, pc, 'bpf_dynptr_write');
  const off = h.lo[2]! >>> 0;
  const len = h.lo[4]! >>> 0;
  if (!d.valid || d.rdonly) return ret(h, EINVAL);
  if (!offLenOk(d, off, len)) return ret(h, E2BIG);
  if (h.lo[5] !== 0 || h.hi[5] !== 0) return ret(h, EINVAL);
  const r = h.resolveAddr(h.lo[3]!, h.hi[3]!, len, pc, 'bpf_dynptr_write src');
  ret(h, h.buf.copy(d.offset + off, r.u8, h.lastEa, len, true));
};

/** void *bpf_dynptr_data(const struct bpf_dynptr *ptr, u32 offset, u32 len): NULL for XDP dynptrs. */
export const dynptrData: HelperImpl = (h, pc) => {
  readDynptr(h, 1, pc, 'bpf_dynptr_data');
  h.lo[0] = 0;
  h.hi[0] = 0;
};
