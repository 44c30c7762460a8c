// Interpreter benchmark: nanoseconds (of CPU time) per executed instruction and per packet, on one thread.
// Run: npx tsx bench/interpreter.ts [--json]   (or npm run bench for every benchmark)
//  - alu-loop: a tight loop of 64-bit and 32-bit ALU ops and a conditional jump (pure dispatch cost)
//  - mem-loop: a loop of stack stores/loads (region-checked memory)
//  - empty: a 2-instruction XDP program (r0 = XDP_PASS; exit): the fixed cost of one packet on a core
//    (packet load, fresh state, engine entry and exit)
//  - examples: clang-built XDP programs over a bundled packet mix (helpers, maps, packet access), on
//    the engine path a NIC core uses (firmware/engine.ts), with the verifier's stack depths as
//    test-run and run load them
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assemble } from '../offload/isa/index.ts';
import { loadObjectFile } from '../offload/elf/index.ts';
import { predecode, Vm } from '../firmware/vm/interpreter.ts';
import { interpreter } from '../firmware/vm/engine.ts';
import { verifiedStackDepths } from '../nic/runtime/depths.ts';
import { coreFor, loadForRun } from '../nic/runtime/load.ts';

export interface InterpResult {
  name: string;
  nsPerInsn: number;
  nsPerPacket?: number;
  insnsPerRun: number;
}

const ROOT = new URL('../', import.meta.url).pathname;

/**
 * Runs `fn` (returning the units it did) for at least `minMs` of this process's CPU time, after two
 * warm-up calls. CPU time, not wall time: on the shared CI machines other processes take the cores
 * away, which wall time would count; a single-threaded loop's CPU time is its wall time on a quiet
 * machine.
 */
function timeIt(fn: () => number, minMs = 300): { ns: number; units: number } {
  fn(); // warm up (JIT tiers)
  fn();
  let units = 0;
  const c0 = process.cpuUsage();
  let elapsed = 0;
  while (elapsed < minMs * 1e6) {
    units += fn();
    const c = process.cpuUsage(c0);
    elapsed = (c.user + c.system) * 1000;
  }
  return { ns: elapsed, units };
}

function rawLoop(name: string, src: string): InterpResult {
  const prog = predecode(assemble(src, { syntax: 'llvm' }), name);
  const vm = new Vm();
  let insns = 0;
  const { ns, units } = timeIt(() => {
    vm.run(prog);
    insns = vm.executed;
    return vm.executed;
  });
  return { name, nsPerInsn: ns / units, insnsPerRun: insns };
}

/** The raw loops both engine benchmarks time (bench/jit.ts too): ALU work, and stack stores/loads. */
export const ALU_LOOP = `
  r1 = 0
  r2 = 1000000
  r3 = 7
loop:
  r3 += r1
  r3 ^= 0x5a5a
  w4 = w3
  w4 <<= 3
  r3 *= 3
  r1 += 1
  if r1 < r2 goto loop
  r0 = r3
  exit`;

export const memLoop = (iterations: number): string => `
  r1 = 0
  r2 = ${iterations}
loop:
  *(u64 *)(r10 - 8) = r1
  r3 = *(u64 *)(r10 - 8)
  *(u32 *)(r10 - 16) = w3
  r4 = *(u32 *)(r10 - 16)
  r1 += 1
  if r1 < r2 goto loop
  r0 = r4
  exit`;
const MEM_LOOP = memLoop(200000);

function packets(names: string[]): Uint8Array[] {
  const all = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/packets/packets.json'), 'utf8')) as { name: string; hex: string }[];
  return names.map((n) => Uint8Array.from(Buffer.from(all.find((p) => p.name === n)!.hex, 'hex')));
}

/** ns per packet and per instruction of program `id` on `core` over `pkts`. */
function perPacket(name: string, core: ReturnType<typeof coreFor>, id: number, pkts: Uint8Array[]): InterpResult {
  let insns = 0;
  let packets = 0;
  const { ns } = timeIt(() => {
    let n = 0;
    for (let rep = 0; rep < 200; rep++) {
      for (const p of pkts) {
        core.buf.reset(p);
        interpreter.run(core, id);
        n += core.executed;
        packets++;
      }
    }
    insns += n;
    return n;
  });
  // timeIt ran fn twice before timing: count only the timed part.
  const timedPackets = packets - 2 * 200 * pkts.length;
  const timedInsns = insns - (insns / packets) * 2 * 200 * pkts.length;
  return { name, nsPerInsn: ns / timedInsns, nsPerPacket: ns / timedPackets, insnsPerRun: timedInsns / timedPackets };
}

function example(object: string, program: string, packetNames: string[]): InterpResult {
  const spec = loadObjectFile(join(ROOT, object));
  const obj = loadForRun(spec, { cpus: 2, ...verifiedStackDepths(spec) });
  const core = coreFor(obj, 0);
  const id = obj.programs.find((p) => p.spec.name === program)!.id;
  return perPacket(`${object.replace('examples/', '')}:${program}`, core, id, packets(packetNames));
}

/** The fixed cost of a packet: a program that only returns XDP_PASS, registered on a core of xdp_count's device. */
function empty(packetNames: string[]): InterpResult {
  const obj = loadForRun(loadObjectFile(join(ROOT, 'examples/xdp_count.o')), { cpus: 2 });
  const core = coreFor(obj, 0);
  const id = obj.programs.length + 1;
  core.programs[id] = predecode(assemble('r0 = 2\nexit', { syntax: 'llvm' }), 'empty', undefined, 0, { id });
  return perPacket('empty (2 insns)', core, id, packets(packetNames));
}

const MIX = ['ipv4_tcp_syn', 'ipv4_udp_dns', 'ipv6_icmpv6_echo', 'vlan_ipv4_udp', 'ipv4_icmp_echo', 'ipv6_tcp_syn', 'arp_request', 'ipv4_udp_padded'];

export function runInterpreterBench(): InterpResult[] {
  return [
    rawLoop('alu-loop (raw)', ALU_LOOP),
    rawLoop('mem-loop (raw)', MEM_LOOP),
    empty(MIX),
    example('examples/xdp_count.o', 'count_protocols', MIX),
    example('examples/xdp_firewall.o', 'firewall', MIX),
    example('examples/xdp_l4lb.o', 'l4lb', MIX),
    example('examples/xdp_echo.o', 'echo_responder', MIX),
  ];
}

export function formatInterpreter(res: InterpResult[]): string[] {
  return res.map(
    (r) => `${r.name.padEnd(34)} ${r.nsPerInsn.toFixed(2).padStart(7)} ns/insn  ${r.nsPerPacket !== undefined ? `${r.nsPerPacket.toFixed(0).padStart(6)} ns/packet` : ''.padStart(16)}  ${r.insnsPerRun.toFixed(0).padStart(8)} insns/run`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const res = runInterpreterBench();
  if (process.argv.includes('--json')) console.log(JSON.stringify(res));
  else for (const l of formatInterpreter(res)) console.log(l);
}
