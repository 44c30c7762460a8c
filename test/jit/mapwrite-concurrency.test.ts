// The JIT's compiled map writes (firmware/jit/mapwrite.ts) and the interpreter's helper table on the
// same hash maps at once: two worker threads, arena slots 0 and 1 (CPUs 0 and 1), one running the
// program compiled, the other interpreted, start together and insert private keys (BPF_NOEXIST),
// delete every other one again, and replace 8 shared keys (BPF_ANY: the spare-element swap) and
// bump an array. Afterwards the table is consistent (hashtab.ts audit: every element in one place,
// count = linked), exactly the odd private keys of both threads survive with their own values, the
// shared keys hold one whole value written by one of the threads, and every update returned 0.
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { assembleBytes } from '../../offload/isa/index.ts';
import type { ObjectSpec } from '../../offload/elf/index.ts';
import { compileJit, mapBoundsOf } from '../../firmware/jit/engine.ts';
import type { HashMap } from '../../firmware/maps/index.ts';
import { coreFor, loadForRun } from '../../nic/runtime/load.ts';
import { deviceImage } from '../../nic/runtime/image.ts';
import { mapSpec } from '../capability/helpers.ts';
import { objectOf } from './diff.ts';

// byte 0: operation (0 update of map 0, 1 delete from map 0, 3 update of the array, map 1), byte 1:
// flags, bytes 8..12 the key, 24..32 the value
const SRC = `
ldxw %r6, [%r1+0]
ldxw %r7, [%r1+4]
mov %r8, %r6
add %r8, 40
jgt %r8, %r7, short
ldxw %r2, [%r6+8]
stxw [%r10-8], %r2
ldxdw %r2, [%r6+24]
stxdw [%r10-24], %r2
ldxb %r9, [%r6+0]
ldxb %r4, [%r6+1]
lddw %r1, 0x7f0000000000
jne %r9, 3, hash
lddw %r1, 0x7f0000000001
hash:
mov %r2, %r10
add %r2, -8
jeq %r9, 1, del
mov %r3, %r10
add %r3, -24
call 2
exit
del:
call 3
exit
short:
mov %r0, 99
exit`;

const N = 3000;

function packet(op: number, flags: number, key: number, value: bigint): Uint8Array {
  const p = new Uint8Array(40);
  const v = new DataView(p.buffer);
  p[0] = op;
  p[1] = flags;
  v.setUint32(8, key, true);
  v.setBigUint64(24, value, true);
  return p;
}

function packetsOf(w: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < N; i++) {
    const k = (w << 20) | i;
    out.push(packet(0, 1, k, BigInt(k) * 0x100000001n));
    if (i % 2 === 0) out.push(packet(1, 0, k, 0n));
    const s = i % 8;
    out.push(packet(0, 0, 0x7000000 + s, (BigInt(s) << 56n) | (BigInt(w) << 48n) | BigInt(i)));
    out.push(packet(3, 0, i % 4, BigInt(i)));
  }
  return out;
}

function start(data: object): { ready: Promise<void>; done: Promise<number[]> } {
  const w = new Worker(new URL('../maps/worker-boot.mjs', import.meta.url), { workerData: { entry: new URL('./mapwrite.worker.ts', import.meta.url).href, ...data } });
  let ready!: () => void;
  const r = new Promise<void>((res) => (ready = res));
  const done = new Promise<number[]>((resolve, reject) => {
    w.on('message', (m: { ready?: boolean; r0?: number[] }) => {
      if (m.ready) ready();
      else {
        resolve(m.r0!);
        void w.terminate();
      }
    });
    w.once('error', reject);
  });
  return { ready: r, done };
}

describe('compiled and interpreted map writes on the same maps at once (2 worker threads)', () => {
  it.each(['hash', 'percpu_hash'] as const)('%s: consistent table, every key where it belongs', async (type) => {
    const maps = [mapSpec({ name: 'm', type, key: 4, value: 8, entries: N + 8 }), mapSpec({ name: 'a', type: 'array', key: 4, value: 8, entries: 4 })];
    const spec = { ...objectOf(assembleBytes(SRC, { syntax: 'ubpf' })), maps } as ObjectSpec;
    const obj = loadForRun(spec, { cpus: 2, cores: 2 });
    const code = compileJit(obj.programs, mapBoundsOf(coreFor(obj, 0)));
    expect(code.unsupported).toBeNull();
    const image = deviceImage(obj);
    const go = new SharedArrayBuffer(4);
    const program = obj.programs[0]!.id;
    const jit = start({ image, code, slot: 0, program, packets: packetsOf(0), go });
    const interp = start({ image, code: null, slot: 1, program, packets: packetsOf(1), go });
    await Promise.all([jit.ready, interp.ready]);
    Atomics.store(new Int32Array(go), 0, 1);
    Atomics.notify(new Int32Array(go), 0);
    const [a, b] = await Promise.all([jit.done, interp.done]);
    expect(a!.filter((r) => r !== 0)).toEqual([]);
    expect(b!.filter((r) => r !== 0)).toEqual([]);
    const m = obj.arena.maps[0] as HashMap;
    expect(m.count()).toBe(N + 8);
    expect(m.audit().linked).toBe(N + 8);
    const key = new Uint8Array(4);
    const kv = new DataView(key.buffer);
    const value = (k: number): bigint | null => {
      kv.setUint32(0, k, true);
      const v = m.lookupHost(key);
      if (v === null) return null;
      const bytes = Array.isArray(v) ? v[0]! : v;
      const pick = Array.isArray(v) ? v.find((x) => x.some((y) => y !== 0)) ?? bytes : bytes;
      return new DataView(pick.buffer, pick.byteOffset).getBigUint64(0, true);
    };
    for (let w = 0; w < 2; w++) {
      for (let i = 0; i < N; i++) {
        const k = (w << 20) | i;
        expect(value(k)).toBe(i % 2 === 0 ? null : BigInt(k) * 0x100000001n);
      }
    }
    for (let s = 0; s < 8; s++) {
      const v = value(0x7000000 + s)!;
      expect(v >> 56n).toBe(BigInt(s));
      expect([0n, 1n]).toContain((v >> 48n) & 0xffn);
    }
  }, 60_000);
});
