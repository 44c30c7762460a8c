// nicsim demo (`npm start`): the main job on bundled defaults. Disassembles a bundled example, runs it
// over a handful of bundled packets like BPF_PROG_TEST_RUN and prints what happened to each packet and
// to the maps.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Exit } from '../../offload/errors.ts';
import { findProgram, loadObjectFile } from '../../offload/elf/index.ts';
import { annotateProgram } from '../../offload/disasm/annotated.ts';
import { coreFor, loadForRun } from '../runtime/load.ts';
import { dumpMaps } from '../runtime/test-run.ts';
import { XDP_ACTIONS } from '../../firmware/xdp/core.ts';
import { verifyProgram } from '../../offload/verifier/index.ts';
import { checkMatrix } from '../../offload/capability/index.ts';
import { listShippedProfiles } from '../profile/index.ts';
import type { Command } from './command.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const EXAMPLE = 'examples/xdp_count.o';
const PROGRAM = 'count_protocols';
/** Examples whose offload matrix the demo prints (a parser, and VLAN programs of which one offloads). */
const MATRIX = ['examples/xdp_count.o', 'examples/xdp_vlan.o'];
const PACKETS = ['ipv4_tcp_syn', 'ipv4_udp_dns', 'ipv6_icmpv6_echo', 'vlan_ipv4_udp', 'qinq_ipv4_tcp', 'ipv6_ext_chain_icmpv6', 'arp_request', 'ipv4_tcp_trunc_l4'];

export const demoCommand: Command = {
  usage: ['demo'],
  description: `Takes ${EXAMPLE} (${PROGRAM}: a packet parser with per-protocol counters) through the whole
flow: disassembly, the safety verifier's verdict, a run on bundled packets from
test/fixtures/packets/packets.json (each packet's XDP action, then the maps), and finally the offload
matrix of ${MATRIX.join(' and ')} against every shipped hardware profile in configs/.`,
  options: {},
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const objPath = join(ROOT, EXAMPLE);
    const spec = loadObjectFile(objPath);
    const prog = findProgram(spec, PROGRAM)!;
    ctx.out(`== ${EXAMPLE}: ${spec.programs.length} program(s), ${spec.maps.length} map(s), license ${spec.license}`);
    ctx.out('');
    const lines = annotateProgram(spec, prog);
    for (const l of lines.slice(0, 24)) ctx.out(l);
    ctx.out(`   ... (${lines.length - 24} more lines: nicsim disasm ${EXAMPLE})`);
    ctx.out('');
    const v = verifyProgram(spec, prog);
    ctx.out(`== safety verifier: ${v.accepted ? 'accepted' : `REJECTED at pc ${v.error?.pc}: ${v.error?.message}`} (${v.insnsProcessed} instructions processed, like the kernel's "processed N insns")`);
    ctx.out('');
    const packets = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/packets/packets.json'), 'utf8')) as { name: string; hex: string; description?: string }[];
    const obj = loadForRun(spec, { cpus: Math.max(1, cpus().length) });
    const core = coreFor(obj, 0);
    const loaded = obj.programs.find((p) => p.spec.name === PROGRAM)!;
    ctx.out(`== running ${PROGRAM} on ${PACKETS.length} packets (BPF_PROG_TEST_RUN semantics, CPU 0)`);
    for (const name of PACKETS) {
      const p = packets.find((x) => x.name === name);
      if (!p) continue;
      const data = Uint8Array.from(Buffer.from(p.hex, 'hex'));
      const r0 = core.run(loaded.program, data);
      ctx.out(`  ${name.padEnd(24)} ${String(data.length).padStart(5)} B  -> ${XDP_ACTIONS[r0] ?? r0}  (${core.vm.executed} instructions)`);
    }
    ctx.out('');
    ctx.out('== maps after the run');
    for (const [m, entries] of Object.entries(dumpMaps(obj))) {
      const used = entries.filter((e) => (e.value ?? e.values?.join('') ?? '').replace(/0/g, '') !== '');
      ctx.out(`  ${m}: ${used.length} non-zero entr${used.length === 1 ? 'y' : 'ies'}`);
      for (const e of used.slice(0, 6)) ctx.out(`    ${e.key}: ${e.value ?? e.values!.map((v, i) => `cpu${i}=${v}`).filter((s) => /[1-9a-f]/.test(s.split('=')[1]!)).join(' ')}`);
    }
    ctx.out('');
    ctx.out('== will it offload? (nicsim check --all-profiles: verdict, NIC instructions, first blocking reason)');
    const profiles = listShippedProfiles().map((p) => p.file);
    for (const m of MATRIX) {
      ctx.out('');
      ctx.io.stdout(checkMatrix(join(ROOT, m), profiles));
    }
    return Exit.ok;
  },
};
