// Bad input never crashes: truncated and corrupted objects give exit 3 and a one-line message naming
// the file and where it went wrong; usage errors give exit 2.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseElf } from '../../offload/elf/index.ts';
import { cli, root } from './run.ts';

const tmp = mkdtempSync(join(tmpdir(), 'nicsim-bad-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const objects = ['xdp_count', 'xdp_l4lb', 'xdp_subprog', 'xdp_tailcall', 'xdp_globals'];

function boundaries(bytes: Uint8Array): number[] {
  const elf = parseElf(bytes, 'x');
  const cuts = new Set<number>([0, 1, 16, 63, 64]);
  for (const s of elf.sections) {
    cuts.add(s.offset);
    cuts.add(s.offset + Math.floor(s.size / 2));
    cuts.add(s.offset + s.size - 1);
    cuts.add(s.headerOffset);
    cuts.add(s.headerOffset + 20);
  }
  return [...cuts].filter((c) => c >= 0 && c < bytes.length).sort((a, b) => a - b);
}

describe.each(objects)('%s.o cut at every section boundary', (name) => {
  const bytes = new Uint8Array(readFileSync(join(root, 'examples', `${name}.o`)));
  const pkt = join(tmp, 'pkt.bin');
  writeFileSync(pkt, new Uint8Array(64));
  it('disasm and test-run exit 3 with a located one-line message', async () => {
    for (const cut of boundaries(bytes)) {
      const f = join(tmp, `${name}-${cut}.o`);
      writeFileSync(f, bytes.subarray(0, cut));
      for (const argv of [['disasm', f], ['disasm', f, '--format', 'llvm'], ['test-run', f, '--program', 'x', '--data-in', pkt]]) {
        const r = await cli(argv);
        expect(r.code, `${argv.join(' ')}: ${r.err}`).toBe(3);
        const lines = r.err.trim().split('\n');
        expect(lines).toHaveLength(1);
        expect(lines[0]).toContain(f);
        expect(lines[0]).toMatch(/offset 0x[0-9a-f]+|section|pc \d+/);
        expect(r.err).not.toMatch(/\n\s+at /);
      }
    }
  });
});

describe('usage and input errors', () => {
  it('unknown command and option are usage errors (exit 2)', async () => {
    expect((await cli(['frobnicate'])).code).toBe(2);
    expect((await cli(['disasm', 'x.o', '--bogus'])).code).toBe(2);
    expect((await cli(['test-run', join(root, 'examples/xdp_count.o')])).code).toBe(2);
  });
  it('a missing file is bad input (exit 3)', async () => {
    const r = await cli(['disasm', join(tmp, 'nope.o')]);
    expect(r.code).toBe(3);
    expect(r.err).toContain('nope.o');
  });
  it('test-run refuses frames shorter than an Ethernet header with EINVAL', async () => {
    const f = join(tmp, 'short.bin');
    writeFileSync(f, new Uint8Array(13));
    const r = await cli(['test-run', join(root, 'examples/xdp_count.o'), '--program', 'count_protocols', '--data-in', f, '--json']);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.out).error.code).toBe('test_run.EINVAL');
    expect(JSON.parse(r.out).error.location.file).toBe(f);
    expect(r.err).toContain(f);
  });
  it('test-run refuses a program the verifier rejects, as the kernel does (exit 1)', async () => {
    const f = join(tmp, 'pkt64.bin');
    writeFileSync(f, new Uint8Array(64));
    const obj = join(root, 'test/fixtures/verifier/corpus/map_null_deref.o');
    const r = await cli(['test-run', obj, '--program', 'map_null_deref', '--data-in', f]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/rejected by the verifier at pc 7 \(map_null_deref\.c:12\): R0 invalid mem access 'map_value_or_null'/);
    // Unverified, the same program faults at run time instead (the lookup misses, r0 is NULL).
    const u = await cli(['test-run', obj, '--program', 'map_null_deref', '--data-in', f, '--no-verify']);
    expect(u.code).toBe(1);
    expect(u.err).toMatch(/pc 7: invalid memory access of 8 bytes at r0\+0/);
  });

  it('every command has --help', async () => {
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    const names = [...top.out.matchAll(/^ {2}(\S+) {2,}/gm)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThanOrEqual(4);
    for (const n of names) {
      const r = await cli([n, '--help']);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`usage: nicsim ${n}`);
    }
  });
});
