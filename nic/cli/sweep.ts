// nicsim sweep: modeled throughput versus core count and profile. Each (profile, cores) point is one
// `nicsim run` of the same traffic (the capture read again, or the generator with the same seed); each
// run spreads its modeled cores over the local core pool.
import { Exit, UsageError } from '../../offload/errors.ts';
import { loadObjectFile } from '../../offload/elf/index.ts';
import { loadProfile, ProfileError } from '../profile/index.ts';
import { Nic } from '../device/nic.ts';
import { generatedTraffic, readCapture, type Packet } from '../device/io.ts';
import { reportRun, writeReport } from '../model/run-report.ts';
import type { ReportRun, SweepRow } from '../model/report.ts';
import { type Command, flag, str, strs } from './command.ts';
import { intOption, U32_MAX } from './numbers.ts';
import { writeOutputFile } from './output.ts';

const list = (v: string | undefined, what: string): string[] => {
  const items = (v ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  if (!items.length) throw new UsageError(`sweep: --${what} needs a comma-separated list`);
  return items;
};

export const sweepCommand: Command = {
  usage: ['sweep OBJECT [--program NAME] --profiles A,B,... --cores 1,2,4,... (--pcap FILE | --traffic SPEC) [--packets N] [--seed N] [--map-update MAP:KEY:VALUE]... [--csv FILE] [--report FILE.html] [--json]'],
  description: `Runs the program on the virtual NIC for every profile and core count over the same traffic and
prints the modeled throughput of each point (Mpps, Gbit/s, bottleneck). --csv writes the table,
--report an HTML page with throughput versus cores per profile and every run's charts.`,
  options: {
    program: { type: 'string', short: 'p', arg: 'NAME', help: 'program to run (default: the only XDP program)' },
    profiles: { type: 'string', arg: 'A,B,...', help: 'hardware profiles (YAML files)' },
    cores: { type: 'string', arg: 'N,M,...', help: 'modeled core counts' },
    pcap: { type: 'string', arg: 'FILE', help: 'input packets (pcap or pcapng)' },
    traffic: { type: 'string', arg: 'SPEC', help: 'generated traffic (README "Traffic"), seeded by --seed' },
    packets: { type: 'string', arg: 'N', help: 'stop after N packets' },
    seed: { type: 'string', arg: 'N', help: 'seed (default 1)' },
    'map-update': { type: 'string', multiple: true, arg: 'MAP:KEY:VALUE', help: 'write a map entry before each run' },
    csv: { type: 'string', arg: 'FILE', help: 'write the table as CSV' },
    report: { type: 'string', arg: 'FILE.html', help: 'write a self-contained HTML report' },
    json: { type: 'boolean', help: 'print one JSON object on stdout' },
  },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const file = ctx.positionals[0]!;
    const profiles = list(str(ctx, 'profiles'), 'profiles');
    const cores = list(str(ctx, 'cores'), 'cores').map((c) => intOption('cores', c, { min: 1, max: 1024 })!);
    const pcap = str(ctx, 'pcap');
    const traffic = str(ctx, 'traffic');
    if ((pcap === undefined) === (traffic === undefined)) throw new UsageError('sweep: give exactly one of --pcap FILE or --traffic SPEC');
    const seed = intOption('seed', str(ctx, 'seed'), { min: 0, max: U32_MAX }) ?? 1;
    const packets = intOption('packets', str(ctx, 'packets'), { min: 1, max: U32_MAX });
    const spec = loadObjectFile(file);
    const rows: SweepRow[] = [];
    const runs: ReportRun[] = [];
    for (const path of profiles) {
      let profile;
      try {
        profile = loadProfile(path);
      } catch (e) {
        if (e instanceof ProfileError) {
          for (const line of e.format().split('\n')) ctx.err(`nicsim sweep: ${line}`);
          return Exit.badInput;
        }
        throw e;
      }
      for (const c of cores) {
        const nic = Nic.open(spec, profile, {
          ...(str(ctx, 'program') !== undefined ? { program: str(ctx, 'program')! } : {}),
          cores: c,
          seed,
          mapUpdates: strs(ctx, 'map-update'),
        });
        const source: Iterable<Packet> = pcap !== undefined ? readCapture(pcap) : generatedTraffic(traffic!, seed).source;
        const r = await nic.run(source, packets !== undefined ? { packets } : {});
        const m = r.model;
        rows.push({ profile: profile.name, cores: c, mpps: m.mpps, gbps: m.gbps, bottleneck: m.bottleneck });
        runs.push(reportRun(r));
        if (!flag(ctx, 'json')) ctx.err(`nicsim sweep: ${profile.name} on ${c} core${c === 1 ? '' : 's'}: ${m.mpps.toFixed(3)} Mpps (${m.bottleneck})`);
      }
    }
    const csv = str(ctx, 'csv');
    if (csv !== undefined) {
      const text = ['profile,cores,mpps,gbps,bottleneck', ...rows.map((r) => `${r.profile},${r.cores},${r.mpps},${r.gbps},${r.bottleneck}`)].join('\n') + '\n';
      writeOutputFile(csv, text, '--csv');
    }
    const report = str(ctx, 'report');
    if (report !== undefined) writeReport(report, { runs, sweep: rows });
    if (flag(ctx, 'json')) ctx.out(JSON.stringify({ object: spec.file, points: rows }));
    else {
      const w = Math.max(7, ...rows.map((r) => r.profile.length));
      ctx.out(`${'profile'.padEnd(w)}  cores       Mpps     Gbit/s  bottleneck`);
      for (const r of rows) ctx.out(`${r.profile.padEnd(w)}  ${String(r.cores).padStart(5)}  ${r.mpps.toFixed(3).padStart(9)}  ${r.gbps.toFixed(3).padStart(9)}  ${r.bottleneck}`);
    }
    return Exit.ok;
  },
};
