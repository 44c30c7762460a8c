// npm run bench: every benchmark, numbers printed. Benchmarks are never timed tests; run them on a
// quiet machine and compare ratios, not absolute numbers, on shared CI hosts.
import { formatInterpreter, runInterpreterBench } from './interpreter.ts';
import { formatJitBench, runJitBench } from './jit.ts';
import { runMapsBench } from './maps.ts';
import { formatMapsCreate, runMapsCreateBench } from './maps-create.ts';
import { formatVerifierBench, runVerifierBench } from './verifier.bench.ts';
import { formatDeviceBench, runDeviceBench } from './device.ts';
import { runValidation } from './validation.ts';
import { runStartupBench } from './startup.ts';
import { runKatranBench } from './katran.ts';

const only = process.argv[2];
async function main(): Promise<void> {
  if (!only || only === 'interpreter') {
    console.log('== interpreter (ns per executed instruction / per packet)');
    for (const l of formatInterpreter(runInterpreterBench())) console.log(`  ${l}`);
  }
  if (!only || only === 'jit') {
    console.log('== jit vs interpreter vs the kernel\'s JIT (test-run ns per packet; quick: 2 golden vectors per example; all: npx tsx bench/jit.ts)');
    for (const l of formatJitBench(await runJitBench({ quick: true }))) console.log(`  ${l}`);
  }
  if (!only || only === 'maps') {
    console.log('== maps (engine-side operations)');
    for (const r of runMapsBench()) console.log(`  ${r.name.padEnd(46)} ${r.nsPerOp.toFixed(1).padStart(8)} ns/op`);
  }
  if (!only || only === 'maps') {
    console.log('== creating 16M-entry maps (ms, resident memory before use; targets 50 ms, 16 MB)');
    for (const l of formatMapsCreate(runMapsCreateBench())) console.log(`  ${l}`);
  }
  if (!only || only === 'verifier') {
    console.log('== safety verifier (nicsim vs the kernel\'s recorded verification time; quick: one timing window each)');
    // The per-program table: npx tsx bench/verifier.bench.ts
    for (const l of formatVerifierBench(runVerifierBench({ quick: true })).slice(-2)) console.log(`  ${l}`);
  }
  if (!only || only === 'device') {
    console.log('== nicsim run: the device (npx tsx bench/device.ts [--packets N] [--stream N])');
    for (const l of formatDeviceBench(await runDeviceBench())) console.log(`  ${l}`);
  }
  if (!only || only === 'startup') {
    console.log('== start-up of the compiled CLI (median wall of fresh processes; npx tsx bench/startup.ts [--runs N])');
    for (const l of runStartupBench(5)) console.log(`  ${l}`);
  }
  if (!only || only === 'katran') {
    console.log("== katran's balancer: test-run of one packet with a VIP, target <= 1 s (npx tsx bench/katran.ts [--object PATH] [--runs N])");
    for (const l of runKatranBench({ runs: 3 })) console.log(`  ${l}`);
  }
  if (!only || only === 'model') {
    console.log('== the throughput model vs published hardware (npx tsx bench/validation.ts [--fit] [--packets N])');
    for (const l of await runValidation(1000, false)) console.log(`  ${l}`);
  }
}
await main();
