// The bpf_conformance plugin protocol, driven as the public runner drives it: memory bytes (each
// followed by two spaces) as the first argument, program hex on stdin, r0 hex on stdout.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, root } from './run.ts';

const kernel = JSON.parse(readFileSync(join(root, 'test/fixtures/conformance/kernel.json'), 'utf8')) as Record<string, { bytes: string; kernel: { r0?: string; mem?: string } }>;

describe('nicsim conformance-plugin', () => {
  it('answers with r0 in hex for programs with and without memory', async () => {
    const ran = Object.entries(kernel).filter(([, v]) => v.kernel.r0 !== undefined).slice(0, 40);
    for (const [file, rec] of ran) {
      const text = readFileSync(join(root, 'test/fixtures/conformance', file), 'utf8');
      const mem = /-- mem\n([\s\S]*?)(\n--|$)/.exec(text)?.[1]?.replace(/#.*$/gm, '').trim().split(/\s+/).filter(Boolean) ?? [];
      const args = mem.length ? [mem.map((b) => `${b}  `).join('')] : [];
      const r = await cli(['conformance-plugin', ...args], `${rec.bytes}\n`);
      expect(r.code, `${file}: ${r.err}`).toBe(0);
      expect(BigInt(`0x${r.out.trim()}`), file).toBe(BigInt(rec.kernel.r0!));
    }
  });

  it('fails with a message and a non-zero status on invalid programs', async () => {
    const r = await cli(['conformance-plugin'], 'ff00000000000000\n');
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/unknown opcode 0xff/);
    const uninit = await cli(['conformance-plugin'], 'bf30000000000000' + '9500000000000000\n');
    expect(uninit.code).not.toBe(0);
  });

  it('works as a separate process through the runner wrapper script', () => {
    const p = spawnSync(join(root, 'test/kernel/conformance-plugin.sh'), ['01  02  '], { input: '7110010000000000' + '9500000000000000\n', encoding: 'utf8' });
    expect(p.status).toBe(0);
    expect(p.stdout.trim()).toBe('2');
  });
});
