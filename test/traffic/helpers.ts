// Shared helpers of the traffic tests: the committed fixtures and tshark's recorded view of them,
// tshark's time_epoch text as nanoseconds, whether tshark is installed, and reading a whole capture.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { copyFrame, type Frame, openCapture, type ReaderOptions } from '../../nic/traffic/index.ts';

export const FIXTURES = new URL('../fixtures/traffic/', import.meta.url).pathname;

export interface TsharkFrame {
  number: number;
  section: number;
  interface_id: number;
  time_epoch: string | null;
  len: number;
  cap_len: number;
  hex: string;
  encap_type: number | null;
}

export interface TsharkView {
  file: string;
  frames: TsharkFrame[];
  interfaces: Array<Record<string, string>>;
}

export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

export function tsharkView(name: string): TsharkView {
  return JSON.parse(fs.readFileSync(fixture(`${name}.tshark.json`), 'utf8')) as TsharkView;
}

/** "1700000000.123456789" -> 1700000000123456789n. */
export function epochToNs(t: string): bigint {
  const [s, f = ''] = t.split('.');
  return BigInt(s!) * 1_000_000_000n + BigInt((f + '000000000').slice(0, 9));
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
}

/** Every frame of a capture (copied), with the reader's warnings and interfaces. */
export function readAll(file: string, opts: ReaderOptions = {}) {
  const r = openCapture(file, opts);
  const frames: Frame[] = [];
  const raw: Array<[number, number]> = [];
  for (let f = r.next(); f !== null; f = r.next()) {
    raw.push([f.tsHi, f.tsLo]);
    frames.push(copyFrame(f));
  }
  return { reader: r, frames, raw, warnings: r.warnings, interfaces: r.interfaces };
}

let tsharkPresent: boolean | undefined;
export function hasTshark(): boolean {
  if (tsharkPresent === undefined) {
    try {
      execFileSync('tshark', ['--version'], { stdio: 'ignore' });
      tsharkPresent = true;
    } catch {
      tsharkPresent = false;
    }
  }
  return tsharkPresent;
}

/** tshark -T fields of a file, one array of strings per frame. */
export function tsharkFields(file: string, fields: string[], extra: string[] = []): string[][] {
  const args = ['-r', file, ...extra, '-T', 'fields', '-E', 'separator=|'];
  for (const f of fields) args.push('-e', f);
  const out = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 256 << 20 });
  return out.split('\n').filter((l) => l.length > 0).map((l) => l.split('|'));
}

/** A fresh temporary directory, in memory (/dev/shm) when there is one: the prefix sweeps write often. */
export function tmpDir(prefix: string): string {
  const base = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  return fs.mkdtempSync(path.join(base, prefix));
}
