// Output timestamps: the device carries arrival times as numbers (ns after the first packet, from the
// capture's raw timestamp words without a bigint per packet) and rebuilds each output record's
// timestamp from them. Every PASS record must carry exactly its input record's timestamp, for pcap in
// micro- and nanoseconds of both byte orders, pcapng with several interfaces and sections, and traffic
// whose timestamps lie further apart than a double holds exactly (2^53 ns).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Packet } from '../../nic/device/io.ts';
import { Nic } from '../../nic/device/nic.ts';
import { loadProfile } from '../../nic/profile/index.ts';
import { openCapture } from '../../nic/traffic/index.ts';
import { assertConservation, ROOT } from './helpers.ts';

const HOST = loadProfile(`${ROOT}configs/host-x86.yaml`);
const records = (file: string) => [...openCapture(file).copies()].map((f) => ({ ts: f.tsNs, hex: Buffer.from(f.data).toString('hex') }));

/** PASS leaves frames alone: the output is the input minus the dropped records, in order, timestamps included. */
function expectSubsequence(out: { ts: bigint; hex: string }[], input: { ts: bigint; hex: string }[]): void {
  let j = 0;
  for (const o of out) {
    while (j < input.length && !(input[j]!.ts === o.ts && input[j]!.hex === o.hex)) j++;
    expect(j, `output record with timestamp ${o.ts} is not the next input record`).toBeLessThan(input.length);
    j++;
  }
}

async function passThrough(source: Iterable<Packet>, n: number): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), 'nicsim-ts-'));
  const r = await Nic.open(`${ROOT}examples/xdp_count.o`, HOST, { cores: 2, workers: 2 }).run(source, { outDir: out });
  assertConservation(r, n);
  expect(r.actions.pass).toBeGreaterThan(0);
  expect(records(r.outputs.pass!)).toHaveLength(r.actions.pass);
  return r.outputs.pass!;
}

describe('output timestamps', () => {
  for (const name of ['le-us.pcap', 'be-ns.pcap', 'be-us.pcap', 'two-ifaces.pcapng', 'sections.pcapng', 'basic.pcapng', 'crafted.pcapng']) {
    it(`${name}: each PASS record keeps its input timestamp`, async () => {
      const file = `${ROOT}test/fixtures/traffic/${name}`;
      const input = records(file);
      const pass = await passThrough(openCapture(file), input.length);
      expectSubsequence(records(pass), input);
    });
  }

  it('timestamps further apart than 2^53 ns keep every nanosecond', async () => {
    const frame = records(`${ROOT}test/fixtures/traffic/le-ns.pcap`)[0]!;
    const data = Uint8Array.from(Buffer.from(frame.hex, 'hex'));
    const ts = [1n, 2n ** 53n + 3n, 5n, 4n * 10n ** 18n + 7n, 4n * 10n ** 18n + 8n, 2n ** 60n + 1n]; // a pcap holds 0 to 2^32 s
    const input = ts.map((t) => ({ ts: t, hex: frame.hex }));
    const src = ts.map((t, index): Packet => ({ tsNs: t, data, wireLen: data.length, index }));
    const pass = await passThrough(src, ts.length);
    expect(records(pass)).toEqual(input);
  });
});
