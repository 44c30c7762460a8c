// Runtime faults of a program under execution: always a typed error with the pc, never a crash.
import { NicsimError } from '../../offload/errors.ts';

export type FaultCode =
  | 'fault.mem' // access outside every region, or to a region that cannot be accessed this way
  | 'fault.readonly' // write into a read-only region (.rodata, ctx fields)
  | 'fault.ctx' // invalid context access
  | 'fault.misaligned' // misaligned atomic
  | 'fault.budget' // per-run instruction budget exhausted
  | 'fault.stack' // call depth exceeded
  | 'fault.helper' // helper misuse (bad map pointer, unknown helper)
  | 'fault.tail_call';

/** Exit status 1: the program, not the input file, is at fault. */
export class Fault extends NicsimError {
  constructor(code: FaultCode, reason: string, pc: number) {
    super(code, reason, { pc }, 1);
  }
}
