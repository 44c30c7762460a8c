// A core built in a worker thread from a cloneable device image alone: the worker runs the NIC form
// of a program on its arena slot; when it punts, the main thread's host-path core (another slot of
// the same arena) resumes it. The result equals the kernel's answer for the whole program.
import { describe, expect, it } from 'vitest';
import { inWorker } from '../maps/in-worker.ts';
import { loadProfile } from '../../nic/profile/index.ts';
import { checkProgram, verifierSafety } from '../../offload/capability/index.ts';
import { findProgram } from '../../offload/elf/index.ts';
import { EXIT } from '../../firmware/engine.ts';
import { interpreter } from '../../firmware/vm/engine.ts';
import { coreFromImage, deviceImage } from '../../nic/runtime/image.ts';
import { dumpMaps } from '../../nic/runtime/test-run.ts';
import { goldenCases, loadCase, masked, ROOT, specOf } from './golden.ts';

type Reply = { kind: number; action: number; executed: number; fault: string | null };
const runCore = (data: object) => inWorker<Reply>(new URL('./worker-core.ts', import.meta.url), data);

describe('a NIC core in a worker thread, the host path in the main thread', () => {
  it('xdp_echo: every golden case equals the kernel, punted ones resumed across threads', async () => {
    const profile = { name: 'agilio-cx-fallback', profile: loadProfile(`${ROOT}configs/agilio-cx-fallback.yaml`) };
    const spec = specOf('examples/xdp_echo.o');
    const pcs = checkProgram(spec, findProgram(spec, 'echo_responder')!, profile, verifierSafety).punt_pcs;
    let punted = 0;
    const cases = goldenCases().filter((c) => c.object === 'examples/xdp_echo.o' && c.repeat === 1 && c.before.length === 0 && c.map_updates.length === 0);
    expect(cases.length).toBeGreaterThan(3);
    for (const c of cases.slice(0, 4)) {
      const obj = loadCase(c);
      const id = obj.programs.find((p) => p.spec.name === c.program)!.id;
      const image = deviceImage(obj, new Map([[c.program, pcs]]));
      const r = await runCore({ image, slot: 0, program: id, packet: Uint8Array.from(Buffer.from(c.data_in, 'hex')), cpu: 0 });
      expect(r.fault).toBeNull();
      const host = coreFromImage(image, obj.arena, 1, { role: 'host', cpu: 0 });
      let action = r.action;
      let out: Uint8Array;
      if (r.kind === EXIT.punt) {
        punted++;
        obj.arena.copyCore(0, 1);
        expect(interpreter.resume(host)).toBe(EXIT.exit);
        action = host.action;
        out = host.buf.output();
      } else {
        expect(r.kind).toBe(EXIT.exit);
        out = coreFromImage(image, obj.arena, 0, { role: 'device', cpu: 0 }).buf.output();
      }
      expect(action, c.name).toBe(c.expected.retval);
      expect(Buffer.from(out).toString('hex'), c.name).toBe(c.expected.data_out);
      expect(masked(dumpMaps(obj), c.mask), c.name).toEqual(masked(c.expected.maps, c.mask));
    }
    expect(punted).toBeGreaterThan(0);
  });
});
