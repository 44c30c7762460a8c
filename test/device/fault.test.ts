// Worker faults, for real: a worker that throws, a worker thread terminated from outside in the middle
// of its batch, and a core spinning inside the engine. The run must notice each, re-run the packets the
// worker had not completed on a fresh worker (or fail with one message), and count every packet once.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Packet } from '../../nic/device/io.ts';
import { Nic, type RunResult } from '../../nic/device/nic.ts';
import { Rss } from '../../nic/device/rss.ts';
import { loadProfile } from '../../nic/profile/index.ts';
import { assertConservation, framesOf, ROOT } from './helpers.ts';

const HOST = loadProfile(`${ROOT}configs/host-x86.yaml`);
const SPIN = `${ROOT}test/fixtures/device/spin.o`;
const corpus = (JSON.parse(readFileSync(`${ROOT}test/fixtures/packets/packets.json`, 'utf8')) as { name: string; hex: string }[])
  .map((p) => Uint8Array.from(Buffer.from(p.hex, 'hex')))
  .filter((f) => f.length >= 14);
const small = corpus.filter((f) => f.length < 1000);
const big = corpus.find((f) => f.length >= 1000 && f.length < 2000)!;

function* mixed(n: number, bigEvery: number): Generator<Packet> {
  for (let i = 0; i < n; i++) {
    const data = i % bigEvery === 0 ? big : small[i % small.length]!;
    yield { tsNs: BigInt(i) * 1000n, data, wireLen: data.length, index: i };
  }
}

const stable = (r: RunResult) => ({ actions: r.actions, aborted: r.aborted.by_reason, maps: r.maps, per_core: r.per_core, queues: r.queues });

describe('worker faults', () => {
  it('a worker that throws mid-run: its unfinished packets are re-run on a fresh worker, the result equals a clean run', async () => {
    const rec = JSON.parse(readFileSync(`${ROOT}test/fixtures/device/fallback-kernel.json`, 'utf8')) as { map_updates: string[]; packets: { data_in: string }[] };
    const traffic = function* (): Generator<Packet> {
      for (let k = 0; k < 3; k++)
        for (const [i, p] of rec.packets.entries()) {
          const data = Uint8Array.from(Buffer.from(p.data_in, 'hex'));
          yield { tsNs: BigInt(k * 1000 + i) * 1000n, data, wireLen: data.length, index: k * rec.packets.length + i };
        }
    };
    const open = () => Nic.open(`${ROOT}examples/xdp_fallback.o`, HOST, { cores: 2, workers: 2, mapUpdates: rec.map_updates });
    const n = rec.packets.length * 3;
    const clean = await open().run(traffic(), { outDir: mkdtempSync(join(tmpdir(), 'nicsim-f-')) });
    const hurt = await open().run(traffic(), { outDir: mkdtempSync(join(tmpdir(), 'nicsim-f-')), hooks: { failAfter: { worker: 1, packets: 17 } } });
    assertConservation(clean, n);
    assertConservation(hurt, n);
    expect(hurt.recovered).toHaveLength(1);
    expect(hurt.recovered[0]!.reason).toMatch(/test hook: worker fails after 17 packets/);
    expect(hurt.recovered[0]!.resent).toBeGreaterThan(0);
    expect(stable(hurt)).toEqual(stable(clean));
    expect(framesOf(hurt.outputs.pass!)).toEqual(framesOf(clean.outputs.pass!));
  });

  it('a worker thread terminated from outside in the middle of its batch: no packet lost or counted twice', async () => {
    const cores = 2;
    const workers = 2;
    const steer = new Rss({ queues: HOST.rx.queues });
    const victim = (steer.queueOf(big) % cores) % workers;
    const open = () => Nic.open(SPIN, HOST, { cores, workers, budget: 600_000 });
    const n = 24;
    const clean = await open().run(mixed(n, 4));
    let killed = false;
    const hurt = await open().run(mixed(n, 4), {
      hooks: {
        afterPacket: (done, ctl) => {
          if (!killed && done === 2) {
            killed = true;
            void ctl.terminateWorker(victim);
          }
        },
      },
    });
    assertConservation(clean, n);
    assertConservation(hurt, n);
    // The big frames spin until the budget ends: ABORTED (fault.budget), the rest pass.
    expect(clean.actions.aborted).toBe(n / 4);
    expect(clean.actions.pass).toBe(n - n / 4);
    expect(killed).toBe(true);
    expect(hurt.recovered).toHaveLength(1);
    expect(hurt.recovered[0]!.worker).toBe(victim);
    expect(hurt.recovered[0]!.resent).toBeGreaterThan(0);
    expect(stable(hurt)).toEqual(stable(clean));
  });

  it('a core spinning forever inside the engine is detected; the re-run hangs again and the run fails with one message', async () => {
    const nic = Nic.open(SPIN, HOST, { cores: 2, workers: 2, budget: 2 ** 31 - 1 });
    const t0 = performance.now();
    await expect(nic.run(mixed(8, 4), { hangMs: 1500 })).rejects.toThrow(/failed twice on packet 0: no progress for 1\.5 s \(the engine does not return\)/);
    expect(performance.now() - t0).toBeLessThan(30_000);
  });
});
