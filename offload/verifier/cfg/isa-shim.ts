// The parts of the ISA layer the verifier's decoding uses.
import { isNicsimError } from '../../errors.ts';

export { CLASS, decodeInsn, MODE, rawAt, ROWS_BY_CODE, type RawInsn } from '../../isa/index.ts';

/** The stable code of a nicsim error, or null. */
export function isNicsimErrorCode(e: unknown): string | null {
  return isNicsimError(e) ? e.code : null;
}
