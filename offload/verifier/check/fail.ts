// A verification failure: the kernel's verbose line(s) are logged first, then this is thrown with
// the errno bpf(BPF_PROG_LOAD) would return.
export type Errno = 'EACCES' | 'EINVAL' | 'E2BIG' | 'EPERM' | 'EFAULT' | 'ENOTSUPP' | 'EBADF';

export class VerifierFail {
  // Not an Error: no stack trace is captured (failures are ordinary results, thrown often on
  // speculative paths).
  constructor(
    readonly errno: Errno,
    readonly pc: number | null,
  ) {}
}

/** Errors a speculative path recovers from with a nospec barrier (error_recoverable_with_nospec). */
export function recoverableWithNospec(e: VerifierFail): boolean {
  return e.errno === 'EPERM' || e.errno === 'EACCES' || e.errno === 'EINVAL';
}
