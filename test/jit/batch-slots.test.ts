// The multi-packet batch (firmware/jit module.ts batchSlots, engine.ts runSlots) through the device's
// core runner (nic/device/engines.ts CoreRunner.runBatch) against CoreRunner.run packet by packet:
// two device images of the same object on two arenas, the same seeded sequence of different packets
// (the example's golden packets, fragmented ones included), one runner calling run per packet, the
// other runBatch over runs of packets; every per-packet result (end, r0, NIC and host instructions,
// punt pc, -E2BIG count, cycles, fault, redirect words, the packet as it left) and at the end every
// map must agree. On the interpreter and the JIT, fully offloaded and partially (punts to the host
// path), and with a small budget (packets the module cannot finish go to the interpreter).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadObjectFile } from '../../offload/elf/index.ts';
import { Arena } from '../../firmware/arena.ts';
import { S_REDIR, S_REDIR_A, S_REDIR_B } from '../../firmware/state.ts';
import { admit, buildImage, pickProgram } from '../../nic/device/image.ts';
import { CoreRunner, RunEnd } from '../../nic/device/engines.ts';
import { loadProfile } from '../../nic/profile/index.ts';
import { dumpMaps } from '../../nic/runtime/test-run.ts';
import { Rng } from './diff.ts';
import { compileJit, mapBoundsOf } from '../../firmware/jit/engine.ts';
import { withPunts } from '../../firmware/vm/interpreter.ts';
import { XdpCore } from '../../firmware/xdp/core.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

function runnerFor(example: string, profileName: string, engine: string, budget?: number) {
  const [file, name] = example.split(':');
  const spec = loadObjectFile(`${ROOT}examples/${file}.o`);
  const program = pickProgram(spec, name);
  const profile = loadProfile(`${ROOT}configs/${profileName}.yaml`);
  const { image, loaded } = buildImage(spec, program, profile, admit(spec, program, profile), { cores: 1, seed: 7, engine, ...(budget !== undefined ? { budget } : {}) });
  const arena = Arena.attach(image.arena);
  // the NIC copy of the entry program stops at the punt pcs: the JIT compiles that copy
  // (buildImage compiles the full programs, so its module never punts; see the report)
  const nicPrograms = loaded.programs.map((p) => ({ program: image.placement === 'partial' && p.id === image.entry ? withPunts(p.program, image.puntPcs) : p.program, slots: p.slots }));
  const jit = engine === 'jit' ? compileJit(nicPrograms, mapBoundsOf(new XdpCore(arena, 0, { cpu: 0 }))) : null;
  const r = new CoreRunner({
    arena, cpu: 0, cores: image.cores, readonly: image.readonly, programs: image.programs, entry: image.entry, placement: image.placement,
    puntPcs: image.puntPcs, seed: image.seed, engine, jit, cycles: image.cycles, ...(budget !== undefined ? { budget } : {}),
  });
  return { r, loaded, image };
}

function packetsOf(example: string, n: number, seed: number): Uint8Array[] {
  const cases = JSON.parse(readFileSync(`${ROOT}test/fixtures/examples/${example.split(':')[0]}.json`, 'utf8')) as { data_in: string }[];
  const all = cases.map((c) => Uint8Array.from(Buffer.from(c.data_in, 'hex')));
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => rng.pick(all));
}

/** runBatch over runs of 1..BATCH_SLOTS packets against run per packet. */
function compare(example: string, profile: string, engine: string, budget?: number): { punts: number; faults: number; batched: number } {
  const a = runnerFor(example, profile, engine, budget);
  expect(a.image.placement).not.toBe('host');
  const b = runnerFor(example, profile, engine, budget);
  const packets = packetsOf(example, 400, example.length * 131 + (budget ?? 0));
  const clocks = packets.map((_, i) => 1e9 + i * 1234.5);
  const rng = new Rng(99);
  let punts = 0;
  let faults = 0;
  let batched = 0;
  const queue = 3;
  for (let at = 0; at < packets.length; ) {
    const want = 1 + rng.int(40);
    const got = b.r.runBatch(packets.slice(at, at + want), Math.min(want, packets.length - at), queue, clocks.slice(at, at + want), true);
    expect(got).toBeGreaterThan(0);
    batched++;
    for (let i = 0; i < got; i++) {
      const p = at + i;
      const end = a.r.run(packets[p]!, queue, clocks[p]!);
      const r = a.r;
      const o = b.r.batch;
      const w = r.last.blocks.state.words;
      const exp = {
        end, nic: r.nicInsns, host: r.hostInsns, punt: r.puntPc, e2big: r.e2big, compute: r.compute, stall: r.stall, hostCycles: r.hostCycles,
        r0: end === RunEnd.exit ? r.r0 : 0, redirect: [w[S_REDIR], w[S_REDIR_A], w[S_REDIR_B]],
        fault: end === RunEnd.fault ? [r.faultReason, r.faultPc, r.faultMessage] : [0, -1, ''],
        out: end === RunEnd.exit ? Buffer.from(r.last.buf.output()).toString('hex') : '',
      };
      const gotp = {
        end: o.end[i], nic: o.nicInsns[i], host: o.hostInsns[i], punt: o.puntPc[i], e2big: o.e2big[i], compute: o.compute[i], stall: o.stall[i], hostCycles: o.hostCycles[i],
        r0: o.end[i] === RunEnd.exit ? o.r0[i] : 0, redirect: [o.redirectKind[i], o.redirectA[i], o.redirectB[i]],
        fault: [o.faultReason[i], o.faultPc[i], o.faultMessage[i]],
        out: o.end[i] === RunEnd.exit ? Buffer.from(o.outputs[i]!).toString('hex') : '',
      };
      expect(gotp, `${example} packet ${p}`).toEqual(exp);
      if (r.puntPc >= 0) punts++;
      if (end === RunEnd.fault) faults++;
    }
    at += got;
  }
  expect(JSON.stringify(dumpMaps(b.loaded))).toBe(JSON.stringify(dumpMaps(a.loaded)));
  return { punts, faults, batched };
}

describe('CoreRunner.runBatch: packet by packet what CoreRunner.run leaves', () => {
  it.each([
    ['xdp_count', 'dpu-arm'], ['xdp_l4lb', 'dpu-arm'], ['xdp_redirect:redirect_devmap', 'dpu-arm'], ['xdp_redirect:redirect_cpu', 'dpu-arm'], ['xdp_redirect:redirect_ifindex', 'dpu-arm'], ['xdp_ratelimit', 'dpu-arm'], ['xdp_adjust:tail_grow', 'dpu-arm'], ['xdp_adjust:head_pad', 'dpu-arm'],
    ['xdp_frags:frag_trim', 'dpu-arm'], ['xdp_firewall', 'dpu-arm'],
  ])('%s on %s', (example, profile) => {
    for (const engine of ['interp', 'jit']) compare(example, profile, engine);
  });

  it('xdp_echo on agilio-cx-fallback: punted packets resumed on the host path', () => {
    for (const engine of ['interp', 'jit']) expect(compare('xdp_echo', 'agilio-cx-fallback', engine).punts).toBeGreaterThan(0);
  });

  it('a budget the module cannot always pay: those packets finished by the interpreter, the others faulting', () => {
    for (const budget of [40, 90]) for (const engine of ['interp', 'jit']) compare('xdp_count', 'dpu-arm', engine, budget);
  });
});
