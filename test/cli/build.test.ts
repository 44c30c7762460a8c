// The compiled CLI (nic/build.mjs, what `npm install` builds into dist/) behaves as the TypeScript
// sources do: same help, same verdicts, shipped profiles found through the rewritten import.meta.url,
// the conformance plugin protocol. Builds into a temporary folder of its own.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, root } from './run.ts';

let out = '';

function compiled(args: string[], input = '') {
  const runner = `const { main } = await import(${JSON.stringify(join(out, 'nicsim.js'))}); process.exitCode = await main(${JSON.stringify(args)});`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', runner], { input, encoding: 'utf8', cwd: root });
}

describe('the compiled CLI', () => {
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'nicsim-build-'));
    const b = spawnSync(process.execPath, [join(root, 'nic/build.mjs'), '--outdir', out], { encoding: 'utf8' });
    expect(b.status, b.stderr).toBe(0);
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('builds every entry point of nic/entries.json and lists its sources', () => {
    const entries = JSON.parse(readFileSync(join(root, 'nic/entries.json'), 'utf8')) as Record<string, string>;
    for (const name of Object.keys(entries)) expect(existsSync(join(out, `${name}.js`)), name).toBe(true);
    const build = JSON.parse(readFileSync(join(out, 'build.json'), 'utf8')) as { inputs: string[] };
    expect(build.inputs).toContain('nic/cli/main.ts');
    expect(build.inputs.every((p) => existsSync(join(root, p)))).toBe(true);
  });

  it('prints the same help as the sources', async () => {
    for (const args of [['--help'], ['verify', '--help'], ['conformance-plugin', '--help']]) {
      const c = compiled(args);
      const s = await cli(args);
      expect(c.status, args.join(' ')).toBe(s.code);
      expect(c.stdout, args.join(' ')).toBe(s.out);
    }
  });

  it('gives the same verdicts, with the shipped profiles found relative to the sources', async () => {
    for (const args of [['verify', 'examples/xdp_count.o', '--json'], ['check', 'examples/xdp_count.o', '--all-profiles', '--json']]) {
      const c = compiled(args);
      const s = await cli(args);
      expect(c.status, `${args.join(' ')}: ${c.stderr}`).toBe(s.code);
      expect(JSON.parse(c.stdout), args.join(' ')).toEqual(JSON.parse(s.out));
    }
  });

  it('answers the conformance plugin protocol', () => {
    const c = compiled(['conformance-plugin', '01  02  '], '7110010000000000' + '9500000000000000\n');
    expect(c.status, c.stderr).toBe(0);
    expect(c.stdout.trim()).toBe('2');
  });
});
