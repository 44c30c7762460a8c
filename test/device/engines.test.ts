// The device on both engines: a run whose NIC cores run the JIT gives the interpreter's run exactly,
// the throughput model included (the JIT module is compiled with the cost tables and accounts each
// packet's cycles, stalls and cycles per pc as the interpreter does). Verdicts offload (host-x86) and
// partial (agilio-cx-fallback: packets punt at a pc and continue on the host path).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Nic, type RunResult } from '../../nic/device/nic.ts';
import { loadProfile } from '../../nic/profile/index.ts';
import { assertConservation, casesTraffic, type KernelCase, ROOT, singlePacketCases } from './helpers.ts';

/** The packets of the kernel's fallback recording (test/kernel/record-fallback.py), as cases. */
const fallbackCases = (): KernelCase[] =>
  (JSON.parse(readFileSync(`${ROOT}test/fixtures/device/fallback-kernel.json`, 'utf8')) as { packets: { data_in: string }[] }).packets.map(
    (p) => ({ data_in: p.data_in }) as KernelCase,
  );

const CASES = [
  { object: 'examples/xdp_count.o', example: 'xdp_count', profile: 'host-x86', mapUpdates: [] as string[] },
  { object: 'examples/xdp_firewall.o', example: 'xdp_firewall', profile: 'host-x86', mapUpdates: [] as string[] },
  { object: 'examples/xdp_fallback.o', example: 'xdp_fallback', profile: 'agilio-cx-fallback', mapUpdates: ['cfg:00000000:07000000'] },
];

/** What must not depend on the engine: everything but wall time and the engine's name. */
function comparable(r: RunResult): unknown {
  const { wall_seconds: _w, wall_mpps: _m, engine: _e, ...rest } = r;
  return rest;
}

describe.each(CASES)('$object on $profile: --engine jit = --engine interp', (c) => {
  it('same actions, fallback, instructions, maps, model and hot lines', async () => {
    const cases = c.example === 'xdp_fallback' ? fallbackCases() : singlePacketCases(c.example);
    expect(cases.length).toBeGreaterThan(0);
    const run = async (engine: string) => {
      const nic = Nic.open(`${ROOT}${c.object}`, loadProfile(`${ROOT}configs/${c.profile}.yaml`), { cores: 2, workers: 1, engine, mapUpdates: c.mapUpdates });
      return nic.run(casesTraffic(cases, 20));
    };
    const interp = await run('interp');
    const jit = await run('jit');
    expect(jit.engine).toBe('jit');
    assertConservation(jit, cases.length * 20);
    expect(interp.model.hot_lines.length).toBeGreaterThan(0);
    if (c.profile === 'agilio-cx-fallback') expect(jit.fallback.packets).toBeGreaterThan(0);
    expect(comparable(jit)).toEqual(comparable(interp));
  });
});
