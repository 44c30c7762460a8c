// Public API of the ELF loader: bytes or a path in, a pure-data ObjectSpec out. Bad input raises
// InputError (exit 3) with a code, the file and a byte offset or source position.

import { readInputFile } from '../input.ts';
import { loadObject } from './loader.ts';
import type { LoadOptions } from './loader.ts';
import type { ObjectSpec } from './spec.ts';

export { loadObject } from './loader.ts';
export type { LoadOptions } from './loader.ts';
export type { Diagnostic, FuncSpec, InitSlot, InternalKind, LineInfo, MapReference, MapSpec, ObjectSpec, ProgramSpec } from './spec.ts';
export { lineAt } from './lineinfo.ts';
export { MAP_TYPE, MAP_TYPE_NAMES, MAP_FLAG, mapTypeName, isMapInMap } from './maptypes.ts';
export { PROG_TYPE, PROG_TYPE_NAMES, ATTACH_TYPE_NAMES, programTypeForSection } from './progtypes.ts';
export { internalMapName, objectName } from './datamaps.ts';
export { parseElf } from './file.ts';
export type { ElfFile } from './file.ts';

export function loadObjectFile(path: string, opts: LoadOptions = {}): ObjectSpec {
  return loadObject(readObjectFile(path), path, opts);
}

/** The bytes of an object file, bounded (offload/input.ts): a regular file of at most 256 MiB. */
export function readObjectFile(path: string): Uint8Array {
  return readInputFile(path, 'object', { code: 'elf.read_failed', what: 'object file' });
}

/** Finds a program by name (or, failing that, by section name). */
export function findProgram(spec: ObjectSpec, name: string) {
  return spec.programs.find((p) => p.name === name) ?? spec.programs.find((p) => p.section === name);
}

/** Finds a map by its C name, its section name (internal maps) or its kernel name. */
export function findMap(spec: ObjectSpec, name: string) {
  return spec.maps.find((m) => m.name === name) ?? spec.maps.find((m) => m.kernelName === name);
}
