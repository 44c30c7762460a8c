// The NIC's RX rings in simulated time: decides, for each arriving packet, whether its queue's ring
// still has a free descriptor, and when the packet leaves the ring. A packet occupies a descriptor
// from its arrival (its timestamp) until its core finished it; a core serves its queues' packets in
// arrival order, each taking the time its execution costs on the modeled core:
//   service ns = (cost.per_packet_cycles + instructions x cost.cpi) / cores.clock_mhz x 1000
// This depends only on the input and on what the program executes, not on host threads, so NIC
// drops are deterministic. The state lives in a SharedArrayBuffer so that a fresh worker that takes
// over a failed one's cores continues it. A queue is only ever touched by the worker of its core.
//
// Layout (Float64): per queue q at q * (3 + depth): [head, count, reserved, depth departure times];
// then one "core busy until" time per modeled core.

export interface RxModelDescriptor {
  sab: SharedArrayBuffer;
  queues: number;
  depth: number;
  cores: number;
}

export class RxModel {
  private readonly f: Float64Array;
  private readonly depth: number;
  private readonly stride: number;
  private readonly coreBase: number;

  constructor(readonly d: RxModelDescriptor) {
    this.f = new Float64Array(d.sab);
    this.depth = d.depth;
    this.stride = 3 + d.depth;
    this.coreBase = d.queues * this.stride;
  }

  static create(queues: number, depth: number, cores: number): RxModel {
    const sab = new SharedArrayBuffer(8 * (queues * (3 + depth) + cores));
    return new RxModel({ sab, queues, depth, cores });
  }

  /**
   * A packet arrives on queue `q` at `t` ns: frees the descriptors of packets finished by then and
   * returns false when the ring is still full (the NIC drops it). Idempotent for the same t.
   */
  admit(q: number, t: number): boolean {
    const f = this.f;
    const b = q * this.stride;
    let head = f[b]!;
    let count = f[b + 1]!;
    while (count > 0 && f[b + 3 + head]! <= t) {
      head = head + 1 === this.depth ? 0 : head + 1;
      count--;
    }
    f[b] = head;
    f[b + 1] = count;
    return count < this.depth;
  }

  /** The admitted packet of queue `q` that arrived at `t` is served by `core` for `serviceNs`. */
  commit(q: number, core: number, t: number, serviceNs: number): void {
    const f = this.f;
    const c = this.coreBase + core;
    const start = Math.max(t, f[c]!);
    const done = start + serviceNs;
    f[c] = done;
    const b = q * this.stride;
    const head = f[b]!;
    const count = f[b + 1]!;
    let tail = head + count;
    if (tail >= this.depth) tail -= this.depth;
    f[b + 3 + tail] = done;
    f[b + 1] = count + 1;
  }
}
