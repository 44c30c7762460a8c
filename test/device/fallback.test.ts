// Host fallback against the kernel: examples/xdp_fallback.o counts every packet before and after a
// register BPF_MOD that the nfp cannot run. On agilio-cx-fallback (verdict partial) IPv4 UDP packets
// are punted at that pc and continue on the host path. The kernel ran the whole program over the same
// packet stream on the same maps (test/kernel/record-fallback.py); the device's results must be
// identical: every action, every PASS frame in order, every counter (each side effect exactly once).
// Both engines: a JIT core stops at the punt pc as the interpreter's does.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Packet } from '../../nic/device/io.ts';
import { Nic } from '../../nic/device/nic.ts';
import { loadProfile } from '../../nic/profile/index.ts';
import { assertConservation, framesOf, ROOT } from './helpers.ts';

interface Recording {
  object: string;
  program: string;
  map_updates: string[];
  packets: { name: string; data_in: string; retval: number; data_out: string }[];
  maps: Record<string, { key: string; value: string }[]>;
}
const rec = JSON.parse(readFileSync(`${ROOT}test/fixtures/device/fallback-kernel.json`, 'utf8')) as Recording;

function* traffic(): Generator<Packet> {
  let index = 0;
  for (const p of rec.packets) {
    const data = Uint8Array.from(Buffer.from(p.data_in, 'hex'));
    yield { tsNs: BigInt(index) * 1000n, data, wireLen: data.length, index: index++ };
  }
}

const isUdp4 = (hex: string) => {
  const b = Buffer.from(hex, 'hex');
  return b.length >= 34 && b.readUInt16BE(12) === 0x0800 && b[14] === 0x45 && b[23] === 17;
};

describe.each(['interp', 'jit'])('host fallback (verdict partial) against the kernel, NIC cores on --engine %s', (engine) => {
  it('punted packets continue on the host from the punt pc: actions, frames and counters are the kernel\'s', async () => {
    const nic = Nic.open(`${ROOT}${rec.object}`, loadProfile(`${ROOT}configs/agilio-cx-fallback.yaml`), { cores: 2, workers: 2, engine, mapUpdates: rec.map_updates });
    expect(nic.check.verdict).toBe('partial');
    expect(nic.check.punt_pcs.length).toBeGreaterThan(0);
    const r = await nic.run(traffic(), { outDir: mkdtempSync(join(tmpdir(), 'nicsim-fb-')) });
    assertConservation(r, rec.packets.length);
    expect(r.actions.drop).toBe(rec.packets.filter((p) => p.retval === 1).length);
    expect(r.actions.pass).toBe(rec.packets.filter((p) => p.retval === 2).length);
    expect(framesOf(r.outputs.pass!)).toEqual(rec.packets.filter((p) => p.retval === 2).map((p) => p.data_out));
    expect(r.maps).toEqual(rec.maps);
    // Exactly the IPv4 UDP packets whose UDP header is in the frame left the NIC, all at the MOD.
    const punted = rec.packets.filter((p) => isUdp4(p.data_in) && Buffer.from(p.data_in, 'hex').length >= 42).length;
    expect(punted).toBeGreaterThan(0);
    expect(r.fallback.packets).toBe(punted);
    expect(Object.keys(r.fallback.by_pc)).toEqual(nic.check.punt_pcs.map(String));
    const [entry] = Object.values(r.fallback.by_pc);
    expect(entry!.packets).toBe(punted);
    expect(entry!.source).toMatch(/^xdp_fallback\.c:\d+: .*%/);
    expect(r.fallback.host_instructions).toBeGreaterThan(0);
    expect(r.fallback.pcie_bytes).toBeGreaterThan(0);
  });

  it('no instruction runs twice: NIC + host instructions of the partial run = instructions of the whole program', async () => {
    const whole = await Nic.open(`${ROOT}${rec.object}`, loadProfile(`${ROOT}configs/host-x86.yaml`), { cores: 2, workers: 2, engine, mapUpdates: rec.map_updates }).run(traffic());
    expect(whole.verdict).toBe('offload');
    expect(whole.fallback.packets).toBe(0);
    const part = await Nic.open(`${ROOT}${rec.object}`, loadProfile(`${ROOT}configs/agilio-cx-fallback.yaml`), { cores: 2, workers: 2, engine, mapUpdates: rec.map_updates }).run(traffic());
    assertConservation(whole, rec.packets.length);
    assertConservation(part, rec.packets.length);
    expect(part.nic_instructions + part.fallback.host_instructions).toBe(whole.nic_instructions);
    expect(part.maps).toEqual(whole.maps);
  });
});
