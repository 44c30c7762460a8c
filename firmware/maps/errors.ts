// Typed map errors. Creation failures and host-side operation failures carry the kernel's errno
// (positive) next to a stable dotted code, so callers can both print a reason and compare with what
// bpf(2) would have returned.

import { InputError } from '../../offload/errors.ts';
import type { Location } from '../../offload/errors.ts';
import { ERRNO_NAME } from './constants.ts';

export class MapError extends InputError {
  /** The kernel errno (positive), e.g. 22 for EINVAL; 0 when the kernel has no equivalent. */
  readonly errno: number;

  constructor(code: string, errno: number, reason: string, loc: Location = {}) {
    const name = ERRNO_NAME[errno];
    super(code, name ? `${reason} (${name})` : reason, loc);
    this.errno = errno;
  }
}

export function isMapError(e: unknown): e is MapError {
  return e instanceof MapError;
}
