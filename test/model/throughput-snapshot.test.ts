// Regression snapshot of the throughput model (not an independent truth): 200,000 seeded packets on
// 3 cores, overloaded, every packet a host event, so the buffered host drains, their stable sort, the
// ring drops and the latency histogram all run many times. The snapshot was recorded by the model as
// it was before its main-thread speed-ups (commit 018cc70); speed work on nic/model/throughput.ts must
// keep the output bit for bit. Re-record (only at a known-good commit) as throughput-snapshot.ts says.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { snapshotRun } from './throughput-snapshot.ts';

it('the model of 200,000 seeded packets is bit for bit the recorded snapshot', () => {
  const want = JSON.parse(readFileSync(new URL('../fixtures/model/throughput-snapshot.json', import.meta.url), 'utf8')) as unknown;
  // through JSON as the snapshot was (Infinity -> null)
  expect(JSON.parse(JSON.stringify(snapshotRun()))).toEqual(want);
});
