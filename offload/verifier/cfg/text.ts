// Text of a verifier instruction: the ISA's llvm-objdump syntax, plus the forms the ISA IR has no
// case for (load-acquire / store-release) and a raw dump for encodings the kernel refuses.
import { disasm } from '../../isa/index.ts';
import type { RawInsn } from '../../isa/index.ts';
import type { VInsn } from './insn.ts';

const SZ: Record<number, string> = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' };

function memRef(ptr: number, off: number): string {
  return `r${ptr} ${off < 0 ? '-' : '+'} 0x${Math.abs(off).toString(16)}`;
}

export function insnText(insn: VInsn, raw: RawInsn, pc: number): string {
  switch (insn.kind) {
    case 'load_acq':
      return `${insn.size === 8 ? 'r' : 'w'}${insn.dst} = load_acquire((${SZ[insn.size]} *)(${memRef(insn.sreg, insn.off)}))`;
    case 'store_rel':
      return `store_release((${SZ[insn.size]} *)(${memRef(insn.dst, insn.off)}), ${insn.size === 8 ? 'r' : 'w'}${insn.sreg})`;
    case 'bad': {
      const h = (n: number, w: number) => (n >>> 0).toString(16).padStart(w, '0');
      return `<invalid> code=0x${h(raw.code, 2)} dst=r${raw.dst} src=r${raw.src} off=${raw.off} imm=${raw.imm}`;
    }
    default:
      return disasm(insn, { pc });
  }
}
