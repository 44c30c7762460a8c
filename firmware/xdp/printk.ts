// bpf_trace_printk's formatting: the subset of printf the kernel accepts for BPF (bpf_bprintf_prepare):
// %d %i %u %x %X with optional l / ll, %c, %s, %p / %px / %pK, %%, flags "-+ 0#", width and precision.
// Without `l`, integer arguments are truncated to 32 bits as the kernel's vsnprintf does.

export interface PrintkArgs {
  /** The three 64-bit arguments as (lo, hi) pairs. */
  lo: number[];
  hi: number[];
  /** Reads a NUL-terminated string at a pointer (lo, hi). */
  str(lo: number, hi: number): string;
}

function pad(s: string, width: number, left: boolean, zero: boolean, neg: boolean): string {
  if (s.length >= width) return s;
  if (left) return s.padEnd(width);
  if (zero) {
    const sign = neg ? '-' : '';
    const body = neg ? s.slice(1) : s;
    return sign + body.padStart(width - sign.length, '0');
  }
  return s.padStart(width);
}

/** Formats `fmt`; returns null when the format is one the kernel rejects (-EINVAL). */
export function formatPrintk(fmt: string, a: PrintkArgs): string | null {
  let out = '';
  let arg = 0;
  for (let i = 0; i < fmt.length; i++) {
    const ch = fmt[i]!;
    if (ch !== '%') {
      out += ch;
      continue;
    }
    i++;
    if (fmt[i] === '%') {
      out += '%';
      continue;
    }
    let left = false;
    let zero = false;
    let plus = false;
    let space = false;
    let alt = false;
    for (; i < fmt.length && '-+ 0#'.includes(fmt[i]!); i++) {
      if (fmt[i] === '-') left = true;
      else if (fmt[i] === '0') zero = true;
      else if (fmt[i] === '+') plus = true;
      else if (fmt[i] === ' ') space = true;
      else alt = true;
    }
    let width = 0;
    while (i < fmt.length && /\d/.test(fmt[i]!)) width = width * 10 + Number(fmt[i++]);
    let prec = -1;
    if (fmt[i] === '.') {
      i++;
      prec = 0;
      while (i < fmt.length && /\d/.test(fmt[i]!)) prec = prec * 10 + Number(fmt[i++]);
    }
    if (arg >= 3) return null;
    const lo = a.lo[arg]! | 0;
    const hi = a.hi[arg]! | 0;
    let c = fmt[i];
    if (c === 'p') {
      // %p, %px, %pK: the pointer's value (the kernel hashes plain %p; nicsim prints it).
      if (fmt[i + 1] === 'x' || fmt[i + 1] === 'K') i++;
      arg++;
      const v = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
      out += pad(`0x${v.toString(16).padStart(16, '0')}`, width, left, false, false);
      continue;
    }
    if (c === 'c') {
      arg++;
      out += pad(String.fromCharCode(lo & 0xff), width, left, false, false);
      continue;
    }
    if (c === 's') {
      arg++;
      let s = a.str(lo, hi);
      if (prec >= 0) s = s.slice(0, prec);
      out += pad(s, width, left, false, false);
      continue;
    }
    let bits = 32;
    if (c === 'l') {
      bits = 64;
      i++;
      if (fmt[i] === 'l') i++;
      c = fmt[i];
    } else if (c === 'h') {
      bits = 16;
      i++;
      if (fmt[i] === 'h') {
        bits = 8;
        i++;
      }
      c = fmt[i];
    }
    if (c !== 'd' && c !== 'i' && c !== 'u' && c !== 'x' && c !== 'X') return null;
    arg++;
    let v = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    const signed = c === 'd' || c === 'i';
    v = signed ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v);
    let s = c === 'x' || c === 'X' ? v.toString(16) : v.toString(10);
    if (c === 'X') s = s.toUpperCase();
    if (prec >= 0) s = s.padStart(prec, '0');
    if (alt && (c === 'x' || c === 'X') && v !== 0n) s = (c === 'x' ? '0x' : '0X') + s;
    const neg = s.startsWith('-');
    if (signed && !neg && plus) s = `+${s}`;
    else if (signed && !neg && space) s = ` ${s}`;
    out += pad(s, width, left, zero && !left && prec < 0, neg);
  }
  return out;
}
