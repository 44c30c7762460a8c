// Compile once per run, not per worker: the JIT code (a WebAssembly.Module plus plain data) is
// compiled in the main thread and posted to a worker thread with the device image; the worker's
// NIC core runs it on the shared arena. Results equal the kernel's golden vectors, and the maps the
// worker updated are seen by the main thread.
import { describe, expect, it } from 'vitest';
import { inWorker } from '../maps/in-worker.ts';
import { compileJit, mapBoundsOf } from '../../firmware/jit/engine.ts';
import { coreFor } from '../../nic/runtime/load.ts';
import { deviceImage } from '../../nic/runtime/image.ts';
import { applyMapUpdate, dumpMaps } from '../../nic/runtime/test-run.ts';
import { goldenCases, loadCase, masked } from '../engine/golden.ts';

type Reply = { kind: number; action: number; out: string; fault: string | null }[];
const runCore = (data: object) => inWorker<Reply>(new URL('./worker-core.ts', import.meta.url), data);

describe('JIT code compiled once, run in a worker thread', () => {
  it.each(['examples/xdp_l4lb.o', 'examples/xdp_count.o'])('%s: golden cases through the posted module', async (object) => {
    const cases = goldenCases().filter((c) => c.object === object && c.repeat === 1 && c.before.length === 0 && c.tail_calls.length === 0).slice(0, 2);
    expect(cases.length).toBeGreaterThan(0);
    for (const c of cases) {
      const obj = loadCase(c);
      for (const u of c.map_updates) applyMapUpdate(obj, u);
      const id = obj.programs.find((p) => p.spec.name === c.program)!.id;
      const code = compileJit(obj.programs, mapBoundsOf(coreFor(obj, 0)));
      expect(code.module).not.toBeNull();
      const [r] = await runCore({ image: deviceImage(obj), code, slot: 0, program: id, packets: [Uint8Array.from(Buffer.from(c.data_in, 'hex'))] });
      expect(r!.fault, c.name).toBeNull();
      expect(r!.action, c.name).toBe(c.expected.retval);
      expect(r!.out, c.name).toBe(c.expected.data_out);
      expect(masked(dumpMaps(obj), c.mask), c.name).toEqual(masked(c.expected.maps, c.mask));
    }
  });
});
