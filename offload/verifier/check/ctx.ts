// struct xdp_md access (xdp_is_valid_access in net/core/filter.c): 4-byte, aligned reads of its six
// fields; egress_ifindex only for programs attached to a DEVMAP entry; no writes, except that a
// program loaded for a NIC (offloaded) may write rx_queue_index; data/data_meta/data_end load as
// packet pointers.
import { T } from '../domain/reg.ts';
import type { Env } from './env.ts';

export const XDP_MD_SIZE = 24;
export const XDP_MD_FIELDS = ['data', 'data_end', 'data_meta', 'ingress_ifindex', 'rx_queue_index', 'egress_ifindex'] as const;

/** The register type a valid access loads, or null when the access is invalid. */
export function xdpCtxAccess(env: Env, off: number, size: number, t: 'read' | 'write', isLdsx: boolean): number | null {
  if (env.prog.attach !== 'devmap' && off === 20) return null;
  if (t === 'write') return env.offloaded && off === 16 && size === 4 ? T.SCALAR : null;
  if (isLdsx && (off === 0 || off === 4 || off === 8)) return null;
  if (off < 0 || off >= XDP_MD_SIZE) return null;
  if (off % size !== 0) return null;
  if (size !== 4) return null;
  if (off === 0) return T.PKT;
  if (off === 4) return T.PKT_END;
  if (off === 8) return T.PKT_META;
  return T.SCALAR;
}
