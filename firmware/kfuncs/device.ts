// The host-kernel side of a device run (`nicsim run`) for kfuncs: what the device image carries and
// what each worker makes of it. One conntrack table in shared memory for every modeled core (seeded
// by `--conntrack`, dumped after the run), and the receive metadata the NIC reports per packet
// (rx-meta.ts), switched on only when the object calls an XDP metadata kfunc or the profile strips
// VLAN tags (a NIC that strips, strips every frame), so other runs pay nothing per packet.
import type { ObjectSpec } from '../../offload/elf/index.ts';
import { type ConntrackDescriptor, ConntrackTable } from './ct-shared.ts';
import { KernelSide } from './kernel.ts';
import { METADATA_KFUNCS, type RxMetaConfig, RxMetaSource, rxMetaConfig, type XdpMetadataOp } from './rx-meta.ts';

const CONNTRACK_KFUNC = /^bpf_(xdp_ct_|ct_)/;

/** What a device image says about the kernel side (structured-clone friendly). */
export interface DeviceKernel {
  conntrack: ConntrackDescriptor | null;
  rxMeta: RxMetaConfig | null;
}

const calls = (spec: ObjectSpec, test: (name: string) => boolean) => spec.programs.some((p) => p.kfuncs?.some((k) => test(k.name)));

/** Does any program of the object call an XDP metadata kfunc? */
export const callsMetadataKfuncs = (spec: ObjectSpec): boolean => calls(spec, (n) => METADATA_KFUNCS.has(n));

/**
 * The kernel side of a run of `spec` on a device whose driver implements `rx.xdp_metadata` and strips
 * VLAN tags when `rx.vlan_strip`: the shared conntrack table (`seed`, else an empty one when the object
 * calls a conntrack kfunc) and the receive metadata configuration.
 */
export function deviceKernel(spec: ObjectSpec, rx: { xdp_metadata: readonly XdpMetadataOp[]; vlan_strip: boolean }, seed?: ConntrackTable): { kernel: DeviceKernel; table: ConntrackTable | null } {
  const table = seed ?? (calls(spec, (n) => CONNTRACK_KFUNC.test(n)) ? ConntrackTable.create() : null);
  const meta = callsMetadataKfuncs(spec) || rx.vlan_strip ? rxMetaConfig(rx.xdp_metadata, rx.vlan_strip) : null;
  return { kernel: { conntrack: table?.describe() ?? null, rxMeta: meta }, table };
}

/** A worker's view: one KernelSide per modeled core over the shared table, and the metadata source. */
export class WorkerKernel {
  readonly meta: RxMetaSource | null;
  private readonly table: ConntrackTable | null;

  constructor(d: DeviceKernel) {
    this.table = d.conntrack ? ConntrackTable.attach(d.conntrack) : null;
    this.meta = d.rxMeta ? new RxMetaSource(d.rxMeta) : null;
  }

  /** The kernel side of one modeled core (its NIC core and host-path core share it). */
  side(): KernelSide {
    const k = new KernelSide(this.table ?? undefined);
    if (this.meta) k.rx = this.meta.rx;
    return k;
  }
}
