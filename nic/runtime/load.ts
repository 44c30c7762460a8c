// Host side of running an object: creates its maps in one arena (firmware/arena.ts) with initial
// contents for .data/.rodata/.bss, frozen .rodata, prog_array slots initialised in C; assigns
// program ids; resolves lddw through firmware/layout.ts's pointer encoding and pre-decodes every
// program for the interpreter. The result can be attached to any number of XdpCores: one per arena
// core slot in this thread, or in other threads through a device image (image.ts).
import { InputError } from '../../offload/errors.ts';
import type { MapSpec as ElfMapSpec, ObjectSpec, ProgramSpec } from '../../offload/elf/index.ts';
import { decodeProgram, PSEUDO, type Slot } from '../../offload/isa/index.ts';
import { Arena } from '../../firmware/arena.ts';
import { funcPointer, mapObjectPointer, mapValuePointer } from '../../firmware/layout.ts';
import { type BpfMap, isMapError, type MapSpec as FirmwareMapSpec, mapTypeName as simulatedType } from '../../firmware/maps/index.ts';
import { predecode, type Program } from '../../firmware/vm/interpreter.ts';
import { type CoreOptions, XdpCore } from '../../firmware/xdp/core.ts';
import type { AccessProofs } from '../../firmware/jit/proofs.ts';

export interface LoadedProgram {
  id: number;
  spec: ProgramSpec;
  slots: Slot[];
  program: Program;
  /** What the verifier proved about its memory accesses (the JIT drops the region dispatch there), when it was verified. */
  proofs?: AccessProofs;
}

export interface LoadedObject {
  spec: ObjectSpec;
  /** The device memory: every map and `cores` core slots. */
  arena: Arena;
  maps: BpfMap[];
  programs: LoadedProgram[];
  cpus: number;
  /** Maps no program of the object refers to whose type nicsim does not simulate (struct_ops, socket or cgroup storage...): a one-entry array stands in for each. */
  ignoredMaps: ReadonlySet<number>;
  /** What the load left out, one line each (ignored maps, programs of other types), for the user. */
  notes: string[];
}

export interface LoadOptions {
  /** Number of (simulated) CPUs: per-CPU map copies. */
  cpus: number;
  /** Core slots of the arena (default 1: a test_run CPU). */
  cores?: number;
  /** Stack bytes each program's entry frame uses (from the verifier): only those are cleared per run. */
  stackDepths?: ReadonlyMap<string, number>;
  /** Per program, the stack bytes of each bpf-to-bpf callee by its start pc (from the verifier). */
  calleeDepths?: ReadonlyMap<string, ReadonlyMap<number, number>>;
  /** Per program, the verifier's access proofs (firmware/jit/proofs.ts accessProofs). */
  accessProofs?: ReadonlyMap<string, AccessProofs>;
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

/** Indexes of the maps some loadable XDP program refers to (lddw of a map or of a map value). */
function referencedMaps(spec: ObjectSpec): Set<number> {
  const used = new Set<number>();
  for (const p of spec.programs) {
    if (p.unsupported.length || p.typeName !== 'xdp') continue;
    for (const s of decodeProgram(p.insns, { loc: { file: spec.file, section: p.section, offset: p.offset } })) {
      if (s?.kind === 'lddw' && (s.pseudo === PSEUDO.mapIdx || s.pseudo === PSEUDO.mapIdxValue)) used.add(s.imm);
    }
  }
  return used;
}

export function loadForRun(spec: ObjectSpec, opts: LoadOptions): LoadedObject {
  // Maps of types XDP never uses that no program refers to (struct_ops, socket storage...) do not
  // stop the load: a placeholder keeps the map indexes, as the kernel would simply never see them
  // from an XDP program.
  const used = referencedMaps(spec);
  const ignoredMaps = new Set<number>();
  const notes: string[] = [];
  spec.maps.forEach((m, i) => {
    if (simulatedType(m.type) === undefined && !used.has(i)) {
      ignoredMaps.add(i);
      notes.push(`map '${m.name}' (${m.typeName}) is not used by any XDP program: ignored`);
    }
  });
  for (const w of spec.warnings ?? []) if (w.code === 'elf.skipped_struct_ops') notes.push(w.message);
  for (const p of spec.programs) if (p.typeName !== 'xdp') notes.push(`program '${p.name}' (${p.typeName}) is not an XDP program: loaded, never run`);
  const mapSpecs = spec.maps.map((m, i) =>
    ignoredMaps.has(i) ? { name: m.name, type: 'array' as const, keySize: 4, valueSize: 4, maxEntries: 1 } : firmwareSpec(m));
  const created: { maps: BpfMap[] } = { maps: [] };
  // Handles the host passes for programs and maps are their ids: program i + 1, map i + 1.
  const env = {
    resolveProg: (h: number) => (h > 0 ? h : -9),
    resolveMap: (h: number) => (created.maps[h - 1] ? { id: h, geometry: created.maps[h - 1]!.geometry } : -9),
  };
  let arena: Arena;
  try {
    arena = Arena.create(mapSpecs, { cores: opts.cores ?? 1, cpus: opts.cpus, env, onMapError: (i, e) => mapError(spec, spec.maps[i]!, e) });
  } catch (e) {
    if (e instanceof RangeError) throw new InputError('load.arena', e.message, { file: spec.file });
    throw e;
  }
  const maps = arena.maps;
  created.maps = maps;
  spec.maps.forEach((m, i) => {
    const map = maps[i]!;
    if (m.initial) {
      const rc = map.updateHost(new Uint8Array(map.keySize), m.initial, 0);
      if (rc !== 0) throw new InputError('load.map', `cannot initialise map '${m.name}': errno ${-rc}`, { file: spec.file });
    }
    if (m.frozen) map.freeze();
  });
  const programs: LoadedProgram[] = [];
  spec.programs.forEach((p, i) => {
    // Programs the loader does not load (autoload off) are never decoded.
    if (!p.autoload || p.unsupported.length) return;
    const loc = { file: spec.file, section: p.section, offset: p.offset };
    const slots = decodeProgram(p.insns, { loc });
    const callee = opts.calleeDepths?.get(p.name);
    const program = predecode(
      slots,
      p.name,
      (insn, pc) => {
        switch (insn.pseudo) {
          case 0:
            return { lo: insn.imm, hi: insn.imm2 };
          case PSEUDO.mapIdx:
            return mapObjectPointer(insn.imm);
          case PSEUDO.mapIdxValue: {
            const map = maps[insn.imm];
            if (!map) throw new InputError('load.map_ref', `lddw refers to map ${insn.imm}, which does not exist`, { ...loc, pc });
            return mapValuePointer(insn.imm, valueZero(map) + insn.imm2);
          }
          case PSEUDO.func:
            return funcPointer(pc + insn.imm + 1);
          default:
            throw new InputError('load.lddw', `lddw with pseudo source ${insn.pseudo} cannot be resolved by nicsim`, { ...loc, pc });
        }
      },
      opts.stackDepths?.get(p.name) ?? 512,
      { id: i + 1, ...(callee ? { calleeDepth: (pc: number) => callee.get(pc) } : {}) },
    );
    const proofs = opts.accessProofs?.get(p.name);
    programs.push({ id: i + 1, spec: p, slots, program, ...(proofs ? { proofs } : {}) });
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
  return { spec, arena, maps, programs, cpus: opts.cpus, ignoredMaps, notes };
}

export function setSlot(map: BpfMap, index: number, value: number): number {
  const k = new Uint8Array(4);
  const v = new Uint8Array(4);
  new DataView(k.buffer).setUint32(0, index, true);
  new DataView(v.buffer).setUint32(0, value, true);
  return map.updateHost(k, v, 0);
}

/** A core on arena slot `slot`, attached to a loaded object's maps and programs. */
export function coreFor(obj: LoadedObject, cpu = 0, seed?: number, slot = 0, opts: Omit<CoreOptions, 'cpu' | 'seed'> = {}): XdpCore {
  const core = new XdpCore(obj.arena, slot, { ...opts, cpu, ...(seed !== undefined ? { seed } : {}) });
  obj.spec.maps.forEach((m, i) => core.setMapReadonly(i, m.readonly));
  for (const p of obj.programs) core.programs[p.id] = p.program;
  return core;
}
