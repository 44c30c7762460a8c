// Start-up of the compiled CLI, each run a fresh process: median wall time of `nicsim --help` (issue 12
// target: <= 150 ms), `nicsim verify` and `nicsim test-run` of a small example, against `node -e 0`
// (Node's own start, the floor) and `bpftool version` (a native tool's start) as references.
// Usage: npx tsx bench/startup.ts [--runs N]
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromSourceNote, medianRuns, ms, NICSIM } from './cli-runs.ts';

const HELP_TARGET_MS = 150;

function which(tool: string): string | undefined {
  for (const d of (process.env.PATH ?? '').split(':')) if (d && existsSync(join(d, tool))) return join(d, tool);
  for (const d of ['/usr/sbin', '/sbin']) if (existsSync(join(d, tool))) return join(d, tool);
  return undefined;
}

export function runStartupBench(runs = 9): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'nicsim-startup-'));
  try {
    const frame = join(dir, 'frame.bin');
    // Ethernet + IPv4 + UDP, 64 bytes: xdp_count parses it and counts one UDP packet
    const f = Buffer.alloc(64);
    Buffer.from('02000000000202000000000108004500003200004000401100000a0000010a000002', 'hex').copy(f);
    writeFileSync(frame, f);
    const rows: { name: string; cmd: string; args: string[]; env?: NodeJS.ProcessEnv }[] = [
      { name: 'node -e 0', cmd: process.execPath, args: ['-e', '0'] },
      { name: 'nicsim --help', cmd: process.execPath, args: [NICSIM, '--help'] },
      { name: 'nicsim verify examples/xdp_count.o', cmd: process.execPath, args: [NICSIM, 'verify', 'examples/xdp_count.o'] },
      { name: 'nicsim test-run examples/xdp_count.o (1 packet, --json)', cmd: process.execPath, args: [NICSIM, 'test-run', 'examples/xdp_count.o', '--program', 'count_protocols', '--data-in', frame, '--json', '--timing'] },
    ];
    const bpftool = which('bpftool');
    if (bpftool) rows.push({ name: 'bpftool version', cmd: bpftool, args: ['version'] });
    const out: string[] = [];
    let node = 0;
    let note: string | undefined;
    for (const r of rows) {
      const m = medianRuns(runs, r.cmd, r.args, r.env);
      const bad = m.runs.find((x) => x.status !== 0);
      if (bad) {
        out.push(`${r.name}: exit ${bad.status}: ${bad.stderr.trim().split('\n').at(-1)}`);
        continue;
      }
      if (r.name === 'node -e 0') node = m.wallMs;
      note ??= fromSourceNote(m.runs[0]!);
      const vsNode = !node || r.name === 'node -e 0' ? '' : r.cmd === process.execPath ? ` (node -e 0 ${m.wallMs >= node ? '+' : '-'} ${ms(Math.abs(m.wallMs - node))}, x${(m.wallMs / node).toFixed(2)})` : ` (${(node / m.wallMs).toFixed(0)}x less than node -e 0)`;
      const target = r.name === 'nicsim --help' ? `; ${m.wallMs <= HELP_TARGET_MS ? 'meets' : 'MISSES'} the ${HELP_TARGET_MS} ms target` : '';
      out.push(`${r.name.padEnd(58)} ${ms(m.wallMs).padStart(10)}${vsNode}${target}`);
      if (m.phases.length) {
        const keep = m.phases.filter((p) => p.name !== 'total' && p.ms >= 1);
        out.push(`  split (medians): ${keep.map((p) => `${p.name} ${p.ms.toFixed(1)}`).join(', ')}`);
      }
    }
    if (note) out.push(note);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--runs');
  const runs = i > 0 ? Number(process.argv[i + 1]) : 9;
  console.log(`start-up, median of ${runs} fresh processes (load average ${loadavg()[0]!.toFixed(1)})`);
  for (const l of runStartupBench(runs)) console.log(`  ${l}`);
}
