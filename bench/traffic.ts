// Capture-reader benchmark: writes a generated pcap and pcapng of N small packets (default 10 M,
// 64-byte frames, UDP over IPv4), then reads each in a fresh child process and prints wall time,
// Mpps and peak RSS of the full read, for the zero-copy cursor (bytes/offset), the `data` view, the
// iterator and copies(). Never a timed test; numbers on shared machines are noisy, compare ratios.
//   npx tsx bench/traffic.ts [PACKETS] [DIR]
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generate, parseTrafficSpec } from '../nic/traffic/generate.ts';
import { openCapture, PcapngWriter, PcapWriter } from '../nic/traffic/index.ts';

type Mode = 'cursor' | 'data' | 'iter' | 'copies';

function readMode(file: string, mode: Mode): { packets: number; seconds: number; maxRssMb: number; check: number } {
  const t0 = process.hrtime.bigint();
  const r = openCapture(file);
  let n = 0;
  let check = 0;
  if (mode === 'cursor') {
    for (let f = r.next(); f !== null; f = r.next()) {
      check = (check + f.bytes[f.offset + 13]! + f.wireLen) | 0;
      n++;
    }
  } else if (mode === 'data') {
    for (let f = r.next(); f !== null; f = r.next()) {
      check = (check + f.data[13]! + f.data.length) | 0;
      n++;
    }
  } else if (mode === 'iter') {
    for (const f of r) {
      check = (check + f.data[13]! + f.wireLen) | 0;
      n++;
    }
  } else {
    for (const f of r.copies()) {
      check = (check + f.data[13]! + Number(f.tsNs & 0xffn)) | 0;
      n++;
    }
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { packets: n, seconds, maxRssMb: process.resourceUsage().maxRSS / 1024, check };
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') {
    console.log(JSON.stringify(readMode(process.argv[3]!, process.argv[4] as Mode)));
    return;
  }
  const packets = Number(process.argv[2] ?? 10_000_000);
  const dir = process.argv[3] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'nicsim-bench-'));
  const spec = parseTrafficSpec(`packets=${packets},flows=1024,size=64,l4=udp`);
  const pcap = path.join(dir, 'bench.pcap');
  const pcapng = path.join(dir, 'bench.pcapng');
  const t0 = process.hrtime.bigint();
  const a = new PcapWriter(pcap);
  const b = new PcapngWriter(pcapng);
  for (const f of generate(spec, 1)) {
    a.write(f);
    b.write(f);
  }
  a.close();
  b.close();
  const gen = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`== traffic: ${packets} packets of 64 B; generate + write both files ${gen.toFixed(1)} s (${(packets / gen / 1e6).toFixed(2)} Mpps)`);
  console.log(`   pcap ${(fs.statSync(pcap).size / 2 ** 20).toFixed(0)} MiB, pcapng ${(fs.statSync(pcapng).size / 2 ** 20).toFixed(0)} MiB in ${dir}`);
  const self = new URL(import.meta.url).pathname;
  // The same child reading a one-packet file: the RSS of Node, tsx and the modules alone.
  const tiny = path.join(dir, 'tiny.pcap');
  const t = new PcapWriter(tiny);
  for (const f of generate(parseTrafficSpec('packets=1'), 1)) t.write(f);
  t.close();
  const base = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', self, '--child', tiny, 'cursor'], { encoding: 'utf8' })) as ReturnType<typeof readMode>;
  console.log(`   baseline (1-packet file)          peak RSS ${base.maxRssMb.toFixed(0).padStart(4)} MB`);
  for (const file of [pcap, pcapng]) {
    for (const mode of ['cursor', 'data', 'iter', 'copies'] as Mode[]) {
      const out = execFileSync(process.execPath, ['--import', 'tsx', self, '--child', file, mode], { encoding: 'utf8' });
      const r = JSON.parse(out) as ReturnType<typeof readMode>;
      if (r.packets !== packets) throw new Error(`read ${r.packets} of ${packets} packets`);
      console.log(
        `   ${path.basename(file).padEnd(13)} ${mode.padEnd(7)} ${r.seconds.toFixed(2).padStart(6)} s  ${(r.packets / r.seconds / 1e6).toFixed(2).padStart(6)} Mpps  peak RSS ${r.maxRssMb.toFixed(0).padStart(4)} MB`,
      );
    }
  }
  if (process.argv[3] === undefined) fs.rmSync(dir, { recursive: true });
}
await main();
