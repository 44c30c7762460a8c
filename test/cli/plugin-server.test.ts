// `nicsim conformance-plugin --serve PORT` with test/kernel/conformance-plugin-client.sh as the runner's
// plugin: every answer (exit code, stdout, stderr) is the one the one-process-per-test plugin gives, for
// the kernel-recorded conformance cases (raw bytes with memory, and the runner's ELF objects), bad
// program bytes and bad options. Needs bash (its /dev/tcp); skipped without it.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, root } from './run.ts';

const dir = join(root, 'test/fixtures/conformance');
const client = join(root, 'test/kernel/conformance-plugin-client.sh');
const hasBash = existsSync('/bin/bash');
let server: ChildProcess | undefined;
let port = '';

beforeAll(async () => {
  if (!hasBash) return;
  server = spawn(process.execPath, [join(root, 'nic/nicsim.mjs'), 'conformance-plugin', '--serve', '0'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NICSIM_FROM_SOURCE: '1' },
  });
  port = await new Promise<string>((resolve, reject) => {
    let out = '';
    server!.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    server!.once('exit', (c) => reject(new Error(`server exited with ${c}`)));
  });
}, 60_000);
afterAll(() => {
  server?.kill();
});

const viaClient = (args: string[], stdin: string) => {
  const r = spawnSync(client, args, { input: stdin, encoding: 'utf8', env: { ...process.env, NICSIM_PLUGIN_PORT: port } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe.skipIf(!hasBash)('conformance-plugin --serve', () => {
  it('answers as the plugin process does, test for test', async () => {
    const kernel = JSON.parse(readFileSync(join(dir, 'kernel.json'), 'utf8')) as Record<string, { bytes: string }>;
    const memOf = (file: string) =>
      /-- mem\n([\s\S]*?)(\n--|$)/.exec(readFileSync(join(dir, file), 'utf8'))?.[1]?.replace(/#.*$/gm, '').trim().split(/\s+/).filter(Boolean) ?? [];
    const cases: [string[], string][] = Object.entries(kernel)
      .slice(0, 20)
      .map(([f, v]) => {
        const mem = memOf(f);
        return [mem.length ? [mem.map((b) => `${b}  `).join('')] : [], `${v.bytes}\n`];
      });
    for (const f of ['ldxb-text.elf.hex', 'call_local-text.elf.hex']) cases.push([['--elf'], readFileSync(join(dir, 'runner-elf', f), 'utf8')]);
    cases.push([[], 'zz\n'], [['--bogus'], 'b7000000010000009500000000000000\n'], [['--budget', '1'], '05000000ffff000095000000000000009500000000000000\n']);
    for (const [args, stdin] of cases) {
      const want = await cli(['conformance-plugin', ...args], stdin);
      const got = viaClient(args, stdin);
      expect(got, `${args.join(' ')} < ${stdin.slice(0, 40)}`).toEqual({ code: want.code, out: want.out, err: want.err });
    }
  }, 60_000);
});
