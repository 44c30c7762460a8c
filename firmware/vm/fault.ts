// Runtime faults of a program under execution: always a typed error with the pc, never a crash. The
// engine that catches one fills in where it happened: the core, and the program executing at that pc
// (a tail-called program's fault names the tail-called program, not the entry one).
import { NicsimError } from '../../offload/errors.ts';

/** Every fault code; a state block stores the index (S_FAULT) so a Wasm engine can report one. */
export const FAULT_CODES = [
  'fault.mem', // access outside every region, or to a region that cannot be accessed this way
  'fault.readonly', // write into a read-only region (.rodata, ctx fields)
  'fault.ctx', // invalid context access
  'fault.misaligned', // misaligned atomic
  'fault.budget', // per-run instruction budget exhausted
  'fault.stack', // call depth exceeded
  'fault.helper', // helper misuse (bad map pointer, unknown helper)
  'fault.tail_call',
  'fault.punt', // a punt the engine cannot save (inside a helper callback)
] as const;
export type FaultCode = (typeof FAULT_CODES)[number];

/** Where a fault happened, filled in by the engine. */
export interface FaultSite {
  /** Arena core slot (-1: a bare Vm outside any core). */
  core: number;
  /** Program id (ObjectSpec order + 1) and C name of the program executing at `pc`. */
  programId: number;
  program: string;
}

/** Exit status 1: the program, not the input file, is at fault. */
export class Fault extends NicsimError {
  readonly faultCode: FaultCode;
  readonly pc: number;
  /** Set by the engine that caught the fault (null while the fault propagates inside the engine). */
  site: FaultSite | null = null;

  constructor(code: FaultCode, reason: string, pc: number) {
    super(code, reason, { pc }, 1);
    this.faultCode = code;
    this.pc = pc;
  }

  /** Index of this fault's code in FAULT_CODES. */
  get codeIndex(): number {
    return FAULT_CODES.indexOf(this.faultCode);
  }
}
