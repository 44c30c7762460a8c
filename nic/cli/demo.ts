// nicsim demo (`npm start`): the whole flow on bundled defaults. A bundled example goes through the
// safety verifier (nicsim verify), the capability verifier for a bundled profile (nicsim check) and a
// run on the virtual NIC (nicsim run) over bundled traffic; then the offload matrix of two more
// examples against every shipped profile.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Exit } from '../../offload/errors.ts';
import { findProgram, loadObjectFile } from '../../offload/elf/index.ts';
import { annotateProgram } from '../../offload/disasm/annotated.ts';
import { verifyProgram } from '../../offload/verifier/index.ts';
import { checkMatrix, formatResult } from '../../offload/capability/index.ts';
import { listShippedProfiles, loadProfile } from '../profile/index.ts';
import type { Packet } from '../device/io.ts';
import { Nic } from '../device/nic.ts';
import { formatRun } from '../device/summary.ts';
import type { Command } from './command.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const EXAMPLE = 'examples/xdp_fallback.o';
const PROGRAM = 'fallback';
const PROFILE = 'configs/agilio-cx-fallback.yaml';
/** cfg[0], the divisor of the UDP destination port (see examples/xdp_fallback.c). */
const MAP_UPDATES = ['cfg:00000000:07000000'];
const PACKETS = 20_000;
const CORES = 4;
/** Examples whose offload matrix the demo prints (a parser, and VLAN programs of which one offloads). */
const MATRIX = ['examples/xdp_count.o', 'examples/xdp_vlan.o'];

/** The bundled packet corpus (test/fixtures/packets/packets.json) over and over, 1 µs apart. */
function* bundledTraffic(n: number): Generator<Packet> {
  const frames = (JSON.parse(readFileSync(join(ROOT, 'test/fixtures/packets/packets.json'), 'utf8')) as { hex: string }[])
    .map((p) => Uint8Array.from(Buffer.from(p.hex, 'hex')))
    .filter((f) => f.length >= 14);
  for (let i = 0; i < n; i++) {
    const data = frames[i % frames.length]!;
    yield { tsNs: 1_700_000_000_000_000_000n + BigInt(i) * 1000n, data, wireLen: data.length, index: i };
  }
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'the bundled demo (npm start): verify, check and run an example on the virtual NIC',
  usage: ['demo'],
  description: `Takes ${EXAMPLE} (${PROGRAM}: counters before and after a BPF_MOD the nfp cannot run) through the
whole flow: its disassembly, the safety verifier's verdict, the capability verdict on ${PROFILE} (partial:
UDP packets are punted to the host at the MOD), then nicsim run on ${CORES} modeled cores over ${PACKETS} packets of the
bundled corpus (test/fixtures/packets/packets.json), and finally the offload matrix of ${MATRIX.join(' and ')}
against every shipped hardware profile in configs/.`,
  options: {},
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const objPath = join(ROOT, EXAMPLE);
    const spec = loadObjectFile(objPath);
    const prog = findProgram(spec, PROGRAM)!;
    ctx.out(`== ${EXAMPLE}: ${spec.programs.length} program(s), ${spec.maps.length} map(s), license ${spec.license}`);
    ctx.out('');
    const lines = annotateProgram(spec, prog);
    for (const l of lines.slice(0, 16)) ctx.out(l);
    ctx.out(`   ... (${lines.length - 16} more lines: nicsim disasm ${EXAMPLE})`);
    ctx.out('');
    const profile = loadProfile(join(ROOT, PROFILE));
    const v = verifyProgram(spec, prog, { offloaded: profile.kind === 'offload' });
    ctx.out(`== nicsim verify: ${v.accepted ? 'accepted' : `REJECTED at pc ${v.error?.pc}: ${v.error?.message}`} (${v.insnsProcessed} instructions processed, like the kernel's "processed N insns")`);
    ctx.out('');
    const nic = Nic.open(spec, profile, { program: PROGRAM, cores: CORES, mapUpdates: MAP_UPDATES });
    ctx.out(`== nicsim check --profile ${PROFILE}`);
    for (const l of formatResult(nic.check)) ctx.out(l);
    ctx.out('');
    ctx.out(`== nicsim run --profile ${PROFILE} --cores ${CORES} --map-update ${MAP_UPDATES.join(' ')} (${PACKETS} bundled packets)`);
    const r = await nic.run(bundledTraffic(PACKETS));
    for (const l of formatRun(r)) ctx.out(l);
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
