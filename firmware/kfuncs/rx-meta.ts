// The receive side of a simulated NIC as the XDP metadata kfuncs see it (bpf_xdp_metadata_rx_timestamp,
// _rx_hash, _rx_vlan_tag): per packet, the device's descriptor fields are written into one reused
// RxMetadata (kernel.ts), with nothing allocated. What the device reports:
//   timestamp  the packet's arrival time (the capture's or the generator's timestamp, ns), as a NIC with
//              hardware receive timestamping enabled reports it (ice, mlx5: -ENODATA when it is off)
//   hash       the Toeplitz hash the device's RSS computed for the packet (nic/device/rss.ts) and its
//              enum xdp_rss_hash_type; a frame RSS gives no hash (not IP, cut short) has none: -ENODATA
//              (ice returns -ENODATA for a descriptor without a hash)
//   vlan_tag   when the profile strips VLAN tags (rx.vlan_strip, ethtool rx-vlan-offload), the outer
//              802.1Q tag is removed from the frame the program sees and reported here (TPID, TCI); a
//              frame without one, or a device that does not strip, has none: -ENODATA (ice, mlx5 and
//              veth all return -ENODATA when no tag was stripped)
// Ops the profile's driver does not implement (rx.xdp_metadata) return -EOPNOTSUPP, the kernel's
// default kfunc bodies (net/core/xdp.c) that a device-bound program falls back to.
import { RX_HASH, RX_TIMESTAMP, RX_VLAN_TAG, RxMetadata } from './kernel.ts';

/** bpf_dev_bound_kfunc_id: the XDP metadata kfuncs (only device-bound programs may call them). */
export const METADATA_KFUNCS: ReadonlySet<string> = new Set(['bpf_xdp_metadata_rx_timestamp', 'bpf_xdp_metadata_rx_hash', 'bpf_xdp_metadata_rx_vlan_tag']);

/** The xdp_metadata_ops names of a profile (rx.xdp_metadata). */
export const XDP_METADATA_OPS = ['timestamp', 'hash', 'vlan_tag'] as const;
export type XdpMetadataOp = (typeof XDP_METADATA_OPS)[number];

const OP_BITS: Record<XdpMetadataOp, number> = { timestamp: RX_TIMESTAMP, hash: RX_HASH, vlan_tag: RX_VLAN_TAG };
const ETH_P_8021Q = 0x8100;
const TWO32 = 4294967296;

/** What a device image says about its receive metadata (structured-clone friendly). */
export interface RxMetaConfig {
  ops: XdpMetadataOp[];
  vlanStrip: boolean;
  /** RSS hashes UDP ports (nic/device/rss.ts `udpPorts`). */
  udpPorts: boolean;
  /**
   * Arrival time of the first packet (ns), as [lo, hi] u32 words: the main thread writes it before it
   * publishes the first packet; packet records carry times relative to it.
   */
  clock: SharedArrayBuffer;
}

export function rxMetaConfig(ops: readonly XdpMetadataOp[], vlanStrip: boolean, udpPorts = true): RxMetaConfig {
  return { ops: [...ops], vlanStrip, udpPorts, clock: new SharedArrayBuffer(8) };
}

/** The main thread: the first packet's arrival time (ns since the epoch). */
export function setRxClock(cfg: RxMetaConfig, firstNs: bigint): void {
  const w = new Uint32Array(cfg.clock);
  w[0] = Number(firstNs & 0xffffffffn);
  w[1] = Number((firstNs >> 32n) & 0xffffffffn);
}

/** One worker's receive metadata source: fills `rx` per packet and gives the frame the program sees. */
export class RxMetaSource {
  readonly rx = new RxMetadata();
  private readonly strip: boolean;
  private readonly clock: Uint32Array;
  private scratch = new Uint8Array(2048);

  constructor(cfg: RxMetaConfig) {
    let bits = 0;
    for (const op of cfg.ops) bits |= OP_BITS[op];
    this.rx.implemented = bits;
    this.strip = cfg.vlanStrip;
    this.rx.udpPorts = cfg.udpPorts;
    this.clock = new Uint32Array(cfg.clock);
  }

  /**
   * Fills `rx` for a received frame (its RSS hash as the ring record carries it, its arrival time in ns
   * relative to the first packet) and returns the frame the program sees: a copy without the outer
   * 802.1Q tag when the device strips tags, else `frame` itself.
   */
  prepare(frame: Uint8Array, rssHash: number, relNs: number): Uint8Array {
    const rx = this.rx;
    let present = RX_TIMESTAMP;
    // 64-bit base + relative time, in doubles (exact while |relNs| < 2^52)
    const lo = this.clock[0]! + relNs;
    const carry = Math.floor(lo / TWO32);
    // int32 fields (a uint32 above 2^31 would be a heap number per packet); the kfuncs write them unsigned
    rx.tsLo = (lo - carry * TWO32) | 0;
    rx.tsHi = (this.clock[1]! + carry) | 0;
    // the hash type (and whether there is a hash) is derived from the received frame only if the
    // program asks (RxMetadata.settle); the frame stays valid while the packet runs
    rx.hash = rssHash | 0;
    rx.hashType = 0;
    rx.pending = frame;
    let seen = frame;
    if (this.strip && frame.length >= 18 && ((frame[12]! << 8) | frame[13]!) === ETH_P_8021Q) {
      rx.vlanProto = ETH_P_8021Q;
      rx.vlanTci = (frame[14]! << 8) | frame[15]!;
      present |= RX_VLAN_TAG;
      const n = frame.length - 4;
      if (this.scratch.length < n) this.scratch = new Uint8Array(Math.max(n, this.scratch.length * 2));
      const s = this.scratch;
      s.set(frame.subarray(0, 12), 0);
      s.set(frame.subarray(16), 12);
      seen = s.subarray(0, n);
    }
    rx.present = present;
    return seen;
  }
}
