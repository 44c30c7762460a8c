// What the host kernel holds for kfuncs during a run: the conntrack table, the kernel objects kfuncs
// handed to the program (referenced by handle: a pointer to one is KOBJ_PTR_TAG:handle), and the
// receive metadata the NIC driver would report for the current packet (XDP metadata kfuncs). One
// KernelSide per core (test-run: per run); the device sets `rx` per packet.
import { ConntrackTable, type CtEntry } from './conntrack.ts';

/** enum xdp_rss_hash_type bits. */
export const XDP_RSS = {
  L3_IPV4: 1 << 0,
  L3_IPV6: 1 << 1,
  L3_DYNHDR: 1 << 2,
  L4: 1 << 3,
  L4_TCP: 1 << 4,
  L4_UDP: 1 << 5,
  L4_SCTP: 1 << 6,
  L4_IPSEC: 1 << 7,
  L4_ICMP: 1 << 8,
} as const;

/** The metadata a driver reports for one received packet; a missing field is -ENODATA. */
export interface RxMetadata {
  /** Hardware receive timestamp (ns). */
  timestampNs?: bigint;
  /** RSS hash and its enum xdp_rss_hash_type. */
  hash?: number;
  hashType?: number;
  /** Stripped VLAN tag: TPID (host order; written big-endian) and TCI. */
  vlanProto?: number;
  vlanTci?: number;
}

export type KernelObject = { kind: 'nf_conn'; entry: CtEntry };

export class KernelSide {
  conntrack: ConntrackTable;
  /** The device's receive metadata for the current packet; undefined: the driver implements none (-EOPNOTSUPP). */
  rx: RxMetadata | undefined = undefined;
  private readonly objects = new Map<number, KernelObject>();
  private nextHandle = 1;

  constructor(conntrack = new ConntrackTable()) {
    this.conntrack = conntrack;
  }

  /** A handle for an object the program now holds. */
  hold(o: KernelObject): number {
    const h = this.nextHandle++;
    this.objects.set(h, o);
    return h;
  }

  object(handle: number): KernelObject | undefined {
    return this.objects.get(handle);
  }

  drop(handle: number): void {
    this.objects.delete(handle);
  }

  /** Objects still held (a reference the verifier let through would show here). */
  get held(): number {
    return this.objects.size;
  }
}

const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;
const ETH_P_8021Q = 0x8100;
const ETH_P_8021AD = 0x88a8;

/**
 * enum xdp_rss_hash_type of a frame as a NIC computing a 4-tuple hash reports it: L3_IPV4 / L3_IPV6,
 * plus L4 | L4_TCP or L4 | L4_UDP when the ports were hashed (not for fragments), XDP_RSS_TYPE_NONE
 * (0) for frames without an IP header.
 */
export function rssHashType(frame: Uint8Array, udpPorts = true): number {
  let l3 = 14;
  if (frame.length < l3) return 0;
  let type = (frame[12]! << 8) | frame[13]!;
  for (let tags = 0; tags < 2 && (type === ETH_P_8021Q || type === ETH_P_8021AD); tags++) {
    if (frame.length < l3 + 4) return 0;
    type = (frame[l3 + 2]! << 8) | frame[l3 + 3]!;
    l3 += 4;
  }
  let l3type: number;
  let proto: number;
  let l4: number;
  if (type === ETH_P_IP && frame.length >= l3 + 20 && frame[l3]! >> 4 === 4) {
    l3type = XDP_RSS.L3_IPV4;
    const frag = ((frame[l3 + 6]! << 8) | frame[l3 + 7]!) & 0x3fff;
    proto = frag ? -1 : frame[l3 + 9]!;
    l4 = l3 + (frame[l3]! & 0x0f) * 4;
  } else if (type === ETH_P_IPV6 && frame.length >= l3 + 40 && frame[l3]! >> 4 === 6) {
    l3type = XDP_RSS.L3_IPV6;
    proto = frame[l3 + 6]!;
    l4 = l3 + 40;
  } else return 0;
  if (frame.length < l4 + 4) return l3type;
  if (proto === 6) return l3type | XDP_RSS.L4 | XDP_RSS.L4_TCP;
  if (proto === 17 && udpPorts) return l3type | XDP_RSS.L4 | XDP_RSS.L4_UDP;
  return l3type;
}

/**
 * The receive metadata a simulated NIC reports for a frame: the arrival time as the hardware timestamp,
 * its RSS hash (nic/device/rss.ts; -1 = none) with the hash type, and a stripped VLAN tag if the device
 * stripped one (the device's own choice: pass it). What `bpf_xdp_metadata_rx_*` return for the packet.
 */
export function deviceRxMetadata(frame: Uint8Array, arrivalNs: bigint, rssHash: number, vlan?: { proto: number; tci: number }): RxMetadata {
  const rx: RxMetadata = { timestampNs: arrivalNs };
  if (rssHash >= 0) {
    rx.hash = rssHash >>> 0;
    rx.hashType = rssHashType(frame);
  }
  if (vlan) {
    rx.vlanProto = vlan.proto;
    rx.vlanTci = vlan.tci;
  }
  return rx;
}
