// Bounded reading of every input file nicsim takes (objects, profiles, packets, assembly): a user's
// mistake (a device such as /dev/zero, a FIFO, a directory, a huge file) must end in one located
// InputError (exit 3), never in reading forever. Only regular files are read, and at most a cap of
// bytes per kind of input; the CLI's `-` (standard input) goes through the same cap (readStdinCapped).
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { InputError } from './errors.ts';

/** Kinds of input and the most bytes nicsim reads of each (documented in README, "Bad input"). */
export const INPUT_LIMITS = {
  /** An ELF object: the largest clang-built BPF object with full debug info is a few MiB. */
  object: 256 << 20,
  /** A YAML hardware profile. */
  profile: 1 << 20,
  /** A test_run frame: the kernel's limit is a page; larger files are refused early. */
  packet: 1 << 20,
  /** Assembly text or a bpf_conformance .data file. */
  asm: 16 << 20,
} as const;
// Packet captures are streamed, not read whole: nic/traffic/source.ts bounds them (regular files or
// `-`, a read buffer bounded by the largest record).
export type InputKind = keyof typeof INPUT_LIMITS;

/** What a file that is not a regular one is, for an error message ("a directory", "a FIFO", ...). */
export function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

export interface ReadOptions {
  /** Error code when the file cannot be opened or read (`elf.read_failed`); refusals are `input.not_regular` and `input.too_large`. */
  code: string;
  /** What the file is, for messages: "object file", "profile", "--data-in". */
  what: string;
  /** Override the cap of the kind (bytes). */
  maxBytes?: number;
  /** The path as shown in messages (default: `path`). */
  shown?: string;
}

function tooLarge(o: ReadOptions, file: string, max: number, size?: number): InputError {
  const got = size === undefined ? 'more' : `${size} bytes`;
  return new InputError('input.too_large', `${o.what} is too large: ${got}, at most ${max} bytes are read`, { file });
}

/**
 * Reads a whole regular file of at most the kind's cap. Refuses directories, devices, FIFOs and
 * sockets without reading them (open with O_NONBLOCK, so that opening a FIFO does not block).
 */
export function readInputFile(path: string, kind: InputKind, o: ReadOptions): Uint8Array {
  const file = o.shown ?? path;
  const max = o.maxBytes ?? INPUT_LIMITS[kind];
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new InputError(o.code, `cannot read ${o.what}: ${err.code ?? err.message}`, { file });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new InputError('input.not_regular', `cannot read ${o.what}: ${kindOf(st)}, not a regular file`, { file });
    if (st.size > max) throw tooLarge(o, file, max, st.size);
    // read until end of file, never more than max + 1 bytes: a file that grows while it is read,
    // or reports size 0 (procfs), still stops at the cap
    let buf = new Uint8Array(Math.min(st.size, max) + 1);
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        if (n > max) throw tooLarge(o, file, max);
        const bigger = new Uint8Array(Math.min(buf.length * 2 + 4096, max + 1));
        bigger.set(buf);
        buf = bigger;
      }
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
    }
    return buf.subarray(0, n);
  } catch (e) {
    if (e instanceof InputError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new InputError(o.code, `cannot read ${o.what}: ${err.code ?? err.message}`, { file });
  } finally {
    closeSync(fd);
  }
}

/** Reads a regular text file (UTF-8) with readInputFile's bounds. */
export function readInputText(path: string, kind: InputKind, o: ReadOptions): string {
  return Buffer.from(readInputFile(path, kind, o)).toString('utf8');
}

/** Standard input with the kind's cap: `chunks` is any async byte stream (process.stdin). */
export async function readStreamCapped(chunks: AsyncIterable<Uint8Array | string>, kind: InputKind, o: ReadOptions): Promise<Uint8Array> {
  const max = o.maxBytes ?? INPUT_LIMITS[kind];
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const c of chunks) {
    const b = typeof c === 'string' ? Buffer.from(c) : c;
    n += b.length;
    if (n > max) throw tooLarge(o, o.shown ?? '<stdin>', max);
    parts.push(b);
  }
  return Buffer.concat(parts);
}
