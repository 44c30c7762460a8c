// The traffic of the throughput model's regression snapshot (throughput-snapshot.test.ts): 200,000
// seeded packets on 3 cores of host-x86 (driver mode: every packet crosses PCIe, so the host events
// go through several buffered drains), with ties in arrival time, frames of every size, an overload that fills the RX rings (NIC drops),
// host-path cycles and PASS packets. Shared by the test and by the script that re-records the
// snapshot: `npx tsx test/model/throughput-snapshot.ts > test/fixtures/model/throughput-snapshot.json`
// (run it only at a commit whose model output is known good).
import { loadProfile } from '../../nic/profile/index.ts';
import { type ModelResult, ThroughputModel } from '../../nic/model/throughput.ts';

export const SNAPSHOT_PACKETS = 200_000;

export function snapshotRun(): ModelResult {
  const profile = loadProfile(new URL('../../configs/host-x86.yaml', import.meta.url).pathname);
  const cores = 3;
  const m = new ThroughputModel(profile, { cores, ringDepth: 256 });
  // xorshift32: the same numbers on every run
  let s = 0x9e3779b9;
  const rnd = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
  let t = 0;
  for (let i = 0; i < SNAPSHOT_PACKETS; i++) {
    // bursts of simultaneous arrivals, then gaps
    if (rnd() < 0.6) t += Math.floor(rnd() * 150);
    const wire = 60 + Math.floor(rnd() * 1455);
    const queue = Math.floor(rnd() * 6);
    const core = queue % cores;
    const compute = 50 + Math.floor(rnd() * 900);
    const stall = Math.floor(rnd() * 300);
    const host = rnd() < 0.1 ? Math.floor(rnd() * 2000) : 0;
    const pass = rnd() < 0.7;
    m.add(core, { arrivalNs: t, wireBytes: wire, queue, compute, stall, hostCycles: host, pcieBytes: wire, pass });
  }
  return m.finish();
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(snapshotRun(), null, 1));
