// ELF64 structures as plain data, and the constants the BPF loader needs (elf(5), the BPF psABI).

export const EM_BPF = 247;
export const ET_REL = 1;

export const SHT = {
  NULL: 0,
  PROGBITS: 1,
  SYMTAB: 2,
  STRTAB: 3,
  RELA: 4,
  NOBITS: 8,
  REL: 9,
  LLVM_ADDRSIG: 0x6fff4c03,
} as const;

export const SHF = { WRITE: 0x1, ALLOC: 0x2, EXECINSTR: 0x4 } as const;

export const STB = { LOCAL: 0, GLOBAL: 1, WEAK: 2 } as const;
export const STT = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4 } as const;
export const STV = { DEFAULT: 0, INTERNAL: 1, HIDDEN: 2, PROTECTED: 3 } as const;
export const SHN = { UNDEF: 0, LORESERVE: 0xff00, ABS: 0xfff1, COMMON: 0xfff2, XINDEX: 0xffff } as const;

/** BPF relocation types (llvm/BinaryFormat/ELFRelocs/BPF.def). */
export const R_BPF = {
  NONE: 0,
  '64_64': 1, // ld_imm64
  '64_ABS64': 2, // data (.rel.maps, debug)
  '64_ABS32': 3,
  '64_NODYLD32': 4, // .BTF / .BTF.ext
  '64_32': 10, // call
} as const;

export function relocTypeName(t: number): string {
  for (const [k, v] of Object.entries(R_BPF)) if (v === t) return `R_BPF_${k}`;
  return `R_BPF_unknown(${t})`;
}

export const ELF_HEADER_SIZE = 64;
export const SHDR_SIZE = 64;
export const SYM_SIZE = 24;
export const REL_SIZE = 16;

export interface ElfHeader {
  type: number;
  machine: number;
  version: number;
  shoff: number;
  shentsize: number;
  shnum: number;
  shstrndx: number;
  flags: number;
}

export interface SectionHeader {
  index: number;
  /** Resolved from the section-name string table. */
  name: string;
  nameOff: number;
  type: number;
  flags: number;
  /** File offset of the section's data. */
  offset: number;
  size: number;
  link: number;
  info: number;
  align: number;
  entsize: number;
  /** File offset of this section header (diagnostics). */
  headerOffset: number;
}

export interface ElfSymbol {
  index: number;
  name: string;
  value: number;
  size: number;
  /** STB_* */
  bind: number;
  /** STT_* */
  type: number;
  /** STV_* */
  visibility: number;
  shndx: number;
  /** File offset of the symbol entry (diagnostics). */
  fileOffset: number;
}

export interface ElfRelocation {
  /** Byte offset inside the target section. */
  offset: number;
  symbol: number;
  type: number;
  /** File offset of the relocation entry (diagnostics). */
  fileOffset: number;
}

export interface RelocationSection {
  /** Index of the SHT_REL section itself. */
  index: number;
  name: string;
  /** Section the relocations apply to (sh_info). */
  target: number;
  entries: ElfRelocation[];
}
