// Numeric command-line options, parsed in one place with the kernel's bounds: decimal integers only,
// checked as exact integers (BigInt) so that 2^32 or 99999999999999999999 are refused rather than
// rounded. A bad value is a usage error (exit 2) on one line. The dispatcher (main.ts) passes a
// negative value through as `--opt=-5` so that it arrives here instead of in node's three-line
// "ambiguous argument" message.
import { UsageError } from '../../offload/errors.ts';

/** The largest unsigned 32-bit value: BPF_PROG_TEST_RUN's repeat, cpu and ifindex fields are u32. */
export const U32_MAX = 0xffff_ffff;

export interface IntBounds {
  min: number;
  max: number;
  /** Appended to the message, e.g. "(the kernel's repeat is a u32)". */
  why?: string;
}

/** Parses option `--name`'s value `v` (undefined when the option is absent). */
export function intOption(name: string, v: string | undefined, b: IntBounds): number | undefined {
  if (v === undefined) return undefined;
  const range = `an integer from ${b.min} to ${b.max}${b.why ? ` ${b.why}` : ''}`;
  if (!/^[+-]?\d+$/.test(v)) throw new UsageError(`--${name} must be ${range}, got '${v}'`);
  const n = BigInt(v);
  if (n < BigInt(b.min) || n > BigInt(b.max)) throw new UsageError(`--${name} must be ${range}, got '${v}'`);
  return Number(n);
}
