// Worker side of test/engine/worker.test.ts: builds a NIC core from the device image alone (arena
// descriptor + predecoded programs), runs one packet on arena slot `slot` and reports how it ended.
// A punted packet stays in the arena for the main thread's host-path core to resume.
import { parentPort, workerData } from 'node:worker_threads';
import { interpreter } from '../../firmware/vm/engine.ts';
import { attachImage, coreFromImage, type DeviceImage } from '../../nic/runtime/image.ts';

const { image, slot, program, packet, cpu } = workerData as { image: DeviceImage; slot: number; program: number; packet: Uint8Array; cpu: number };
const arena = attachImage(image);
const core = coreFromImage(image, arena, slot, { role: 'device', cpu });
core.buf.reset(packet);
const kind = interpreter.run(core, program);
parentPort!.postMessage({ kind, action: core.action, executed: core.executed, fault: core.fault?.message ?? null });
