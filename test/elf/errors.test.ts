// Targeted malformed objects: each one is a committed fixture with one field broken (offsets taken
// from llvm-readobj's view of it), and must give an InputError with a stable code, the file name and
// the byte offset of the problem.

import { describe, expect, it } from 'vitest';
import { isNicsimError } from '../../offload/errors.ts';
import type { NicsimError } from '../../offload/errors.ts';
import { loadObject, loadObjectFile } from '../../offload/elf/index.ts';
import { objectBytes, readobj } from './helpers.ts';
import type { Readobj } from './helpers.ts';

function err(bytes: Uint8Array, file = 'bad.o'): NicsimError {
  try {
    loadObject(bytes, file);
  } catch (e) {
    if (isNicsimError(e)) return e;
    throw e;
  }
  throw new Error('loaded without error');
}

const put32 = (b: Uint8Array, off: number, v: number) => new DataView(b.buffer, b.byteOffset).setUint32(off, v, true);
const put16 = (b: Uint8Array, off: number, v: number) => new DataView(b.buffer, b.byteOffset).setUint16(off, v, true);
const sec = (r: Readobj, name: string) => r.Sections.find((s) => s.Section.Name.Name === name)!.Section;
const shdr = (r: Readobj, name: string) => r.ElfHeader.SectionHeaderOffset + 64 * sec(r, name).Index;

function patched(name: string, f: (b: Uint8Array, r: Readobj) => void): Uint8Array {
  const b = objectBytes(name).slice();
  f(b, readobj(name));
  return b;
}

/** Replaces the first occurrence of `from` in the section's bytes with `to` (same length). */
function replaceIn(b: Uint8Array, start: number, size: number, from: string, to: string) {
  const hay = Buffer.from(b.buffer, b.byteOffset + start, size);
  const at = hay.indexOf(`${from}\0`);
  if (at < 0) throw new Error(`'${from}' not found`);
  b.set(new TextEncoder().encode(to), start + at);
}

describe('malformed ELF', () => {
  it.each([
    ['empty file', new Uint8Array(0), 'elf.bad_magic', 0],
    ['text file', new TextEncoder().encode('int main() { return 0; }\n'), 'elf.bad_magic', 0],
    ['ELFCLASS32', patched('calls', (b) => (b[4] = 1)), 'elf.bad_class', 4],
    ['big-endian', patched('calls', (b) => (b[5] = 2)), 'elf.bad_endian', 5],
    ['executable, not relocatable', patched('calls', (b) => put16(b, 16, 2)), 'elf.not_relocatable', 16],
    ['x86-64 machine', patched('calls', (b) => put16(b, 18, 62)), 'elf.bad_machine', 18],
    ['header cut short', objectBytes('calls').slice(0, 40), 'elf.truncated', 0],
    ['section headers past the end', patched('calls', (b) => put32(b, 0x28, b.length - 10)), 'elf.truncated', null],
    ['section-name table index out of range', patched('calls', (b) => put16(b, 0x3e, 999)), 'elf.bad_header', 0x3e],
  ] as const)('%s', (_, bytes, code, offset) => {
    const e = err(bytes);
    expect(e.code).toBe(code);
    expect(e.exit).toBe(3);
    expect(e.loc.file).toBe('bad.o');
    if (offset !== null) expect(e.loc.offset).toBe(offset);
    else expect(typeof e.loc.offset).toBe('number');
  });

  it('section data past the end of the file names the section', () => {
    const r = readobj('calls');
    const e = err(patched('calls', (b) => put32(b, shdr(r, '.BTF') + 0x20, 0x100000)));
    expect(e.code).toBe('elf.truncated');
    expect(e.reason).toMatch(/'\.BTF'.*extends past the end of the file/);
    expect(e.loc.offset).toBe(sec(r, '.BTF').Offset);
  });

  it('a section name outside the string table', () => {
    const r = readobj('calls');
    const e = err(patched('calls', (b) => put32(b, shdr(r, 'xdp'), 0xfffff)));
    expect(e.code).toBe('elf.bad_string');
    expect(e.reason).toMatch(/name of section/);
  });

  it('a symbol table with the wrong entry size', () => {
    const r = readobj('calls');
    const e = err(patched('calls', (b) => put32(b, shdr(r, '.symtab') + 0x38, 16)));
    expect(e.code).toBe('elf.bad_section');
    expect(e.loc.offset).toBe(shdr(r, '.symtab'));
  });

  it('a relocation against a symbol that does not exist', () => {
    const r = readobj('calls');
    const rel = sec(r, '.relxdp');
    const e = err(patched('calls', (b) => put32(b, rel.Offset + 12, 5000)));
    expect(e.code).toBe('elf.bad_reloc');
    expect(e.loc.offset).toBe(rel.Offset);
  });

  it('a relocation on an instruction that is neither call nor lddw', () => {
    const r = readobj('calls');
    const rel = sec(r, '.relxdp');
    // Point the first relocation of 'xdp' at instruction 0 (a load).
    const e = err(patched('calls', (b) => put32(b, rel.Offset, 0)));
    expect(e.code).toBe('elf.bad_reloc');
    expect(e.reason).toMatch(/neither a call nor an lddw/);
  });

  it('a static function as an entry point', () => {
    const r = readobj('calls');
    const idx = r.Symbols.findIndex((s) => s.Symbol.Name.Name === 'prog_a');
    const st = sec(r, '.symtab');
    const e = err(patched('calls', (b) => (b[st.Offset + idx * 24 + 4] = 0x02))); // STB_LOCAL, STT_FUNC
    expect(e.code).toBe('elf.static_program');
    expect(e.loc.offset).toBe(st.Offset + idx * 24);
  });

  it('a missing file', () => {
    let e: unknown;
    try {
      loadObjectFile('/nonexistent/x.o');
    } catch (x) {
      e = x;
    }
    expect(isNicsimError(e) && e.code).toBe('elf.read_failed');
  });
});

describe('malformed BTF', () => {
  it('bad magic is located at the .BTF section', () => {
    const r = readobj('maps');
    const e = err(patched('maps', (b) => put16(b, sec(r, '.BTF').Offset, 0x1234)));
    expect(e.code).toBe('btf.bad_magic');
    expect(e.loc.offset).toBe(sec(r, '.BTF').Offset);
  });

  it('an unknown kind', () => {
    const r = readobj('maps');
    const s = sec(r, '.BTF');
    // type [1] starts right after the 24-byte header (type_off 0); its info word is at +4.
    const e = err(patched('maps', (b) => (b[s.Offset + 24 + 7] = 25)));
    expect(e.code).toBe('btf.bad_kind');
    expect(e.loc.offset).toBe(s.Offset + 24 + 4);
  });

  it('a type reference out of range', () => {
    const r = readobj('maps');
    const s = sec(r, '.BTF');
    const e = err(patched('maps', (b) => put32(b, s.Offset + 24 + 8, 100000))); // [1] PTR -> type 100000
    expect(e.code).toBe('btf.bad_type_ref');
    expect(e.loc.offset).toBe(s.Offset + 24);
  });

  it('.maps without .BTF', () => {
    const r = readobj('maps');
    const shstr = r.Sections[Number(r.ElfHeader.StringTableSectionIndex)]!.Section;
    const e = err(patched('maps', (b) => replaceIn(b, shstr.Offset, shstr.Size, '.BTF', '.XTF')));
    expect(e.code).toBe('elf.btf_required');
  });

  it('an unknown field in a map definition', () => {
    const r = readobj('maps');
    const s = sec(r, '.BTF');
    const e = err(patched('maps', (b) => replaceIn(b, s.Offset, s.Size, 'max_entries', 'max_entriez')));
    expect(e.code).toBe('elf.bad_map');
    expect(e.reason).toMatch(/unknown field 'max_entriez'/);
    expect(e.loc.section).toBe('.maps');
    expect(e.loc.offset).toBeGreaterThanOrEqual(sec(r, '.maps').Offset);
  });

  it('a truncated .BTF.ext', () => {
    const r = readobj('calls');
    const s = sec(r, '.BTF.ext');
    const e = err(patched('calls', (b) => put32(b, s.Offset + 12, 0x7fff0))); // func_info_len
    expect(e.code).toBe('btf.truncated');
    expect(e.loc.section).toBe('.BTF.ext');
  });
});
