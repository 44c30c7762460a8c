// The hostile-input fuzz campaign (issue 13), outside `npm test`: every target of test/fuzz/targets.ts
// (ELF/BTF loader, decoder, assembler, profile loader, verifier, pcap/pcapng readers) for a share of the time, each in a
// worker thread with a heap limit (resourceLimits) and watched for a per-input time bound. Prints per
// target `N inputs, C crashes, H hangs` and the peak heap after one input; crashing, hanging and
// out-of-memory inputs are saved under the output folder with their reason.
//   npx tsx test/campaigns/fuzz.ts [--target T]... [--seconds S] [--per-input-ms MS] [--heap-mb MB] [--seed N] [--out DIR]
// Defaults: every target, 60 s in all, 20 s per input, 1024 MiB heap, seed 1, /tmp/nicsim-fuzz.
// A crash is an untyped exception (what a user would see as exit 4), a broken bound (verifier beyond
// 1,000,001 processed instructions, a log beyond its size) or a false accept (a program the verifier
// accepts faulting in the interpreter); a hang is an input over the time bound; an input that makes
// the worker exceed its heap counts as a crash (memory). Exit 1 when anything was found.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { TARGETS } from '../fuzz/targets.ts';
import type { WorkerInit, WorkerMessage } from '../fuzz/worker.ts';

const { values } = parseArgs({
  options: {
    target: { type: 'string', multiple: true },
    seconds: { type: 'string', default: '60' },
    'per-input-ms': { type: 'string', default: '20000' },
    'heap-mb': { type: 'string', default: '1024' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: '/tmp/nicsim-fuzz' },
  },
});
const targets = values.target?.length ? values.target : TARGETS.map((t) => t.name);
for (const t of targets) if (!TARGETS.some((x) => x.name === t)) throw new Error(`unknown target '${t}' (${TARGETS.map((x) => x.name).join(', ')})`);
const totalSeconds = Number(values.seconds);
const perInputMs = Number(values['per-input-ms']);
const heapMb = Number(values['heap-mb']);
const outDir = values.out!;
mkdirSync(outDir, { recursive: true });

export interface TargetReport {
  target: string;
  inputs: number;
  crashes: number;
  hangs: number;
  peakHeapMb: number;
  /** The process's resident memory (main thread and worker), highest seen after an input. */
  peakRssMb: number;
  findings: string[];
}

const INPUT_ROOM = 1 << 22;

/** Runs one worker until its time is up, it dies or an input hangs; returns what it saw. */
function runWorker(target: string, seed: number, seconds: number, report: TargetReport): Promise<'done' | 'restart'> {
  const shared = new SharedArrayBuffer(16 + INPUT_ROOM);
  const seq = new Int32Array(shared, 0, 2);
  const startMs = new Float64Array(shared, 8, 1);
  const lastInput = () => new Uint8Array(shared, 16, Atomics.load(seq, 1)).slice();
  const save = (kind: string, input: Uint8Array, message: string) => {
    const file = join(outDir, `${target}-${kind}-${seed}-${report.findings.length}.bin`);
    writeFileSync(file, input);
    writeFileSync(`${file}.txt`, message + '\n');
    report.findings.push(`${kind}: ${message.split('\n')[0]} -> ${file}`);
  };
  const init: WorkerInit = { target, seed, seconds, shared };
  const worker = new Worker(new URL('../fuzz/worker.mjs', import.meta.url), {
    workerData: init,
    resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: 64 },
  });
  return new Promise((resolve) => {
    let settled = false;
    let seenSeq = 0;
    const finish = (how: 'done' | 'restart') => {
      if (settled) return;
      settled = true;
      clearInterval(watch);
      report.inputs += Atomics.load(seq, 0);
      void worker.terminate();
      resolve(how);
    };
    const watch = setInterval(() => {
      const s = Atomics.load(seq, 0);
      if (s !== seenSeq) {
        seenSeq = s;
        return;
      }
      if (s > 0 && Date.now() - startMs[0]! > perInputMs) {
        report.hangs++;
        save('hang', lastInput(), `input ran longer than ${perInputMs} ms`);
        finish('restart');
      }
    }, 250);
    worker.on('message', (m: WorkerMessage) => {
      if (m.kind === 'violation') {
        report.crashes++;
        save(m.violation, m.input, m.message);
      } else {
        report.peakHeapMb = Math.max(report.peakHeapMb, m.peakHeap / 2 ** 20);
        report.peakRssMb = Math.max(report.peakRssMb, m.peakRss / 2 ** 20);
        if (m.peakInput && m.peakHeap / 2 ** 20 >= report.peakHeapMb) writeFileSync(join(outDir, `${target}-peak-heap.bin`), m.peakInput);
        finish('done');
      }
    });
    worker.on('error', (e: Error & { code?: string }) => {
      const oom = e.code === 'ERR_WORKER_OUT_OF_MEMORY';
      // a worker that dies before its first input is the harness's own bug
      if (!oom && Atomics.load(seq, 0) === 0) throw e;
      report.crashes++;
      save(oom ? 'memory' : 'worker', lastInput(), oom ? `the input made the worker exceed its ${heapMb} MiB heap` : `${e.message}\n${e.stack ?? ''}`);
      finish('restart');
    });
    worker.on('exit', () => finish('done'));
  });
}

const reports: TargetReport[] = [];
const share = totalSeconds / targets.length;
let seed = Number(values.seed) >>> 0;
for (const target of targets) {
  const report: TargetReport = { target, inputs: 0, crashes: 0, hangs: 0, peakHeapMb: 0, peakRssMb: 0, findings: [] };
  const end = Date.now() + share * 1000;
  // a hang or a dead worker ends that worker: start another with a new seed for the time left
  while (Date.now() < end - 500) {
    const how = await runWorker(target, seed, (end - Date.now()) / 1000, report);
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    if (how === 'done') break;
  }
  reports.push(report);
  console.log(`${target}: ${report.inputs} inputs, ${report.crashes} crashes, ${report.hangs} hangs (peak after an input: heap ${report.peakHeapMb.toFixed(0)} MiB, process RSS ${report.peakRssMb.toFixed(0)} MiB)`);
  for (const f of report.findings) console.log(`  ${f}`);
}
writeFileSync(join(outDir, 'report.json'), JSON.stringify(reports, null, 1));
process.exitCode = reports.some((r) => r.crashes || r.hangs) ? 1 : 0;
