// Issue 13 regressions, one test per item, named after what it checks: hostile inputs to every
// command end in one located line and exit 2 or 3 (never exit 4 or a stack trace), bounded in time
// and memory; `--json` always prints exactly one document.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assertMapsFitDevice } from '../../offload/capability/index.ts';
import { loadObject, parseElf } from '../../offload/elf/index.ts';
import { isNicsimError } from '../../offload/errors.ts';
import { readStreamCapped } from '../../offload/input.ts';
import { loadProfile } from '../../nic/profile/index.ts';
import { cli, root } from './run.ts';

const tmp = mkdtempSync(join(tmpdir(), 'nicsim-hostile-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const count = join(root, 'examples/xdp_count.o');
const agilio = join(root, 'configs/agilio-cx.yaml');
const pkt = join(tmp, 'pkt.bin');
writeFileSync(pkt, new Uint8Array(64));

/** One line on stderr naming `file`, no stack trace. */
function oneLocatedLine(err: string, file: string): void {
  const lines = err.trim().split('\n');
  expect(lines, err).toHaveLength(1);
  expect(lines[0]).toContain(file);
  expect(err).not.toMatch(/\n\s+at |internal error/);
}

/** test/fixtures/elf/legacy.o with one u32 of its first `maps` definition replaced (field offset in the def). */
function legacyWith(field: number, value: number, name: string): string {
  const bytes = Uint8Array.from(readFileSync(join(root, 'test/fixtures/elf/legacy.o')));
  const maps = parseElf(bytes, 'legacy.o').sections.find((s) => s.name === 'maps')!;
  new DataView(bytes.buffer).setUint32(maps.offset + field, value, true);
  const f = join(tmp, name);
  writeFileSync(f, bytes);
  return f;
}

describe('issue 13: crashes', () => {
  it('1. check --profile of a map with value_size 0x80000000 ends quickly in bounded memory', async () => {
    const f = legacyWith(8, 0x80000000, 'value-2g.o');
    const rss = process.memoryUsage().rss;
    const t = performance.now();
    const r = await cli(['check', f, '--profile', agilio]);
    expect(r.code, r.err).toBe(1);
    expect(r.out).toMatch(/value 2147483648 B/);
    expect(performance.now() - t).toBeLessThan(20_000);
    expect(process.memoryUsage().rss - rss).toBeLessThan(256 << 20);
  });

  it('2. verify --log-level 1 rejects an ldx with an invalid base register (R11) instead of crashing', async () => {
    const bytes = Uint8Array.from(readFileSync(count));
    const xdp = parseElf(bytes, 'x').sections.find((s) => s.name === 'xdp')!;
    bytes.set([0x61, 0xb1, 0, 0, 0, 0, 0, 0], xdp.offset);
    const f = join(tmp, 'ldx-r11.o');
    writeFileSync(f, bytes);
    for (const level of ['0', '1', '2']) {
      const r = await cli(['verify', f, '--log-level', level]);
      expect(r.code, r.err).toBe(1);
      expect(r.out).toMatch(/R11 is invalid/);
    }
  });

  it('3. unwritable outputs (/dev/full, a missing directory, a directory) are located input errors, exit 3', async () => {
    const asmIn = join(tmp, 'p.s');
    writeFileSync(asmIn, 'r0 = 1\nexit\n');
    const dir = join(tmp, 'outdir');
    mkdirSync(dir, { recursive: true });
    for (const [out, errno] of [
      ['/dev/full', 'ENOSPC'],
      [join(tmp, 'missing', 'x.bin'), 'ENOENT'],
      [dir, 'EISDIR'],
    ] as const) {
      const a = await cli(['asm', asmIn, '-o', out]);
      expect(a.code, a.err).toBe(3);
      oneLocatedLine(a.err, out);
      expect(a.err).toContain(errno);
      const t = await cli(['test-run', count, '--program', 'count_protocols', '--data-in', pkt, '--data-out', out]);
      expect(t.code, t.err).toBe(3);
      oneLocatedLine(t.err, out);
      expect(t.err).toContain(errno);
    }
  });

  it('4. profile YAML aliases: an alias without anchor and an alias bomb are located profile errors', async () => {
    const nope = join(tmp, 'alias.yaml');
    writeFileSync(nope, 'kind: nic\nname: *nope\n');
    const rows = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) rows.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    const bomb = join(tmp, 'bomb.yaml');
    writeFileSync(bomb, rows.join('\n') + '\n');
    const a = await cli(['check', count, '--profile', nope]);
    expect(a.code).toBe(3);
    oneLocatedLine(a.err, `${nope}:2:7`);
    expect(a.err).toContain('*nope');
    const b = await cli(['check', count, '--profile', bomb]);
    expect(b.code).toBe(3);
    oneLocatedLine(b.err, `${bomb}:2:`);
    expect(b.err).toMatch(/alias bomb/);
  });

  it("5. asm: a ubpf line that is only ',' and a '--  asm' header with two spaces", async () => {
    const comma = join(tmp, 'comma.s');
    writeFileSync(comma, 'mov %r0, 1\n,\nexit\n');
    const r = await cli(['asm', comma]);
    expect(r.code).toBe(3);
    oneLocatedLine(r.err, `${comma}:2`);
    const data = join(tmp, 'two.data');
    writeFileSync(data, '--  asm\nmov %r0, 1\nexit\n--  result\n0x1\n');
    const d = await cli(['asm', data]);
    expect(d.code, d.err).toBe(0);
    expect(d.out.trim()).toBe('b7000000010000009500000000000000');
  });
});

describe('issue 13: unbounded time or memory', () => {
  it('7. devices, FIFOs and directories are refused as object, profile, packet and asm input without reading them', async () => {
    const fifo = join(tmp, 'fifo');
    execFileSync('mkfifo', [fifo]);
    for (const bad of ['/dev/zero', '/dev/urandom', fifo, tmp]) {
      for (const argv of [
        ['disasm', bad],
        ['verify', bad],
        ['check', count, '--profile', bad],
        ['test-run', count, '--program', 'count_protocols', '--data-in', bad],
        ['asm', bad],
      ]) {
        const r = await cli(argv);
        expect(r.code, `${argv.join(' ')}: ${r.err}`).toBe(3);
        oneLocatedLine(r.err, bad);
        expect(r.err).toMatch(/not a regular file/);
      }
    }
  });

  it('7. standard input is read with the same cap (an endless stream ends in input.too_large)', async () => {
    async function* endless() {
      for (;;) yield new Uint8Array(1 << 16);
    }
    const e = await readStreamCapped(endless(), 'asm', { code: 'stdin.read', what: 'standard input', maxBytes: 1 << 20 }).catch((x: unknown) => x);
    expect(isNicsimError(e) && e.code).toBe('input.too_large');
  });

  it('8. --repeat, --cpu and --budget are u32: 2^32 and 99999999999999999999 are usage errors', async () => {
    for (const v of ['4294967296', '99999999999999999999', '1.5', '0x10']) {
      for (const opt of ['--repeat', '--cpu', '--ingress-ifindex', '--rx-queue']) {
        const r = await cli(['test-run', count, '--program', 'count_protocols', '--data-in', pkt, opt, v]);
        expect(r.code, `${opt} ${v}`).toBe(2);
        expect(r.err.trim().split('\n')).toHaveLength(1);
        expect(r.err).toContain(`${opt} must be an integer from`);
      }
      const b = await cli(['conformance-plugin', '--budget', v], '9500000000000000\n');
      expect(b.code).toBe(2);
      expect(b.err).toContain('--budget must be an integer from 1 to 4294967295');
    }
    // the largest u32 is accepted
    const ok = await cli(['test-run', count, '--program', 'count_protocols', '--data-in', pkt, '--ingress-ifindex', '4294967295', '--json']);
    expect(ok.code, ok.err).toBe(0);
  }, 120_000);

  it('9. verify --log-size caps the log like the kernel: the last BYTES - 1 bytes and ENOSPC (exit 1)', async () => {
    const r = await cli(['verify', count, '--log-level', '2', '--log-size', '4096']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/log truncated: it needs \d+ bytes, --log-size is 4096; the kernel fails this load with ENOSPC/);
    const j = await cli(['verify', count, '--log-level', '2', '--log-size', '4096', '--json']);
    const p = JSON.parse(j.out).programs[0];
    expect(Buffer.byteLength(p.log)).toBe(4095);
    expect(p.log_truncated).toBe(true);
    expect(p.log_true_size).toBeGreaterThan(4096);
    for (const bad of ['0', '1073741824']) expect((await cli(['verify', count, '--log-size', bad])).code).toBe(2);
  });

  it('10. a profile with 16,000 unknown keys: linear time, the first 20 diagnostics and "... and M more"', async () => {
    const base = readFileSync(join(root, 'configs/netdevsim.yaml'), 'utf8');
    const write = (n: number) => {
      const f = join(tmp, `keys-${n}.yaml`);
      writeFileSync(f, base + Array.from({ length: n }, (_, i) => `unknown_key_${i}: ${i}\n`).join(''));
      return f;
    };
    const small = write(1000);
    const big = write(16000);
    let t = performance.now();
    await cli(['check', count, '--profile', small]);
    const tSmall = performance.now() - t;
    t = performance.now();
    const r = await cli(['check', count, '--profile', big]);
    const tBig = performance.now() - t;
    expect(r.code).toBe(3);
    const lines = r.err.trim().split('\n');
    expect(lines).toHaveLength(21);
    expect(lines[20]).toMatch(/\.\.\. and 15980 more$/);
    // 16 times the keys: linear is ~16 times the time, quadratic ~256 times
    expect(tBig / Math.max(tSmall, 50)).toBeLessThan(64);
  }, 120_000);

  it('11. a map with max_entries 0xffffffff: check stays bounded, and the device-memory bound refuses it before any map is created', async () => {
    const f = legacyWith(12, 0xffffffff, 'entries-4g.o');
    const rss = process.memoryUsage().rss;
    const r = await cli(['check', f, '--profile', agilio]);
    expect(r.code, r.err).toBe(1);
    expect(process.memoryUsage().rss - rss).toBeLessThan(256 << 20);
    const spec = loadObject(readFileSync(f), f, { allowUnsupported: true });
    let e: unknown;
    try {
      assertMapsFitDevice(spec, loadProfile(agilio), 'agilio-cx');
    } catch (x) {
      e = x;
    }
    expect(isNicsimError(e) && e.code).toBe('map.device_memory');
    expect((e as Error).message).toMatch(/legacy_hash does not fit the device of agilio-cx/);
    // nicsim run (the virtual NIC, given a profile) refuses it before creating any map
    const run = await cli(['run', f, '--program', 'legacy_prog', '--profile', agilio, '--traffic', 'count=4']);
    expect(run.code, run.err).toBe(3);
    oneLocatedLine(run.err, f);
    expect(run.err).toMatch(/does not fit the device of agilio-cx/);
  });
});

describe('issue 13: found by the fuzz campaign', () => {
  it('a profile with a collection as a mapping key is a located YAML error (no node warning)', async () => {
    const f = join(tmp, 'collection-key.yaml');
    writeFileSync(f, 'kind: nic\n? {redirect: redirect}\n: 1\n');
    const r = await cli(['check', count, '--profile', f]);
    expect(r.code).toBe(3);
    oneLocatedLine(r.err, `${f}:2:3`);
    expect(r.err).toContain('a mapping key must be a plain name');
  });
});

describe('issue 13: small ones', () => {
  it('12. a negative number to a numeric option is one line, exit 2', async () => {
    for (const argv of [
      ['test-run', count, '--program', 'count_protocols', '--data-in', pkt, '--repeat', '-5'],
      ['test-run', count, '--program', 'count_protocols', '--data-in', pkt, '--cpus', '-1'],
      ['verify', count, '--log-size', '-3'],
      ['verify', count, '--log-level', '-1'],
    ]) {
      const r = await cli(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err.trim().split('\n'), r.err).toHaveLength(1);
      expect(r.err).not.toMatch(/ambiguous/);
    }
  });

  it('13. every --json run prints exactly one JSON document, errors included', async () => {
    const rejected = join(root, 'test/fixtures/verifier/corpus/map_null_deref.o');
    const runs: [string[], number][] = [
      [['verify', rejected, '--json'], 1],
      [['test-run', rejected, '--program', 'map_null_deref', '--data-in', pkt, '--json'], 1],
      [['check', count, '--profile', join(tmp, 'none.yaml'), '--json'], 3],
      [['verify', join(tmp, 'none.o'), '--json'], 3],
      [['test-run', count, '--json'], 2],
      [['verify', count, '--bogus', '--json'], 2],
      [['disasm', count, '--json'], 2],
      [['frobnicate', '--json'], 2],
      [['asm', '/dev/zero', '--json'], 3],
      [['run', count, '--profile', join(tmp, 'none.yaml'), '--traffic', 'count=1', '--json'], 3],
    ];
    for (const [argv, code] of runs) {
      const r = await cli(argv);
      expect(r.code, `${argv.join(' ')}: ${r.err}`).toBe(code);
      const docs = r.out.trim().split('\n');
      expect(docs, argv.join(' ')).toHaveLength(1);
      const doc = JSON.parse(docs[0]!);
      if (code !== 1 || argv[0] === 'test-run') {
        expect(Object.keys(doc)).toEqual(['error']);
        expect(Object.keys(doc.error)).toEqual(['code', 'message', 'location']);
      }
    }
  });

  it('14. conformance-plugin: non-hex stdin is bad input with one prefix; frame-size errors name the file', async () => {
    const r = await cli(['conformance-plugin'], 'zz\n');
    expect(r.code).toBe(3);
    expect(r.err).toBe('nicsim conformance-plugin: <stdin>: the program is not hex bytes\n');
    const m = await cli(['conformance-plugin', 'xyz'], '9500000000000000\n');
    expect(m.code).toBe(2);
    expect(m.err).toBe('nicsim conformance-plugin: the memory argument is not hex bytes\n');
    const short = join(tmp, 'short.bin');
    writeFileSync(short, new Uint8Array(10));
    const t = await cli(['test-run', count, '--program', 'count_protocols', '--data-in', short]);
    expect(t.code).toBe(3);
    oneLocatedLine(t.err, short);
    expect(t.err).toContain('EINVAL');
  });

  it('14. CO-RE and extern errors are located in the object, with the C source line in the reason', async () => {
    const obj = join(root, 'test/fixtures/elf/core.o');
    const r = await cli(['test-run', obj, '--program', 'core_field', '--data-in', pkt]);
    expect(r.code).toBe(3);
    oneLocatedLine(r.err, `${obj}: section xdp: offset 0x`);
    expect(r.err).toMatch(/\(core\.c:\d+\)$/m);
  });

  it('no usage error carries a doubled command prefix', async () => {
    for (const argv of [['test-run', count], ['check', count], ['asm', 'x.s', '--syntax', 'z'], ['disasm', count, '--format', 'z'], ['run', count], ['run', count, '--profile', agilio]]) {
      const r = await cli(argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(new RegExp(`^nicsim ${argv[0]}: (?!${argv[0]}:)`));
    }
  });
});
