// `nicsim check --all-profiles` over every bundled example: every shipped profile loads and checks
// every example program; facts that hold independently of nicsim's numbers are asserted (the kernel
// accepts every example, so a profile with the kernel's rules offloads all of them; tail calls and
// non-array/hash maps never offload to the nfp); the matrix text is deterministic; and the verdict and
// first blocking finding of every cell are kept in test/fixtures/capability/matrix-verdicts.snapshot.txt
// — a regression snapshot produced by nicsim itself, not kernel truth — so that any change is a visible diff (NIC instruction counts are left out: they move with the safety
// verifier's zero-extension marks).
// Regenerate after an intended change: NICSIM_UPDATE_MATRIX=1 npx vitest run --config test/vitest.config.ts test/capability/matrix.test.ts
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listShippedProfiles } from '../../nic/profile/index.ts';
import { cli, root } from '../cli/run.ts';

interface Row {
  profile: string;
  program: string;
  verdict: string;
  nic_instructions: number;
  findings: { code: string; severity: string }[];
}

const objects = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.o')).sort();
const golden = join(root, 'test/fixtures/capability/matrix-verdicts.snapshot.txt');

async function matrixText(): Promise<string> {
  const parts: string[] = [];
  for (const o of objects) {
    const r = await cli(['check', join(root, 'examples', o), '--all-profiles']);
    expect([0, 1]).toContain(r.code);
    parts.push(`== examples/${o}\n${r.out}`);
  }
  return parts.join('\n');
}

/** `check --all-profiles --json` of every example, computed once by whichever test asks first. */
let rowsOnce: Promise<Map<string, Row[]>> | undefined;
function allRows(): Promise<Map<string, Row[]>> {
  rowsOnce ??= (async () => {
    const rows = new Map<string, Row[]>();
    for (const o of objects) {
      const r = await cli(['check', join(root, 'examples', o), '--all-profiles', '--json']);
      expect(r.err).toBe('');
      rows.set(o, JSON.parse(r.out).results as Row[]);
    }
    return rows;
  })();
  return rowsOnce;
}

describe('--all-profiles over the examples', () => {
  it('every shipped profile checks every example program, none rejected', async () => {
    const profiles = listShippedProfiles().map((s) => s.id);
    for (const [o, res] of await allRows()) {
      const programs = new Set(res.map((x) => x.program));
      expect(res).toHaveLength(programs.size * profiles.length);
      for (const x of res) {
        expect(x.verdict, `${o} ${x.program} ${x.profile}`).not.toBe('rejected');
        expect(x.nic_instructions).toBeGreaterThan(0);
      }
    }
  });

  it('the kernel-rules profiles (host-x86, dpu-arm) offload every example', async () => {
    for (const [o, res] of await allRows()) {
      for (const x of res.filter((y) => y.profile === 'host-x86' || y.profile === 'dpu-arm')) {
        expect(x.verdict, `${o} ${x.program} on ${x.profile}: ${x.findings.map((f) => f.code)}`).toBe('offload');
      }
    }
  });

  it('tail-calling programs do not offload to agilio-cx but do to host-x86', async () => {
    const res = (await allRows()).get('xdp_tailcall.o')!;
    for (const p of ['dispatcher', 'handle_ipv4']) {
      const nfp = res.find((x) => x.program === p && x.profile === 'agilio-cx')!;
      expect(nfp.verdict).not.toBe('offload');
      expect(nfp.findings.map((f) => f.code)).toContain('tail_call');
      expect(res.find((x) => x.program === p && x.profile === 'host-x86')!.verdict).toBe('offload');
    }
  });

  it('programs with maps the nfp cannot hold are host on agilio-cx', async () => {
    const rows = await allRows();
    // percpu_array, lpm_trie, lru_hash, devmap: the kernel offloads only array and hash maps
    for (const [o, program] of [['xdp_count.o', 'count_protocols'], ['xdp_firewall.o', 'firewall'], ['xdp_ratelimit.o', 'ratelimit'], ['xdp_redirect.o', 'redirect_devmap']] as const) {
      const x = rows.get(o)!.find((y) => y.program === program && y.profile === 'agilio-cx')!;
      expect(x.verdict).toBe('host');
      expect(x.findings.map((f) => f.code)).toContain('map.type');
    }
  });

  it('the matrix text is deterministic', async () => {
    expect(await matrixText()).toBe(await matrixText());
  });

  it('verdicts and first blocking findings (test/fixtures/capability/matrix-verdicts.snapshot.txt)', async () => {
    const lines: string[] = [];
    for (const [o, res] of await allRows()) {
      for (const x of res) {
        const first = x.findings.find((f) => f.severity === 'program') ?? x.findings.find((f) => f.severity === 'instruction');
        lines.push(`${o} ${x.program} ${x.profile} ${x.verdict}${x.verdict !== 'offload' && first ? ` ${first.code}` : ''}`);
      }
    }
    const text = lines.join('\n') + '\n';
    if (process.env.NICSIM_UPDATE_MATRIX) writeFileSync(golden, text);
    expect(text).toBe(readFileSync(golden, 'utf8'));
  });
});
