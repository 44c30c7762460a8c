// The ELF file header (elf(5)): identification, type and machine checks, and where the section header
// table lives. Only ELF64 little-endian relocatable objects for EM_BPF (or EM_NONE, as libbpf accepts)
// are BPF objects.

import { ByteView } from './bytes.ts';
import { ELF_HEADER_SIZE, EM_BPF, ET_REL, SHDR_SIZE } from './types.ts';
import type { ElfHeader } from './types.ts';

const MAGIC = [0x7f, 0x45, 0x4c, 0x46];

export function parseHeader(v: ByteView): ElfHeader {
  if (v.length < 4 || MAGIC.some((b, i) => v.bytes[i] !== b)) {
    const got = Array.from(v.bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw v.error('bad_magic', `not an ELF file: magic is [${got}], expected [7f 45 4c 46]`, 0);
  }
  v.need(0, ELF_HEADER_SIZE, 'ELF header');
  const cls = v.u8(4);
  if (cls !== 2) throw v.error('bad_class', `ELF class ${cls} is not ELFCLASS64 (2); BPF objects are 64-bit`, 4);
  const data = v.u8(5);
  if (data !== 1) throw v.error('bad_endian', `ELF data encoding ${data} is not little-endian (1); only bpfel objects are supported`, 5);
  const identVersion = v.u8(6);
  if (identVersion !== 1) throw v.error('bad_version', `ELF identification version ${identVersion} is not EV_CURRENT (1)`, 6);

  const type = v.u16(16, 'e_type');
  const machine = v.u16(18, 'e_machine');
  const version = v.u32(20, 'e_version');
  if (type !== ET_REL) throw v.error('not_relocatable', `ELF type ${type} is not ET_REL (1): BPF objects are relocatable files (clang -c)`, 16);
  if (machine !== EM_BPF && machine !== 0) throw v.error('bad_machine', `ELF machine ${machine} is not EM_BPF (247)`, 18);
  const shoff = v.u64(0x28, 'e_shoff');
  const flags = v.u32(0x30, 'e_flags');
  const ehsize = v.u16(0x34, 'e_ehsize');
  if (ehsize < ELF_HEADER_SIZE) throw v.error('bad_header', `e_ehsize ${ehsize} is smaller than the ELF64 header (64)`, 0x34);
  const shentsize = v.u16(0x3a, 'e_shentsize');
  let shnum = v.u16(0x3c, 'e_shnum');
  let shstrndx = v.u16(0x3e, 'e_shstrndx');
  if (shoff === 0) throw v.error('bad_header', 'the object has no section header table (e_shoff is 0)', 0x28);
  if (shentsize !== SHDR_SIZE) throw v.error('bad_header', `e_shentsize ${shentsize} is not 64`, 0x3a);
  // Extended numbering: counts that do not fit live in section header 0.
  if (shnum === 0 || shstrndx === 0xffff) {
    v.need(shoff, SHDR_SIZE, 'section header 0 (extended numbering)');
    if (shnum === 0) shnum = v.u64(shoff + 0x20, 'section count (sh_size of section 0)');
    if (shstrndx === 0xffff) shstrndx = v.u32(shoff + 0x28, 'section-name table index (sh_link of section 0)');
  }
  return { type, machine, version, shoff, shentsize, shnum, shstrndx, flags };
}
