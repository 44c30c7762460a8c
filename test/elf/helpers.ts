// Shared fixture access for the ELF loader tests: the committed objects and the outputs of llvm,
// bpftool and the kernel recorded next to them (test/fixtures/elf/build.sh, test/kernel/record-elf.sh).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('../fixtures/elf/', import.meta.url));

/** Every committed object. */
export const OBJECTS = ['maps', 'calls', 'calls_v4', 'lazy', 'legacy', 'core', 'externs', 'nobtf'] as const;
export type ObjectName = (typeof OBJECTS)[number];
/** Objects that have a .BTF section. */
export const WITH_BTF = OBJECTS.filter((o) => o !== 'nobtf');

export function objectBytes(name: string): Uint8Array {
  const b = readFileSync(`${FIXTURES}${name}.o`);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function objectPath(name: string): string {
  return `${FIXTURES}${name}.o`;
}

export function truthText(name: string, kind: 'objdump' | 'btf'): string {
  return readFileSync(`${FIXTURES}truth/${name}.${kind === 'btf' ? 'btf' : 'objdump'}.txt`, 'utf8');
}

// ---- llvm-readobj --elf-output-style=JSON ----

interface Named { Name: string; Value: number }
export interface ReadobjSection {
  Index: number; Name: Named; Type: Named; Flags: { Value: number }; Offset: number; Size: number;
  Link: number; Info: number; AddressAlignment: number; EntrySize: number;
}
export interface ReadobjSymbol {
  Name: Named; Value: number; Size: number; Binding: Named; Type: Named; Other: { Value: number }; Section: Named;
}
export interface ReadobjReloc { Offset: number; Type: Named; Symbol: Named }
export interface Readobj {
  ElfHeader: { SectionHeaderOffset: number; SectionHeaderCount: string; StringTableSectionIndex: string; Machine: Named };
  Sections: { Section: ReadobjSection }[];
  Symbols: { Symbol: ReadobjSymbol }[];
  Relocations: { SectionIndex: number; Relocs: { Relocation: ReadobjReloc }[] }[];
}

export function readobj(name: string): Readobj {
  return (JSON.parse(readFileSync(`${FIXTURES}truth/${name}.readobj.json`, 'utf8')) as Readobj[])[0]!;
}

// ---- kernel / libbpf recordings ----

export interface LibbpfMap {
  name: string; type: number; key_size: number; value_size: number; max_entries: number; map_flags: number;
  numa_node: number; btf_key_type_id: number; btf_value_type_id: number; initial: string | null; inner?: LibbpfMap;
  /** map_flags as the kernel reports them for the created map. */
  kernel_map_flags?: number;
  /** prog_array / array_of_maps slots read back from the kernel. */
  slots?: { index: number; name: string }[];
}
export interface LibbpfProgram {
  name: string; section: string; type: number; expected_attach_type: number; prog_flags: number; autoload: boolean;
  insns: string; map_refs: { pc: number; src: number; map: string; offset: number }[];
}
export interface BpftoolProgram {
  pin: string; name: string; type: string; bytes_xlated: number; maps: string[]; funcs: string[];
  lines: { xlated_pc: number; file: string; line: number; col: number; src: string }[];
}
export interface BpftoolMap {
  type: string; name: string; flags: number; bytes_key: number; bytes_value: number; max_entries: number; frozen?: number;
}
export interface KernelRecord {
  object: string;
  libbpf: { maps?: LibbpfMap[]; programs?: LibbpfProgram[]; open_errno?: number; load_errno?: number };
  bpftool?: { programs: BpftoolProgram[]; maps: BpftoolMap[]; func_linkage: Record<string, string> };
}

export function kernelRecord(name: string): KernelRecord {
  return JSON.parse(readFileSync(`${FIXTURES}kernel/${name}.json`, 'utf8')) as KernelRecord;
}

export const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// ---- llvm-objdump -d -r ----

export interface ObjdumpFunction {
  section: string;
  name: string;
  /** Byte offset in the section. */
  offset: number;
  /** Instruction bytes in order, as objdump printed them (lddw = 16 bytes). */
  bytes: number[];
}

export function objdumpFunctions(name: string): ObjdumpFunction[] {
  const out: ObjdumpFunction[] = [];
  let section = '';
  let cur: ObjdumpFunction | undefined;
  for (const line of truthText(name, 'objdump').split('\n')) {
    let m = /^Disassembly of section (.*):$/.exec(line);
    if (m) {
      section = m[1]!;
      continue;
    }
    m = /^([0-9a-f]{16}) <(.*)>:$/.exec(line);
    if (m) {
      cur = { section, name: m[2]!, offset: parseInt(m[1]!, 16), bytes: [] };
      out.push(cur);
      continue;
    }
    m = /^\s+\d+:\t([0-9a-f]{2}(?: [0-9a-f]{2})*)\t/.exec(line);
    if (m && cur) cur.bytes.push(...m[1]!.split(' ').map((x) => parseInt(x, 16)));
  }
  return out;
}
