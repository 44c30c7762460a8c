// Hostile and cut-short captures: every prefix of committed files gives either frames plus one
// truncation warning or a located CaptureError (an InputError with a byte offset), never another
// exception; prefixes tshark was asked about (truncation.tshark.json) give tshark's frame count and a
// warning exactly when tshark said "cut short"; seeded byte mutations only ever give the same two
// outcomes; FIFOs and devices are refused, stdin (`-`) is read up to a cap.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../offload/errors.ts';
import { CaptureError, openCapture } from '../../nic/traffic/index.ts';
import { fixture, readAll, tmpDir } from './helpers.ts';

type Outcome = { kind: 'frames'; n: number; warnings: number } | { kind: 'error'; code: string; offset: number | undefined };

function outcome(file: string): Outcome {
  try {
    const { frames, warnings } = readAll(file, { chunkSize: 256 });
    return { kind: 'frames', n: frames.length, warnings: warnings.length };
  } catch (e) {
    if (!(e instanceof CaptureError) || !(e instanceof InputError)) throw e;
    expect(e.loc.file).toBe(file);
    return { kind: 'error', code: e.code, offset: e.loc.offset };
  }
}

/** The SHB (pcapng) or file header (pcap) length: cuts inside it make tshark guess other formats. */
function headerLen(name: string, bytes: Buffer): number {
  if (!name.endsWith('.pcapng')) return 24;
  return bytes.readUInt32LE(8) === 0x1a2b3c4d ? bytes.readUInt32LE(4) : bytes.readUInt32BE(4);
}

/** Cut points: every byte of the first and last 200, every `step`-th in between, and the full length. */
function cutsOf(size: number, step: number): number[] {
  const cuts = new Set<number>([size]);
  for (let c = 0; c <= size; c += c < 200 || c > size - 200 ? 1 : step) cuts.add(c);
  return [...cuts].sort((a, b) => a - b);
}

describe('truncation', () => {
  for (const name of ['le-us.pcap', 'be-ns.pcap', 'crafted.pcapng', 'two-ifaces.pcapng']) {
    it(`every prefix of ${name}: frames + warning, or a located CaptureError`, () => {
      const bytes = fs.readFileSync(fixture(name));
      const full = readAll(fixture(name)).frames.length;
      const dir = tmpDir('nicsim-cut-');
      const f = path.join(dir, 'cut');
      let prev = 0;
      for (const cut of cutsOf(bytes.length, 5)) {
        fs.writeFileSync(f, bytes.subarray(0, cut));
        const o = outcome(f);
        if (cut < headerLen(name, bytes)) {
          expect(o.kind, `cut ${cut}`).toBe('error');
          if (o.kind === 'error') expect(o.offset).toBeDefined();
          continue;
        }
        expect(o.kind, `cut ${cut}`).toBe('frames');
        if (o.kind !== 'frames') continue;
        expect(o.n).toBeGreaterThanOrEqual(prev); // a longer prefix never loses frames
        expect(o.warnings).toBeLessThanOrEqual(1);
        prev = o.n;
      }
      expect(prev).toBe(full);
      fs.rmSync(dir, { recursive: true });
    });
  }

  it("prefixes tshark read: the same frame count, and a warning exactly where tshark says 'cut short'", () => {
    const rec = JSON.parse(fs.readFileSync(fixture('truncation.tshark.json'), 'utf8')) as {
      cuts: Array<{ file: string; cut: number; frames: number; exit: number; stderr: string }>;
    };
    const dir = tmpDir('nicsim-cut-');
    const f = path.join(dir, 'cut');
    let compared = 0;
    for (const row of rec.cuts) {
      const bytes = fs.readFileSync(fixture(row.file));
      if (row.cut < headerLen(row.file, bytes)) continue;
      fs.writeFileSync(f, bytes.subarray(0, row.cut));
      const { frames, warnings } = readAll(f);
      // tshark counts a custom block as a frame; crafted.pcapng has one, as its third record.
      const customBefore = row.file === 'crafted.pcapng' && row.frames >= 3 ? 1 : 0;
      expect(frames.length + customBefore, `${row.file} cut ${row.cut}`).toBe(row.frames);
      expect(warnings.length > 0, `${row.file} cut ${row.cut}`).toBe(/cut short/.test(row.stderr));
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(15);
    fs.rmSync(dir, { recursive: true });
  });

  it('the warning locates the cut record', () => {
    const bytes = fs.readFileSync(fixture('le-us.pcap'));
    const dir = tmpDir('nicsim-cut-');
    const f = path.join(dir, 'cut.pcap');
    fs.writeFileSync(f, bytes.subarray(0, 24 + 16 + 42 + 10));
    const { frames, warnings } = readAll(f);
    expect(frames.length).toBe(1);
    expect(warnings).toEqual([expect.objectContaining({ code: 'pcap-truncated-record', offset: 24 + 16 + 42, record: 2 })]);
    expect(warnings[0]!.message).toContain('offset 0x52: record 2');
    fs.rmSync(dir, { recursive: true });
  });
});

describe('mutations', () => {
  // A small xorshift so the test is seeded and needs no dependency.
  function rng(seed: number): () => number {
    let s = seed >>> 0 || 1;
    return () => {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      return s / 4294967296;
    };
  }

  for (const name of ['le-ns.pcap', 'be-us.pcap', 'crafted.pcapng', 'sections.pcapng']) {
    it(`seeded byte mutations of ${name}: frames or a located CaptureError only`, () => {
      const orig = fs.readFileSync(fixture(name));
      const dir = tmpDir('nicsim-mut-');
      const f = path.join(dir, 'm');
      const rand = rng(name.length * 7919);
      const codes = new Set<string>();
      for (let i = 0; i < 300; i++) {
        const b = Buffer.from(orig);
        const n = 1 + Math.floor(rand() * 4);
        for (let k = 0; k < n; k++) {
          // Bias toward headers: half the mutations hit the first 64 bytes or a length field.
          const at = rand() < 0.5 ? Math.floor(rand() * 64) : Math.floor(rand() * b.length);
          b[at] = rand() < 0.3 ? 0xff : Math.floor(rand() * 256);
        }
        fs.writeFileSync(f, b);
        const o = outcome(f);
        if (o.kind === 'error') {
          codes.add(o.code);
          expect(o.offset).toBeDefined();
        }
      }
      expect(codes.size).toBeGreaterThan(0);
      fs.rmSync(dir, { recursive: true });
    });
  }

  it('specific bad files give their own error codes and offsets', () => {
    const dir = tmpDir('nicsim-bad-');
    const f = path.join(dir, 'bad');
    const cases: Array<[string, (b: Buffer) => Buffer, string, number]> = [
      ['le-us.pcap', (b) => Buffer.concat([Buffer.from('nope'), b.subarray(4)]), 'capture-bad-magic', 0],
      ['le-us.pcap', (b) => (b.writeUInt16LE(3, 4), b), 'pcap-bad-version', 4],
      ['le-us.pcap', (b) => (b.writeUInt32LE(0x7fffffff, 24 + 8), b), 'pcap-record-too-large', 24 + 8],
      ['basic.pcapng', (b) => (b.writeUInt32LE(0x11111111, 8), b), 'pcapng-bad-byte-order', 8],
      ['basic.pcapng', (b) => (b.writeUInt32LE(13, 4), b), 'pcapng-bad-block-length', 4],
      ['crafted.pcapng', (b) => (b.writeUInt32BE(0, b.readUInt32BE(4) - 4), b), 'pcapng-length-mismatch', 0],
    ];
    for (const [name, mutate, code, offset] of cases) {
      fs.writeFileSync(f, mutate(fs.readFileSync(fixture(name))));
      const o = outcome(f);
      expect(o, `${name} ${code}`).toMatchObject({ kind: 'error', code });
      if (offset && o.kind === 'error') expect(o.offset).toBe(offset);
    }
    // An EPB naming an interface the section lacks.
    const b = fs.readFileSync(fixture('basic.pcapng'));
    let p = b.readUInt32LE(4);
    while (b.readUInt32LE(p) !== 6) p += b.readUInt32LE(p + 4);
    b.writeUInt32LE(5, p + 8);
    fs.writeFileSync(f, b);
    expect(outcome(f)).toMatchObject({ kind: 'error', code: 'pcapng-unknown-interface', offset: p + 8 });
    expect(() => readAll(f)).toThrow(`${f}: offset 0x${(p + 8).toString(16)}: record 1: block 3: enhanced packet block names interface 5, but the section has 1`);
    fs.rmSync(dir, { recursive: true });
  });
});

describe('non-regular inputs', () => {
  it('refuses a FIFO without blocking, /dev/zero and a directory', () => {
    const dir = tmpDir('nicsim-fifo-');
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    for (const p of [fifo, '/dev/zero', dir]) {
      try {
        openCapture(p);
        expect.unreachable(p);
      } catch (e) {
        expect(e).toBeInstanceOf(CaptureError);
        expect((e as CaptureError).code).toBe('capture-not-regular');
        expect((e as CaptureError).loc.file).toBe(p);
      }
    }
    expect(() => openCapture(path.join(dir, 'missing.pcap'))).toThrow(/ENOENT/);
    fs.rmSync(dir, { recursive: true });
  });

  it('reads `-` from stdin, and refuses more than the cap', () => {
    const script = `import { openCapture } from ${JSON.stringify(new URL('../../nic/traffic/index.ts', import.meta.url).pathname)};
      try { const r = openCapture('-', { stdinCap: Number(process.argv[1]) }); let n = 0; for (const f of r) n++; console.log('frames', n); }
      catch (e) { console.log('error', e.code, e.message); }`;
    const input = fs.readFileSync(fixture('sections.pcapng'));
    const run = (cap: number) =>
      spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, String(cap)], { input, encoding: 'utf8' }).stdout.trim();
    expect(run(1 << 30)).toBe('frames 19');
    expect(run(1000)).toMatch(/^error capture-stdin-too-large <stdin>: stdin holds more than 1000 bytes/);
  });
});
