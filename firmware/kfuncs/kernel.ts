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
