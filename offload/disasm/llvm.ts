// `llvm-objdump-19 -d` for a BPF object, byte for byte: every executable section with content, one
// header per symbol (functions and labels; a dummy `<section>` symbol where none starts the section),
// `<pc>:\t<bytes>\t<text>` lines, `...` for runs of 8 or more zero bytes (skipped in multiples of 4,
// exactly as llvm-objdump does), `<unknown>` for what does not decode, and branch targets labelled
// `<symbol+0xoffset>` against the nearest symbol at or before the target.
import { type ElfFile, parseElf } from '../elf/index.ts';
import { SHF, STT } from '../elf/types.ts';
import { decodeInsn, disasm, rawAt } from '../isa/index.ts';

interface Sym {
  addr: number;
  name: string;
}

function sectionSymbols(elf: ElfFile, index: number, name: string): Sym[] {
  const syms = elf.symbols
    .filter((s) => s.shndx === index && s.type !== STT.SECTION && s.type !== STT.FILE && s.name !== '')
    .map((s) => ({ addr: s.value, name: s.name }))
    .sort((a, b) => a.addr - b.addr || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (syms.length === 0 || syms[0]!.addr !== 0) syms.unshift({ addr: 0, name });
  return syms;
}

/** `<sym+0xoff>` for a byte address in a section (u64 offsets, as llvm prints targets before symbols). */
function labelFor(syms: Sym[], addr: number): string {
  let best = syms[0]!;
  for (const s of syms) if (s.addr <= addr) best = s;
  let off = BigInt(addr) - BigInt(best.addr);
  if (off < 0n) off = BigInt.asUintN(64, off);
  return off === 0n ? best.name : `${best.name}+0x${off.toString(16)}`;
}

const hex2 = (b: number) => b.toString(16).padStart(2, '0');

function zeroRun(bytes: Uint8Array, from: number, end: number): number {
  let n = 0;
  while (from + n < end && bytes[from + n] === 0) n++;
  return n < 8 ? 0 : n & ~3;
}

/** The text llvm-objdump-19 -d prints for the object at `file` (`name` is how the path is shown). */
export function objdumpText(bytes: Uint8Array, name: string): string {
  const elf = parseElf(bytes, name);
  const out: string[] = ['', `${name}:\tfile format elf64-bpf`, ''];
  for (const sec of elf.sections) {
    if (sec.index === 0 || !(sec.flags & SHF.EXECINSTR) || sec.size === 0) continue;
    const data = bytes.subarray(sec.offset, sec.offset + sec.size);
    const syms = sectionSymbols(elf, sec.index, sec.name);
    out.push(`Disassembly of section ${sec.name}:`);
    for (let si = 0; si < syms.length; si++) {
      const sym = syms[si]!;
      const end = Math.min(data.length, si + 1 < syms.length ? syms[si + 1]!.addr : data.length);
      out.push('', `${sym.addr.toString(16).padStart(16, '0')} <${sym.name}>:`);
      let i = sym.addr;
      while (i < end) {
        const z = zeroRun(data, i, end);
        if (z) {
          out.push('\t\t...');
          i += z;
          continue;
        }
        const pc = Math.floor(i / 8);
        const wide = data[i] === 0x18 && i + 16 <= end;
        const size = Math.min(wide ? 16 : 8, end - i);
        const raw = data.subarray(i, i + size);
        let text = '<unknown>';
        if (size >= 8) {
          try {
            const view = data.subarray(i, i + size);
            const insn = decodeInsn(rawAt(view, 0), size === 16 ? rawAt(view, 1) : undefined);
            text = disasm(insn, { llvmQuirks: true, pc: 0, label: (t) => labelFor(syms, i + t * 8) });
          } catch {
            // llvm's own extension `callx` (indirect call through a register) is not BPF as the kernel
            // and RFC 9669 define it; llvm-objdump still names it.
            text = data[i] === 0x8d ? `callx r${data[i + 1]! & 0xf}` : '<unknown>';
          }
        }
        out.push(`${String(pc).padStart(8)}:\t${[...raw].map(hex2).join(' ')}\t${text}`);
        i += size;
      }
    }
    out.push('');
  }
  return out.join('\n');
}
