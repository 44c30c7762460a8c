// Runs a TypeScript module in a worker thread (through worker-boot.mjs, which registers tsx) with
// `data` as its workerData, and resolves with the first message it posts (the worker is then ended).
import { Worker } from 'node:worker_threads';

export function inWorker<T>(entry: URL, data: object): Promise<T> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./worker-boot.mjs', import.meta.url), { workerData: { entry: entry.href, ...data } });
    w.once('message', (m: T) => {
      resolve(m);
      void w.terminate();
    });
    w.once('error', reject);
  });
}
