// The cost model's dynamic half: per-packet cycle counts (what the runtime measured along each
// packet's real path, priced by cost.ts) become time on the modeled hardware. Simulated time only:
// nothing here reads a clock.
//
// Resources, each a queue with its own service time:
//   RX port     serialises frames at the line rate (frame + 20 B preamble/IFG per packet);
//   NIC cores   one FIFO per core fed by its RSS queues, ring depth bounding the backlog (a packet
//               arriving at a full ring is dropped at the NIC); a core with T hardware threads is
//               occupied max(compute, (compute + stall) / T) cycles per packet — threads hide memory
//               stalls, not compute (as the NFP's microengine threads do) — while the packet itself
//               sees compute + stall;
//   PCIe        a shared link to the host for packets the device hands over (PASS, fallback, host
//               verdict): one-way latency plus bytes at the link bandwidth;
//   host cores  `host.cores` servers running the host path (fallback continuation, pass overhead).
// Throughput at the offered load is min(offered, capacity); capacity is the rate at which the first
// resource saturates for this traffic mix (per-core shares from RSS included, so one hot queue limits
// the whole NIC). Latency percentiles come from the event simulation over the actual arrival times.
import type { Profile } from '../profile/index.ts';
import { Histogram } from './histogram.ts';

/** What the runtime measured for one packet. */
export interface PacketCost {
  /** Arrival at the port in ns (capture or generator timestamp). */
  arrivalNs: number;
  /** Frame length in bytes (without preamble / IFG). */
  wireBytes: number;
  /** RX queue (RSS). */
  queue: number;
  /** Device compute cycles: instructions, helpers and the fixed per-packet cost (0: not on the device). */
  compute: number;
  /** Device memory-stall cycles. */
  stall: number;
  /** Host cycles for the host path (fallback continuation or the whole program); 0 when none. */
  hostCycles: number;
  /** Bytes crossing PCIe to the host (0 when the packet stays on the NIC). */
  pcieBytes: number;
  /** Handed to the host stack (XDP_PASS): the host pays its pass overhead. */
  pass: boolean;
  /**
   * The device already decided whether its RX ring had room (nic/device's ring model): true = dropped
   * at the NIC, false = admitted. Undefined: this model decides with its own ring of `ringDepth`.
   */
  dropped?: boolean;
}

export type Resource = 'cores' | 'hot_queue' | 'line_rate' | 'pcie' | 'host';

export interface ResourceLoad {
  resource: Exclude<Resource, 'hot_queue'>;
  /** Packets per second this resource sustains for the traffic mix (Infinity: not used). */
  capacity_pps: number;
  /** Offered load / capacity. */
  utilization: number;
}

export interface ModelResult {
  packets: number;
  offered_mpps: number;
  capacity_mpps: number;
  /** Throughput at the offered load. */
  mpps: number;
  gbps: number;
  bottleneck: { resource: Resource; detail: string };
  resources: ResourceLoad[];
  per_core_utilization: number[];
  /** Packets dropped at a full RX ring in the event simulation (overload). */
  nic_drops: number;
  latency_ns: { p50: number; p90: number; p99: number; max: number; mean: number };
  latency_histogram: [number, number][];
}

export interface ModelOptions {
  /** Modeled NIC cores. */
  cores: number;
  /** RX ring depth per core's queues (packets waiting, not yet started). */
  ringDepth: number;
}

/** One FIFO core of the event simulation. */
interface CoreState {
  freeAt: number;
  /** Start times of the last `ringDepth` admitted packets (circular). */
  starts: Float64Array;
  admitted: number;
  /** Σ occupancy (ns) of admitted packets. */
  busyNs: number;
  /** Occupancy demand of every packet offered to this core, dropped or not (capacity): set by finish()
   * from the packets served (a packet dropped at the ring never ran, so it costs the served mean). */
  demandNs: number;
  packets: number;
  drops: number;
  /** Latest arrival seen: host events up to it are final. */
  clock: number;
  /** Packets per RX queue (by queue number; grows as queues appear) and the queues in the order they first appeared. */
  queueCounts: Float64Array;
  queueOrder: number[];
  /** Packets on their way to the host, EV_FIELDS numbers each: when the packet leaves the device,
   * bytes crossing PCIe, host ns, device-side latency so far (arrival -> leaving the device). */
  events: Float64Array;
  eventCount: number;
}

const EV_FIELDS = 4;

const PREAMBLE_IFG = 20;

export class ThroughputModel {
  private readonly cores: CoreState[];
  /** drainHost's scratch: the ready events of every core, and their order by time. */
  private ready = new Float64Array(0);
  private keys = new Float64Array(0);
  private keysTmp = new Float64Array(0);
  private order = new Uint32Array(0);
  private orderTmp = new Uint32Array(0);
  private readonly hostFree: Float64Array;
  private pcieFree = 0;
  private readonly latency = new Histogram();
  private readonly nicNsPerCycle: number;
  private readonly hostNsPerCycle: number;
  private readonly threads: number;
  private readonly pcieNsPerByte: number;
  private readonly pcieLatency: number;
  private readonly lineNsPerByte: number;
  /** The host's pass overhead (ns), paid by every PASS packet. */
  private readonly passNs: number;
  private firstArrival = Infinity;
  private lastArrival = -Infinity;
  private n = 0;
  private wireBytes = 0;
  private pcieBytes = 0;
  private hostNs = 0;
  private buffered = 0;

  constructor(
    private readonly profile: Profile,
    private readonly opts: ModelOptions,
  ) {
    const depth = Math.max(1, opts.ringDepth);
    this.cores = Array.from({ length: opts.cores }, () => ({
      freeAt: 0, starts: new Float64Array(depth), admitted: 0, busyNs: 0, demandNs: 0, packets: 0, drops: 0, clock: -Infinity,
      queueCounts: new Float64Array(16), queueOrder: [], events: new Float64Array(EV_FIELDS * 1024), eventCount: 0,
    }));
    this.hostFree = new Float64Array(Math.max(1, profile.host.cores));
    this.nicNsPerCycle = 1000 / profile.cores.clock_mhz;
    this.hostNsPerCycle = 1000 / profile.host.clock_mhz;
    this.threads = Math.max(1, profile.cores.threads_per_core);
    this.pcieNsPerByte = 8 / profile.host.pcie.bandwidth_gbps;
    this.pcieLatency = profile.host.pcie.latency_ns;
    this.lineNsPerByte = 8 / profile.host.line_rate_gbps;
    this.passNs = profile.host.pass_overhead_ns;
  }

  /** Serialisation time of one frame at the line rate, preamble and inter-frame gap included. */
  wireNs(bytes: number): number {
    return (bytes + PREAMBLE_IFG) * this.lineNsPerByte;
  }

  /**
   * Adds one packet served by `core`; packets of one core must come in arrival order. `p` is read
   * here and not kept: a caller may pass one object refilled for every packet (no allocation per packet).
   */
  add(core: number, p: PacketCost): void {
    this.addPacket(core, p.arrivalNs, p.wireBytes, p.queue, p.compute, p.stall, p.hostCycles, p.pcieBytes, p.pass, p.dropped === undefined ? -1 : p.dropped ? 1 : 0);
  }

  /**
   * add() with the PacketCost's fields as arguments (what a caller that keeps its numbers in typed
   * arrays calls: nothing to fill per packet). `dropped`: 1 dropped at the NIC, 0 admitted, -1 this
   * model decides with its own ring.
   */
  addPacket(core: number, arrivalNs: number, wireBytes: number, queue: number, compute: number, stall: number, hostCycles: number, pcieBytes: number, pass: boolean, dropped: number): void {
    const c = this.cores[core];
    if (!c) throw new RangeError(`core ${core} outside 0..${this.opts.cores - 1}`);
    this.n++;
    this.wireBytes += wireBytes;
    this.pcieBytes += pcieBytes;
    if (arrivalNs < this.firstArrival) this.firstArrival = arrivalNs;
    if (arrivalNs > this.lastArrival) this.lastArrival = arrivalNs;
    // the frame is in the NIC once its last bit arrived
    const a = arrivalNs + (wireBytes + PREAMBLE_IFG) * this.lineNsPerByte;
    if (a > c.clock) c.clock = a;
    c.packets++;
    let qc = c.queueCounts;
    if (queue >= qc.length) {
      qc = new Float64Array(Math.max(queue + 1, qc.length * 2));
      qc.set(c.queueCounts);
      c.queueCounts = qc;
    }
    if (qc[queue]! === 0) c.queueOrder.push(queue);
    qc[queue]!++;
    const occupancy = Math.max(compute, (compute + stall) / this.threads) * this.nicNsPerCycle;
    const hostNs = hostCycles * this.hostNsPerCycle + (pass ? this.passNs : 0);
    this.hostNs += hostNs;
    const starts = c.starts;
    const depth = starts.length;
    if (dropped === 1 || (dropped === -1 && c.admitted >= depth && starts[c.admitted % depth]! > a)) {
      c.drops++;
      return;
    }
    const start = Math.max(a, c.freeAt);
    starts[c.admitted % depth] = start;
    c.admitted++;
    c.freeAt = start + occupancy;
    c.busyNs += occupancy;
    const leave = start + (compute + stall) * this.nicNsPerCycle;
    if (pcieBytes > 0 || hostNs > 0) {
      let ev = c.events;
      const at = c.eventCount * EV_FIELDS;
      if (at + EV_FIELDS > ev.length) {
        ev = new Float64Array(ev.length * 2);
        ev.set(c.events);
        c.events = ev;
      }
      ev[at] = leave;
      ev[at + 1] = pcieBytes;
      ev[at + 2] = hostNs;
      ev[at + 3] = leave - a;
      c.eventCount++;
      if (++this.buffered >= 65536) this.drainHost(false);
    } else {
      this.latency.add(leave - a);
    }
  }

  /** Runs the shared PCIe link and host cores over buffered events that no later packet can precede. */
  private drainHost(all: boolean): void {
    let horizon = Infinity;
    if (!all) for (const c of this.cores) if (c.packets > 0) horizon = Math.min(horizon, c.clock);
    // the ready events of every core, core by core, each core's in the order they came (events of
    // one core are nearly but not exactly time-ordered: take everything up to the horizon); their
    // times also go into one contiguous array, the sort's keys
    let ready = this.ready;
    if (ready.length < this.buffered * EV_FIELDS) {
      const cap = Math.max(this.buffered, 1024) * 2;
      ready = this.ready = new Float64Array(cap * EV_FIELDS);
      this.keys = new Float64Array(cap);
      this.keysTmp = new Float64Array(cap);
      this.order = new Uint32Array(cap);
      this.orderTmp = new Uint32Array(cap);
    }
    const keys = this.keys;
    let n = 0;
    for (const c of this.cores) {
      const ev = c.events;
      let kept = 0;
      for (let i = 0; i < c.eventCount; i++) {
        const from = i * EV_FIELDS;
        const t = ev[from]!;
        if (t <= horizon) {
          const to = n * EV_FIELDS;
          keys[n++] = t;
          ready[to] = t;
          ready[to + 1] = ev[from + 1]!;
          ready[to + 2] = ev[from + 2]!;
          ready[to + 3] = ev[from + 3]!;
        } else {
          const to = kept++ * EV_FIELDS;
          ev[to] = t;
          ev[to + 1] = ev[from + 1]!;
          ev[to + 2] = ev[from + 2]!;
          ev[to + 3] = ev[from + 3]!;
        }
      }
      c.eventCount = kept;
    }
    this.buffered -= n;
    // a stable sort by time (ties keep core order, then arrival order)
    const order = this.sortByTime(n);
    const hostFree = this.hostFree;
    const servers = hostFree.length;
    for (let k = 0; k < n; k++) {
      const e = order[k]! * EV_FIELDS;
      const et = ready[e]!;
      const bytes = ready[e + 1]!;
      const hostNs = ready[e + 2]!;
      let t = et;
      if (bytes > 0) {
        const s = Math.max(t, this.pcieFree);
        this.pcieFree = s + bytes * this.pcieNsPerByte;
        t = this.pcieFree + this.pcieLatency;
      }
      let done = t;
      if (hostNs > 0) {
        let best = 0;
        for (let i = 1; i < servers; i++) if (hostFree[i]! < hostFree[best]!) best = i;
        const s = Math.max(t, hostFree[best]!);
        done = s + hostNs;
        hostFree[best] = done;
      }
      this.latency.add(ready[e + 3]! + (done - et));
    }
  }

  /**
   * The indexes 0..n-1 of the ready events in a stable order by time (their times are `keys[0..n-1]`):
   * a natural merge sort (runs that are already in order are merged pairwise), moving each key with
   * its index so that comparisons read contiguous memory; linear for the nearly ordered runs the cores
   * produce.
   */
  private sortByTime(n: number): Uint32Array {
    let a = this.order;
    let b = this.orderTmp;
    let ka = this.keys;
    let kb = this.keysTmp;
    for (let i = 0; i < n; i++) a[i] = i;
    // run boundaries: starts of maximal non-decreasing runs
    const bounds: number[] = [0];
    for (let i = 1; i < n; i++) if (ka[i]! < ka[i - 1]!) bounds.push(i);
    bounds.push(n);
    let runs = bounds;
    while (runs.length > 2) {
      const next: number[] = [0];
      for (let r = 0; r + 1 < runs.length; r += 2) {
        const lo = runs[r]!;
        const mid = runs[r + 1]!;
        const hi = r + 2 < runs.length ? runs[r + 2]! : mid;
        let i = lo;
        let j = mid;
        let k = lo;
        while (i < mid && j < hi) {
          const ki = ka[i]!;
          const kj = ka[j]!;
          if (kj < ki) {
            kb[k] = kj;
            b[k++] = a[j++]!;
          } else {
            kb[k] = ki;
            b[k++] = a[i++]!;
          }
        }
        while (i < mid) {
          kb[k] = ka[i]!;
          b[k++] = a[i++]!;
        }
        while (j < hi) {
          kb[k] = ka[j]!;
          b[k++] = a[j++]!;
        }
        next.push(hi);
      }
      const t = a;
      a = b;
      b = t;
      const kt = ka;
      ka = kb;
      kb = kt;
      runs = next;
    }
    return a;
  }

  finish(): ModelResult {
    this.drainHost(true);
    for (const c of this.cores) c.demandNs = c.admitted > 0 ? (c.busyNs / c.admitted) * c.packets : 0;
    const n = this.n;
    const mean = (x: number) => (n > 0 ? x / n : 0);
    const span = this.lastArrival - this.firstArrival;
    // offered rate: packets per arrival interval; simultaneous arrivals offer more than any resource
    const offered = n > 1 && span > 0 ? ((n - 1) * 1e9) / span : Infinity;
    const meanWire = mean(this.wireBytes);
    const loads: ResourceLoad[] = [];
    const cap = (resource: ResourceLoad['resource'], perPacketNs: number, servers = 1): number => {
      const c = perPacketNs > 0 ? (servers * 1e9) / perPacketNs : Infinity;
      loads.push({ resource, capacity_pps: c, utilization: 0 });
      return c;
    };
    // cores: the NIC saturates when its busiest core does (shares fixed by RSS)
    let busiest = -1;
    let coreCap = Infinity;
    this.cores.forEach((c, i) => {
      if (c.demandNs <= 0) return;
      const k = (n * 1e9) / c.demandNs;
      if (k < coreCap) {
        coreCap = k;
        busiest = i;
      }
    });
    loads.push({ resource: 'cores', capacity_pps: coreCap, utilization: 0 });
    cap('line_rate', (meanWire + PREAMBLE_IFG) * this.lineNsPerByte);
    cap('pcie', mean(this.pcieBytes) * this.pcieNsPerByte);
    cap('host', mean(this.hostNs), this.hostFree.length);
    const capacity = Math.min(...loads.map((l) => l.capacity_pps));
    const rate = Math.min(offered, capacity);
    for (const l of loads) l.utilization = Number.isFinite(l.capacity_pps) ? (Number.isFinite(offered) ? offered : capacity) / l.capacity_pps : 0;
    const binding = loads.reduce((a, b) => (b.capacity_pps < a.capacity_pps ? b : a));
    let bottleneck: ModelResult['bottleneck'] = { resource: binding.resource, detail: '' };
    if (binding.resource === 'cores' && busiest >= 0) {
      const total = this.cores.reduce((s, c) => s + c.demandNs, 0);
      const hot = this.cores[busiest]!;
      const [queue] = hot.queueOrder.map((q) => [q, hot.queueCounts[q]!] as const).reduce((a, b) => (b[1] > a[1] ? b : a), [-1, -1] as const);
      // skew: the busiest core carries clearly more than its fair share of the work
      if (this.opts.cores > 1 && hot.demandNs > (1.25 * total) / this.opts.cores) bottleneck = { resource: 'hot_queue', detail: `core ${busiest} (queue ${queue}) carries ${((hot.demandNs / total) * 100).toFixed(0)} % of the NIC's work` };
      else bottleneck.detail = `${this.cores.filter((c) => c.demandNs > 0).length} of ${this.opts.cores} cores busy`;
    } else if (binding.resource === 'line_rate') bottleneck.detail = `${this.profile.host.line_rate_gbps} Gbit/s port`;
    else if (binding.resource === 'pcie') bottleneck.detail = `${this.profile.host.pcie.bandwidth_gbps} Gbit/s PCIe to the host`;
    else if (binding.resource === 'host') bottleneck.detail = `${this.hostFree.length} host cores on the host path`;
    const perCore = this.cores.map((c) => (n > 0 && Number.isFinite(rate) ? Math.min(1, (rate * c.demandNs) / n / 1e9) : 0));
    const h = this.latency;
    return {
      packets: n,
      offered_mpps: offered / 1e6,
      capacity_mpps: capacity / 1e6,
      mpps: rate / 1e6,
      gbps: (rate * meanWire * 8) / 1e9,
      bottleneck,
      resources: loads,
      per_core_utilization: perCore,
      nic_drops: this.cores.reduce((s, c) => s + c.drops, 0),
      latency_ns: { p50: h.quantile(0.5), p90: h.quantile(0.9), p99: h.quantile(0.99), max: h.max, mean: h.count ? h.sum / h.count : 0 },
      latency_histogram: h.buckets(),
    };
  }
}
