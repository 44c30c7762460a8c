// The map-writing and redirect helpers the JIT compiles into its module (firmware/jit/mapwrite.ts:
// bpf_map_update_elem / bpf_map_delete_elem on arrays and hash maps, bpf_redirect_map,
// bpf_redirect, bpf_ktime_get_ns) against the interpreter's helper table: the same program runs a
// seeded sequence of packets on both engines (two fresh loads, 2 CPUs, the core on CPU 1); after
// every packet exit kind, r0, fault, redirect target and S_E2BIG agree, and at the end every byte of
// the arena outside the state blocks does (values, chains, free lists, spare slots, counts and the
// lock words, which move by 2 per critical section).
import { describe, expect, it } from 'vitest';
import { assembleBytes } from '../../offload/isa/index.ts';
import type { ObjectSpec } from '../../offload/elf/index.ts';
import { EXIT } from '../../firmware/engine.ts';
import { CORE_STATE } from '../../firmware/arena.ts';
import { compileJit, jitEngine, mapBoundsOf } from '../../firmware/jit/engine.ts';
import { S_E2BIG, STATE_BYTES } from '../../firmware/state.ts';
import { interpreter } from '../../firmware/vm/engine.ts';
import { MapFlag } from '../../firmware/maps/constants.ts';
import { coreFor, loadForRun } from '../../nic/runtime/load.ts';
import { mapSpec } from '../capability/helpers.ts';
import { objectOf, Rng } from './diff.ts';

type Setup = (obj: ReturnType<typeof loadForRun>) => void;

/** Runs `src` on each packet on both engines (map 0.. as given, `setup` filling them from the host). */
function sequence(src: string, packets: readonly Uint8Array[], maps: object[], setup: Setup = () => {}, clocks?: readonly number[]): { exits: number; faults: number; tableCalls: number } {
  const spec = { ...objectOf(assembleBytes(src, { syntax: 'ubpf' })), maps } as ObjectSpec;
  const objI = loadForRun(spec, { cpus: 2 });
  const objJ = loadForRun(spec, { cpus: 2 });
  setup(objI);
  setup(objJ);
  const coreI = coreFor(objI, 1);
  const coreJ = coreFor(objJ, 1);
  const jit = jitEngine(compileJit(objJ.programs, mapBoundsOf(coreJ)));
  expect(jit.code.unsupported).toBeNull();
  const id = objI.programs[0]!.id;
  // The helper table reads a map argument through mapIndex and the clock through nowNs: calls of
  // those on the JIT's core are helper calls the module did not do itself.
  let tableCalls = 0;
  const mapIndex = coreJ.mapIndex.bind(coreJ);
  const nowNs = coreJ.nowNs.bind(coreJ);
  coreJ.mapIndex = (...a) => (tableCalls++, mapIndex(...a));
  coreJ.nowNs = (b) => (tableCalls++, nowNs(b));
  let exits = 0;
  let faults = 0;
  packets.forEach((p, n) => {
    coreI.buf.reset(p);
    coreJ.buf.reset(p);
    if (clocks) coreI.clockNs = coreJ.clockNs = clocks[n]!;
    coreI.blocks.state.words[S_E2BIG] = coreJ.blocks.state.words[S_E2BIG] = 0;
    const ki = interpreter.run(coreI, id);
    const kj = jit.run(coreJ, id);
    expect(kj, `packet ${n}`).toBe(ki);
    if (ki === EXIT.fault) {
      faults++;
      expect(`${coreJ.fault!.faultCode}@${coreJ.fault!.pc}: ${coreJ.fault!.message}`).toBe(`${coreI.fault!.faultCode}@${coreI.fault!.pc}: ${coreI.fault!.message}`);
    } else {
      exits++;
      const r0 = (c: typeof coreI) => `${c.blocks.state.hi[0]! >>> 0}:${c.blocks.state.lo[0]! >>> 0}`;
      expect(r0(coreJ), `packet ${n}`).toBe(r0(coreI));
      expect(coreJ.redirect, `packet ${n}`).toEqual(coreI.redirect);
    }
    // The JIT's updates count -E2BIG themselves (the device's map_full_errors); the interpreter's are
    // counted by the device's cores, so here: the JIT counts one exactly when r0 is -E2BIG.
    const e2big = kj === EXIT.exit && coreJ.blocks.state.lo[0] === -7 && coreJ.blocks.state.hi[0] === -1 ? 1 : 0;
    if (src.includes('call 2')) expect(coreJ.blocks.state.words[S_E2BIG], `packet ${n}`).toBe(e2big);
  });
  const a = new Uint8Array(objI.arena.sab);
  const b = new Uint8Array(objJ.arena.sab);
  // every byte outside the core's state block (arena slot 0, CPU 1)
  const s = coreI.blocks.base + CORE_STATE;
  expect(Buffer.compare(a.subarray(0, s), b.subarray(0, s))).toBe(0);
  expect(Buffer.compare(a.subarray(s + STATE_BYTES), b.subarray(s + STATE_BYTES))).toBe(0);
  return { exits, faults, tableCalls };
}

/**
 * A program driven by the packet: byte 0 = operation (0 update, 1 delete, 2 lookup: r0 = the
 * value's first 8 bytes), byte 1 = flags, bytes 8..24 the key, 24..40 the value (both copied to the
 * stack); a packet shorter than 40 bytes: r0 = 99.
 */
const DRIVER = `
ldxw %r6, [%r1+0]
ldxw %r7, [%r1+4]
mov %r8, %r6
add %r8, 40
jgt %r8, %r7, short
ldxdw %r2, [%r6+8]
stxdw [%r10-48], %r2
ldxdw %r2, [%r6+16]
stxdw [%r10-40], %r2
ldxdw %r2, [%r6+24]
stxdw [%r10-24], %r2
ldxdw %r2, [%r6+32]
stxdw [%r10-16], %r2
ldxb %r9, [%r6+0]
ldxb %r4, [%r6+1]
lddw %r1, 0x7f0000000000
mov %r2, %r10
add %r2, -48
jeq %r9, 1, del
jeq %r9, 2, look
mov %r3, %r10
add %r3, -24
call 2
exit
del:
call 3
exit
look:
call 1
jeq %r0, 0, none
ldxdw %r0, [%r0+0]
none:
exit
short:
mov %r0, 99
exit`;

/** `n` seeded packets of DRIVER: keys from a small set (replacements, deletes of present keys, a full map). */
function driverPackets(seed: number, n: number, keys: number, flagsOf: (r: Rng) => number): Uint8Array[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const p = new Uint8Array(48);
    p[0] = rng.pick([0, 0, 0, 1, 2]);
    p[1] = flagsOf(rng);
    const k = rng.int(keys);
    for (let i = 8; i < 24; i++) p[i] = (k * 31 + i) & 0xff;
    p[8] = k;
    for (let i = 24; i < 40; i++) p[i] = rng.u32() & 0xff;
    return p;
  });
}

const anyFlags = (r: Rng) => r.pick([0, 0, 1, 2, 3, 4, 8]);

describe('map writes and redirects compiled into the module', () => {
  it.each([
    ['hash', 4, 8, 4], ['hash', 6, 12, 5], ['hash', 16, 16, 3], ['hash', 1, 1, 2],
    ['percpu_hash', 4, 8, 4], ['percpu_hash', 6, 12, 5], ['percpu_hash', 16, 16, 3],
    ['array', 4, 8, 4], ['percpu_array', 4, 12, 4],
  ] as const)('%s key %i value %i, %i entries: updates, deletes, lookups in a seeded sequence', (type, key, value, entries) => {
    const maps = [mapSpec({ name: 'm', type, key, value, entries })];
    const { exits, tableCalls } = sequence(DRIVER, driverPackets(key * 1000 + value, 300, entries + 3, anyFlags), maps);
    expect(exits).toBe(300);
    expect(tableCalls).toBe(0);
  });

  it('hash with BPF_F_ZERO_SEED and a key past the stack frame (the table resolves and faults)', () => {
    const maps = [mapSpec({ name: 'm', type: 'hash', key: 8, value: 8, entries: 8, flags: MapFlag.ZERO_SEED })];
    sequence(DRIVER, driverPackets(7, 100, 12, anyFlags), maps);
    const bad = DRIVER.replace('mov %r2, %r10\nadd %r2, -48', 'mov %r2, %r10\nadd %r2, -4');
    const { faults } = sequence(bad, driverPackets(8, 20, 4, () => 0), maps);
    expect(faults).toBeGreaterThan(0);
  });

  it('key and value in the packet or in a map value, value overlapping the element', () => {
    // key in the packet (bytes 8..), value = the looked-up element's own value when present
    const src = DRIVER.replace('mov %r2, %r10\nadd %r2, -48', 'mov %r2, %r6\nadd %r2, 8').replace('mov %r3, %r10\nadd %r3, -24\ncall 2', 'mov %r3, %r6\nadd %r3, 24\ncall 2');
    for (const type of ['hash', 'percpu_hash'] as const) sequence(src, driverPackets(9, 120, 6, anyFlags), [mapSpec({ name: 'm', type, key: 4, value: 8, entries: 4 })]);
  });

  it('LRU maps go through the table (same results)', () => {
    for (const type of ['lru_hash', 'lru_percpu_hash'] as const) {
      const { tableCalls } = sequence(DRIVER, driverPackets(11, 150, 9, anyFlags), [mapSpec({ name: 'm', type, key: 4, value: 8, entries: 4 })]);
      expect(tableCalls).toBeGreaterThan(0);
    }
  });

  // bpf_redirect_map(map 0, key = packet byte 2, flags = packet byte 1 | byte 3 << 32)
  const REDIR = `
ldxw %r6, [%r1+0]
ldxw %r7, [%r1+4]
mov %r8, %r6
add %r8, 8
jgt %r8, %r7, short
ldxb %r2, [%r6+2]
ldxb %r3, [%r6+1]
ldxb %r4, [%r6+3]
lsh %r4, 32
or %r3, %r4
lddw %r1, 0x7f0000000000
call 51
exit
short:
mov %r0, 99
exit`;
  const redirPackets = (seed: number) => {
    const rng = new Rng(seed);
    return Array.from({ length: 200 }, () => {
      const p = new Uint8Array(16);
      p[1] = rng.pick([0, 1, 2, 3, 8, 9, 16, 17, 24, 4, 32]);
      p[2] = rng.int(12);
      p[3] = rng.int(8) === 0 ? 1 : 0;
      return p;
    });
  };
  const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
  it.each([
    ['devmap', 8], ['devmap', 4], ['devmap_hash', 8], ['cpumap', 4], ['xskmap', 4],
  ] as const)('bpf_redirect_map on a %s (value %i)', (type, value) => {
    const maps = [mapSpec({ name: 'm', type, key: 4, value, entries: 8 })];
    const setup: Setup = (obj) => {
      const m = obj.arena.maps[0]!;
      for (const k of type === 'cpumap' ? [1] : [0, 3, 5, 7]) {
        const v = new Uint8Array(value);
        v.set(u32(type === 'cpumap' ? 192 : type === 'xskmap' ? 0 : 10 + k));
        const rc = type === 'xskmap' ? 0 : m.updateHost(u32(type === 'devmap_hash' ? k * 3 : k), v);
        expect(rc).toBe(0);
      }
    };
    const { exits, tableCalls } = sequence(REDIR, redirPackets(value * 7 + type.length), maps, setup);
    expect(exits).toBe(200);
    expect(tableCalls).toBe(0);
  });

  it('bpf_redirect_map on a map that is no redirect target faults as the table does; bpf_redirect', () => {
    sequence(REDIR, redirPackets(3).slice(0, 20), [mapSpec({ name: 'm', type: 'array', key: 4, value: 4, entries: 8 })]);
    // bpf_redirect(ifindex = packet word 0, flags = packet byte 4)
    const src = `ldxw %r6, [%r1+0]\nldxw %r7, [%r1+4]\nmov %r8, %r6\nadd %r8, 8\njgt %r8, %r7, +5\nldxw %r1, [%r6+0]\nldxb %r2, [%r6+4]\ncall 23\nexit\nmov %r0, 99\nexit`;
    const rng = new Rng(5);
    const packets = Array.from({ length: 40 }, () => Uint8Array.from({ length: 12 }, (_, i) => (i === 4 ? rng.int(3) : rng.u32() & 0xff)));
    expect(sequence(src, packets, []).tableCalls).toBe(0);
  });

  it('bpf_ktime_get_ns (and the coarse / TAI clocks): the core clock, fractional, huge, negative', () => {
    const src = 'call 5\nmov %r6, %r0\ncall 160\nadd %r6, %r0\ncall 208\nadd %r0, %r6\nexit';
    const clocks = [0, 1, 1e9, 1e9 + 0.75, 2 ** 32 + 5, 2 ** 53 - 1, 2 ** 53, 2 ** 60 + 4096, -0, -1.5, 1.5e18, 123456789.999];
    const packets = clocks.map(() => new Uint8Array(20));
    // the table reads the clock only for -0 and -1.5 (three calls each); 2^53 and above fit no exact integer path either
    const { tableCalls } = sequence(src, packets, [], () => {}, clocks);
    expect(tableCalls).toBe(3 * clocks.filter((t) => !(t >= 0 && t < 2 ** 53) || Object.is(t, -0)).length);
  });
});
