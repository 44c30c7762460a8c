// Writing a command's output file (asm -o, test-run --data-out). The reasons a write fails on a
// user's path (a full disk or /dev/full, a missing directory, a directory, no permission, a
// read-only file system) are the user's errors: one located InputError naming the path, exit 3.
import { writeFileSync } from 'node:fs';
import { InputError } from '../../offload/errors.ts';

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  ENOENT: 'no such directory',
  ENOTDIR: 'a parent is not a directory',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large',
  ENAMETOOLONG: 'file name too long',
  ELOOP: 'too many symbolic links',
  ETXTBSY: 'text file busy',
  EIO: 'I/O error',
};

/** Writes `data` to `path`; `what` names the output in the message ("--data-out", "-o"). */
export function writeOutputFile(path: string, data: Uint8Array | string, what: string): void {
  try {
    writeFileSync(path, data);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === undefined) throw e;
    const reason = REASONS[code];
    throw new InputError('output.write', `cannot write ${what}: ${code}${reason ? ` (${reason})` : ''}`, { file: path });
  }
}
