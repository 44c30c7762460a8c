// A device image: everything a worker thread needs to build cores of a loaded object — the arena's
// descriptor (maps included) and the predecoded programs, each in its full form (host path) and its
// NIC form (PUNT at the capability verifier's punt pcs). Structured-clone friendly: post it to a
// worker once, then `Arena.attach(image.arena)` and `coreFromImage` per modeled core.
import { Arena, type ArenaDescriptor } from '../../firmware/arena.ts';
import type { MapEnv } from '../../firmware/maps/index.ts';
import { type Program, withPunts } from '../../firmware/vm/interpreter.ts';
import { type CoreOptions, XdpCore } from '../../firmware/xdp/core.ts';
import type { LoadedObject } from './load.ts';

export interface ProgramImage {
  /** The whole program (host path). */
  full: Program;
  /** What a NIC core runs: `full` with PUNT at the punt pcs (the same object when there are none). */
  device: Program;
}

export interface DeviceImage {
  v: 1;
  arena: ArenaDescriptor;
  programs: ProgramImage[];
  /** Per map (ObjectSpec order): read-only for programs (.rodata, BPF_F_RDONLY_PROG). */
  readonlyMaps: boolean[];
}

/** The image of a loaded object; `puntPcs` maps a program's name to its CheckResult.punt_pcs. */
export function deviceImage(obj: LoadedObject, puntPcs: ReadonlyMap<string, readonly number[]> = new Map()): DeviceImage {
  return {
    v: 1,
    arena: obj.arena.describe(),
    programs: obj.programs.map((p) => {
      const pcs = puntPcs.get(p.spec.name);
      return { full: p.program, device: pcs?.length ? withPunts(p.program, pcs) : p.program };
    }),
    readonlyMaps: obj.spec.maps.map((m) => m.readonly),
  };
}

export interface ImageCoreOptions extends CoreOptions {
  /** 'device': the NIC form of every program; 'host': the full programs (the host path). */
  role: 'device' | 'host';
}

/** A core on arena slot `slot` running the image's programs (works in any thread attached to the arena). */
export function coreFromImage(image: DeviceImage, arena: Arena, slot: number, opts: ImageCoreOptions): XdpCore {
  const { role, ...coreOpts } = opts;
  const core = new XdpCore(arena, slot, coreOpts);
  image.readonlyMaps.forEach((ro, i) => core.setMapReadonly(i, ro));
  for (const p of image.programs) {
    const prog = role === 'device' ? p.device : p.full;
    core.programs[prog.id] = prog;
  }
  return core;
}

/** Attaches to the image's arena (in a worker thread); `env` as for attachMap. */
export function attachImage(image: DeviceImage, env?: MapEnv): Arena {
  return Arena.attach(image.arena, env);
}
