// One fuzz worker thread (started by test/campaigns/fuzz.ts with resourceLimits, so that an input
// that eats memory kills only this worker): runs fast-check over one target's arbitrary until its
// time is up. Before each input it copies the input into the shared buffer and bumps a sequence
// number, so the main thread can tell a hang (the number stops moving) and keep the input that
// caused it or an out-of-memory death. Violations are posted with the shrunk input.
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import fc from 'fast-check';
import { PropertyViolation, targetNamed } from './targets.ts';

export interface WorkerInit {
  target: string;
  seed: number;
  seconds: number;
  /** [0] sequence number, [1] input length, [2..3] start time (ms, float64 at byte 8); input at byte 16. */
  shared: SharedArrayBuffer;
}

export type WorkerMessage =
  | { kind: 'violation'; violation: string; message: string; input: Uint8Array; runs: number }
  | { kind: 'done'; runs: number; peakHeap: number; peakInput: Uint8Array | null; peakRss: number };

const init = workerData as WorkerInit;
const target = targetNamed(init.target);
const seq = new Int32Array(init.shared, 0, 2);
const startMs = new Float64Array(init.shared, 8, 1);
const room = init.shared.byteLength - 16;
const inputArea = new Uint8Array(init.shared, 16);
let runs = 0;
let peakHeap = 0;
let peakInput: Uint8Array | null = null;
let peakRss = 0;

const property = fc.asyncProperty(target.arbitrary(), async (input) => {
  const n = Math.min(input.length, room);
  inputArea.set(input.subarray(0, n));
  Atomics.store(seq, 1, n);
  startMs[0] = Date.now();
  Atomics.add(seq, 0, 1);
  runs++;
  try {
    await target.run(input);
  } catch (e) {
    if (e instanceof PropertyViolation) return false;
    throw e;
  } finally {
    const used = getHeapStatistics().used_heap_size;
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    if (used > peakHeap) {
      peakHeap = used;
      peakInput = Uint8Array.from(input);
    }
  }
  return true;
});

const deadline = Date.now() + init.seconds * 1000;
let seed = init.seed;
while (Date.now() < deadline) {
  const left = deadline - Date.now();
  const r = await fc.check(property, { seed, numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: left, markInterruptAsFailure: false, endOnFailure: false });
  if (r.failed && r.counterexample) {
    const input = r.counterexample[0] as Uint8Array;
    let violation = 'untyped';
    let message = String(r.errorInstance ?? 'property failed');
    try {
      await target.run(input);
    } catch (e) {
      if (e instanceof PropertyViolation) {
        violation = e.kind;
        message = e.message;
      }
    }
    parentPort!.postMessage({ kind: 'violation', violation, message, input, runs } satisfies WorkerMessage);
  }
  seed = (seed * 1103515245 + 12345) >>> 0;
}
parentPort!.postMessage({ kind: 'done', runs, peakHeap, peakInput, peakRss } satisfies WorkerMessage);
