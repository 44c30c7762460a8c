// Host side of running an object: creates its maps (with initial contents for .data/.rodata/.bss,
// frozen .rodata, prog_array slots initialised in C), assigns program ids, resolves map references
// in lddw and pre-decodes every program for the interpreter. The result can be attached to any
// number of XdpCores (maps live in SharedArrayBuffers).
import { InputError } from '../../offload/errors.ts';
import type { MapSpec as ElfMapSpec, ObjectSpec, ProgramSpec } from '../../offload/elf/index.ts';
import { decodeProgram, type Slot } from '../../offload/isa/index.ts';
import { type BpfMap, createMap, isMapError, type MapSpec as FirmwareMapSpec } from '../../firmware/maps/index.ts';
import { predecode, type Program } from '../../firmware/vm/interpreter.ts';
import { FUNC_PTR_TAG, MAP_PTR_TAG, REGION_TAG } from '../../firmware/vm/memory.ts';
import { REGION_MAP0, XdpCore } from '../../firmware/xdp/core.ts';

export interface LoadedProgram {
  id: number;
  spec: ProgramSpec;
  slots: Slot[];
  program: Program;
}

export interface LoadedObject {
  spec: ObjectSpec;
  maps: BpfMap[];
  programs: LoadedProgram[];
  cpus: number;
}

export interface LoadOptions {
  /** Number of (simulated) CPUs: per-CPU map copies. */
  cpus: number;
  /** Stack bytes each program uses (from the verifier): only those are cleared per run. */
  stackDepths?: ReadonlyMap<string, number>;
}

function mapError(spec: ObjectSpec, m: ElfMapSpec, e: unknown): never {
  if (isMapError(e)) throw new InputError('load.map', `cannot create map '${m.name}': ${e.message}`, { file: spec.file });
  throw e;
}

/** Byte offset (inside map.data) of the value at key 0 of an array map (internal maps, map_value lddw). */
function valueZero(map: BpfMap): number {
  const off = map.lookup(new Uint8Array(map.keySize), 0, 0);
  if (off < 0) throw new InputError('load.map_value', `map ${map.name} has no element 0: a map value lddw needs an array map (the kernel: no direct value access)`);
  return off;
}

/** The firmware's map spec of a loader map spec (with its inner-map template). */
function firmwareSpec(m: ElfMapSpec): FirmwareMapSpec {
  return {
    name: m.name,
    type: m.type,
    keySize: m.keySize,
    valueSize: m.valueSize,
    maxEntries: m.maxEntries,
    flags: m.flags,
    ...(m.inner ? { innerMap: firmwareSpec(m.inner) } : {}),
  };
}

export function loadForRun(spec: ObjectSpec, opts: LoadOptions): LoadedObject {
  const maps: BpfMap[] = [];
  // Handles the host passes for programs and maps are their ids: program i + 1, map i + 1.
  const env = {
    resolveProg: (h: number) => (h > 0 ? h : -9),
    resolveMap: (h: number) => (maps[h - 1] ? { id: h, geometry: maps[h - 1]!.geometry } : -9),
  };
  for (const m of spec.maps) {
    let map: BpfMap;
    try {
      map = createMap(firmwareSpec(m), { cpus: opts.cpus, env });
    } catch (e) {
      mapError(spec, m, e);
    }
    if (m.initial) {
      const rc = map.updateHost(new Uint8Array(map.keySize), m.initial, 0);
      if (rc !== 0) throw new InputError('load.map', `cannot initialise map '${m.name}': errno ${-rc}`, { file: spec.file });
    }
    if (m.frozen) map.freeze();
    maps.push(map);
  }
  const programs: LoadedProgram[] = [];
  spec.programs.forEach((p, i) => {
    if (p.unsupported.length) return;
    const loc = { file: spec.file, section: p.section, offset: p.offset };
    const slots = decodeProgram(p.insns, { loc });
    const program = predecode(
      slots,
      p.name,
      (insn, pc) => {
        switch (insn.pseudo) {
          case 0:
            return { lo: insn.imm, hi: insn.imm2 };
          case 5:
            return { lo: insn.imm, hi: MAP_PTR_TAG };
          case 6: {
            const map = maps[insn.imm];
            if (!map) throw new InputError('load.map_ref', `lddw refers to map ${insn.imm}, which does not exist`, { ...loc, pc });
            return { lo: (valueZero(map) + insn.imm2) | 0, hi: REGION_TAG + REGION_MAP0 + insn.imm };
          }
          case 4:
            return { lo: pc + insn.imm + 1, hi: FUNC_PTR_TAG };
          default:
            throw new InputError('load.lddw', `lddw with pseudo source ${insn.pseudo} cannot be resolved by nicsim`, { ...loc, pc });
        }
      },
      opts.stackDepths?.get(p.name) ?? 512,
    );
    programs.push({ id: i + 1, spec: p, slots, program });
  });
  // prog_array and map-in-map slots initialised in C.
  spec.maps.forEach((m, i) => {
    for (const s of m.initSlots ?? []) {
      const id = s.kind === 'program' ? programs.find((p) => p.spec.name === s.name)?.id : spec.maps.findIndex((x) => x.name === s.name) + 1;
      if (!id) continue;
      const rc = setSlot(maps[i]!, s.index, id);
      if (rc !== 0) throw new InputError('load.init_slot', `cannot put ${s.kind} '${s.name}' into slot ${s.index} of map '${m.name}': errno ${-rc}`, { file: spec.file });
    }
  });
  return { spec, maps, programs, cpus: opts.cpus };
}

export function setSlot(map: BpfMap, index: number, value: number): number {
  const k = new Uint8Array(4);
  const v = new Uint8Array(4);
  new DataView(k.buffer).setUint32(0, index, true);
  new DataView(v.buffer).setUint32(0, value, true);
  return map.updateHost(k, v, 0);
}

/** A core attached to a loaded object's maps and programs. */
export function coreFor(obj: LoadedObject, cpu = 0, seed?: number): XdpCore {
  const core = new XdpCore({ cpu, ...(seed !== undefined ? { seed } : {}) });
  core.setMaps(obj.maps);
  obj.spec.maps.forEach((m, i) => core.setMapReadonly(i, m.readonly));
  for (const p of obj.programs) core.programs.set(p.id, p.program);
  return core;
}
