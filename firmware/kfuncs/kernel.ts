// What the host kernel holds for kfuncs during a run: the conntrack table, the kernel objects kfuncs
// handed to the program (referenced by handle: a pointer to one is KOBJ_PTR_TAG:handle), and the
// receive metadata the NIC driver would report for the current packet (XDP metadata kfuncs). One
// KernelSide per modeled core (its NIC core and host-path core share it: a punt carries held objects
// along; test-run: per run); the conntrack table may be shared by all of them (ct-shared.ts); the
// device sets `rx` per packet (rx-meta.ts).
import type { CtEntry } from './conntrack.ts';
import { ConntrackTable, SharedCtEntry } from './ct-shared.ts';

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

/** The xdp_metadata_ops a driver implements / the fields one packet has (RxMetadata masks). */
export const RX_TIMESTAMP = 1;
export const RX_HASH = 2;
export const RX_VLAN_TAG = 4;
export const RX_ALL = RX_TIMESTAMP | RX_HASH | RX_VLAN_TAG;

/**
 * The metadata a driver reports for the current packet, one reused object per core (filled in place
 * per packet, nothing allocated). A kfunc whose op the driver lacks (`implemented`) returns -EOPNOTSUPP
 * (the kernel's default kfunc), one whose field this packet lacks (`present`) -ENODATA.
 */
export class RxMetadata {
  implemented = RX_ALL;
  present = 0;
  /** Hardware receive timestamp (ns), as two 32-bit halves (stored as int32, written unsigned). */
  tsHi = 0;
  tsLo = 0;
  /** RSS hash and its enum xdp_rss_hash_type. */
  hash = 0;
  hashType = 0;
  /** Stripped VLAN tag: TPID (host order; written big-endian) and TCI. */
  vlanProto = 0;
  vlanTci = 0;

  /**
   * The received frame whose hash type is still to be derived (the device defers it to the first
   * bpf_xdp_metadata_rx_hash call of the packet: most packets never ask); null when settled.
   */
  pending: Uint8Array | null = null;
  /** RSS hashed UDP ports (rssHashType's `udpPorts`). */
  udpPorts = true;

  /** Derives the pending hash type (XDP_RSS_TYPE_NONE: the frame has no hash, -ENODATA). */
  settle(): void {
    const f = this.pending;
    if (f === null) return;
    this.pending = null;
    const t = rssHashType(f, this.udpPorts);
    if (t !== 0) {
      this.hashType = t;
      this.present |= RX_HASH;
    }
  }

  /** Sets the timestamp from a bigint (tests, tools; the device fills tsHi / tsLo itself). */
  setTimestamp(ns: bigint): this {
    this.tsHi = Number((ns >> 32n) & 0xffffffffn) | 0;
    this.tsLo = Number(ns & 0xffffffffn) | 0;
    this.present |= RX_TIMESTAMP;
    return this;
  }
}

export type KernelObject = { kind: 'nf_conn'; entry: CtEntry };

export class KernelSide {
  /** The device's receive metadata for the current packet; undefined: the driver implements none (-EOPNOTSUPP). */
  rx: RxMetadata | undefined = undefined;
  private table: ConntrackTable | undefined;
  private readonly objects = new Map<number, KernelObject>();
  private nextHandle = 1;

  constructor(conntrack?: ConntrackTable) {
    this.table = conntrack;
  }

  /** The conntrack table (an empty one of its own, created when first used, unless given one). */
  get conntrack(): ConntrackTable {
    return (this.table ??= ConntrackTable.create());
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

  /** The program gave the object up (released, or consumed by a kfunc): a table entry loses the reference. */
  drop(handle: number): void {
    const o = this.objects.get(handle);
    if (o?.entry instanceof SharedCtEntry) o.entry.table.release(o.entry);
    this.objects.delete(handle);
  }

  /** The handle now names `o` (bpf_ct_insert_entry: the same pointer, now to the table's entry). */
  replace(handle: number, o: KernelObject): void {
    this.objects.set(handle, o);
  }

  /**
   * After a packet: objects a program still holds can only be left by a run that faulted (ABORTED)
   * mid-way, since the verifier makes every exit release them; they are released so that table
   * entries do not keep their slots.
   */
  endPacket(): void {
    if (this.objects.size === 0) return;
    for (const h of [...this.objects.keys()]) this.drop(h);
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
 * (0) exactly for the frames nic/device/rss.ts gives no hash (not IPv4 / IPv6, IP header cut short or
 * malformed), so a hash type of 0 means "no hash" (-ENODATA).
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
    const ihl = (frame[l3]! & 0x0f) * 4;
    if (ihl < 20 || frame.length < l3 + ihl) return 0;
    l3type = XDP_RSS.L3_IPV4;
    const frag = ((frame[l3 + 6]! << 8) | frame[l3 + 7]!) & 0x3fff;
    proto = frag ? -1 : frame[l3 + 9]!;
    l4 = l3 + ihl;
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
 * its RSS hash (nic/device/rss.ts; none when the frame gives no hash input) with the hash type, and a
 * stripped VLAN tag if the device stripped one. What `bpf_xdp_metadata_rx_*` return for the packet.
 * (The device fills one object in place per packet: rx-meta.ts.)
 */
export function deviceRxMetadata(frame: Uint8Array, arrivalNs: bigint, rssHash: number, vlan?: { proto: number; tci: number }): RxMetadata {
  const rx = new RxMetadata().setTimestamp(arrivalNs);
  const type = rssHashType(frame);
  if (type !== 0) {
    rx.hash = rssHash | 0;
    rx.hashType = type;
    rx.present |= RX_HASH;
  }
  if (vlan) {
    rx.vlanProto = vlan.proto;
    rx.vlanTci = vlan.tci;
    rx.present |= RX_VLAN_TAG;
  }
  return rx;
}
