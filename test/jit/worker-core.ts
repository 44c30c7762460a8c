// Worker side of test/jit/worker.test.ts: a NIC core from the device image and the JIT code compiled
// once in the main thread (the WebAssembly.Module is structured-cloned, not recompiled); runs each
// packet on arena slot `slot` and reports action and output frame.
import { parentPort, workerData } from 'node:worker_threads';
import { type JitCode, jitEngine } from '../../firmware/jit/engine.ts';
import { attachImage, coreFromImage, type DeviceImage } from '../../nic/runtime/image.ts';

const { image, code, slot, program, packets } = workerData as { image: DeviceImage; code: JitCode; slot: number; program: number; packets: Uint8Array[] };
const arena = attachImage(image);
const core = coreFromImage(image, arena, slot, { role: 'device', cpu: 0 });
const jit = jitEngine(code);
const results = packets.map((p) => {
  core.buf.reset(p);
  const kind = jit.run(core, program);
  return { kind, action: core.action, out: Buffer.from(core.buf.output()).toString('hex'), fault: core.fault?.message ?? null };
});
parentPort!.postMessage(results);
