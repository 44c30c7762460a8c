// Objects that carry more than XDP: maps XDP never uses (socket storage, sockmap, a struct_ops
// table) and programs of other types (tc, sock_ops, struct_ops) do not stop `test-run`: they are
// ignored with one note each on stderr and the XDP program runs (test/fixtures/elf/mixed.c).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../nic/cli/main.ts';

const root = new URL('../../', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'nicsim-mixed-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('objects with parts XDP never uses', () => {
  it('run their XDP program and name what was ignored', async () => {
    const input = join(tmp, 'syn.bin');
    writeFileSync(input, Buffer.alloc(60, 0xab));
    let out = '';
    let err = '';
    const code = await main(['test-run', join(root, 'test/fixtures/elf/mixed.o'), '--program', 'xdp_count', '--data-in', input, '--cpus', '2', '--json'],
      { stdout: (t) => void (out += t), stderr: (t) => void (err += t), stdin: async () => '' });
    expect(code).toBe(0);
    const r = JSON.parse(out) as { retval: number; maps: Record<string, unknown[]> };
    expect(r.retval).toBe(2);
    expect(r.maps).toEqual({ cnt: [{ key: '00000000', value: '0100000000000000' }] });
    const notes = err.trim().split('\n');
    expect(notes.every((l) => l.startsWith('nicsim test-run: note: '))).toBe(true);
    for (const what of ["map 'sks' (sk_storage)", "map 'socks' (sockmap)", "'.struct_ops'", "'tc_pass' (sched_cls)", "'ops' (sock_ops)", "'my_ssthresh' (struct_ops)"]) {
      expect(err).toContain(what);
    }
  });
});
