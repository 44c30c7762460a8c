// Worker side of test/jit/mapwrite-concurrency.test.ts: one core on arena slot `slot` (CPU `slot`)
// of the posted device image, running `packets` with the JIT (when `code` is given) or the
// interpreter, all at once with the other worker (both wait on the `go` flag); posts each run's r0.
import { parentPort, workerData } from 'node:worker_threads';
import { EXIT } from '../../firmware/engine.ts';
import { type JitCode, jitEngine } from '../../firmware/jit/engine.ts';
import { interpreter } from '../../firmware/vm/engine.ts';
import { attachImage, coreFromImage, type DeviceImage } from '../../nic/runtime/image.ts';

const { image, code, slot, program, packets, go } = workerData as { image: DeviceImage; code: JitCode | null; slot: number; program: number; packets: Uint8Array[]; go: SharedArrayBuffer };
const arena = attachImage(image);
const core = coreFromImage(image, arena, slot, { role: 'device', cpu: slot });
const engine = code ? jitEngine(code) : interpreter;
parentPort!.postMessage({ ready: true });
Atomics.wait(new Int32Array(go), 0, 0);
const r0: number[] = [];
for (const p of packets) {
  core.buf.reset(p);
  const k = engine.run(core, program);
  r0.push(k === EXIT.exit ? core.blocks.state.lo[0]! : 1000 + k);
}
parentPort!.postMessage({ r0 });
