// The ELF reader against llvm-readobj-19's view of every fixture: header, every section header,
// every symbol, every relocation.

import { describe, expect, it } from 'vitest';
import { parseElf } from '../../offload/elf/file.ts';
import { OBJECTS, objectBytes, readobj } from './helpers.ts';

describe.each(OBJECTS)('ELF reader on %s.o', (name) => {
  const elf = parseElf(objectBytes(name), `${name}.o`);
  const truth = readobj(name);

  it('header matches llvm-readobj', () => {
    expect(elf.header.shoff).toBe(truth.ElfHeader.SectionHeaderOffset);
    expect(elf.header.shnum).toBe(Number(truth.ElfHeader.SectionHeaderCount));
    expect(elf.header.shstrndx).toBe(Number(truth.ElfHeader.StringTableSectionIndex));
    expect(elf.header.machine).toBe(truth.ElfHeader.Machine.Value);
  });

  it('section headers match llvm-readobj', () => {
    expect(elf.sections.map((s) => ({
      index: s.index, name: s.name, type: s.type, flags: s.flags, offset: s.offset, size: s.size,
      link: s.link, info: s.info, align: s.align, entsize: s.entsize,
    }))).toEqual(truth.Sections.map(({ Section: s }) => ({
      index: s.Index, name: s.Name.Name, type: s.Type.Value, flags: s.Flags.Value, offset: s.Offset, size: s.Size,
      link: s.Link, info: s.Info, align: s.AddressAlignment, entsize: s.EntrySize,
    })));
  });

  it('symbols match llvm-readobj', () => {
    // readobj prints a section symbol's name as its section's name; ours keeps the (empty) st_name.
    expect(elf.symbols.map((s) => ({
      name: s.type === 3 && s.name === '' ? elf.sections[s.shndx]!.name : s.name,
      value: s.value, size: s.size, bind: s.bind, type: s.type, other: s.visibility, shndx: s.shndx,
    }))).toEqual(truth.Symbols.map(({ Symbol: s }) => ({
      name: s.Name.Name, value: s.Value, size: s.Size, bind: s.Binding.Value, type: s.Type.Value,
      other: s.Other.Value, shndx: s.Section.Value,
    })));
  });

  it('relocations match llvm-readobj', () => {
    expect(elf.relocations.map((r) => ({
      index: r.index,
      relocs: r.entries.map((e) => ({ offset: e.offset, type: e.type, symbol: e.symbol })),
    }))).toEqual(truth.Relocations.map((r) => ({
      index: r.SectionIndex,
      relocs: r.Relocs.map(({ Relocation: x }) => ({ offset: x.Offset, type: x.Type.Value, symbol: x.Symbol.Value })),
    })));
  });
});
