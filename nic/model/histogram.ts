// A log-bucketed latency histogram: constant memory whatever the number of packets, percentiles
// within 1 % relative error (buckets grow by 2 % per step above 1 ns; exact below).

const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
/** Buckets: 0..63 exact ns, then geometric up to ~1 hour of simulated time. */
const LINEAR = 64;
const BUCKETS = LINEAR + Math.ceil(Math.log(3.6e12 / LINEAR) / LOG_GROWTH) + 1;

export class Histogram {
  private readonly counts = new Float64Array(BUCKETS);
  count = 0;
  sum = 0;
  max = 0;

  add(ns: number): void {
    const v = ns > 0 ? ns : 0;
    this.counts[Histogram.bucket(v)]! += 1;
    this.count++;
    this.sum += v;
    if (v > this.max) this.max = v;
  }

  private static bucket(v: number): number {
    if (v < LINEAR) return Math.floor(v);
    return Math.min(BUCKETS - 1, LINEAR + Math.floor(Math.log(v / LINEAR) / LOG_GROWTH));
  }

  /** Representative value of a bucket (its lower edge; exact in the linear part). */
  private static value(b: number): number {
    return b < LINEAR ? b : LINEAR * Math.pow(GROWTH, b - LINEAR);
  }

  /** The q-quantile (0..1) in ns; 0 for an empty histogram. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const target = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.counts[b]!;
      if (seen >= target) return Math.min(Histogram.value(b), this.max);
    }
    return this.max;
  }

  /** Non-empty buckets as [lower ns, count] pairs (for charts). */
  buckets(): [number, number][] {
    const out: [number, number][] = [];
    for (let b = 0; b < BUCKETS; b++) if (this.counts[b]) out.push([Histogram.value(b), this.counts[b]!]);
    return out;
  }
}
