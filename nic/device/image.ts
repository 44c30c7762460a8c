// Admission and the device image. Before any packet runs, the object passes the safety verifier
// (every XDP program, as a kernel load does) and the capability verifier for the profile; the verdict
// decides where packets run. The image is what every core worker receives (structured-clone
// friendly): pre-decoded programs, the maps' shared-memory descriptors, the profile's action table
// and the cost numbers of the NIC ring model.
import { InputError, NicsimError, UsageError } from '../../offload/errors.ts';
import { lineAt, type ObjectSpec, type ProgramSpec } from '../../offload/elf/index.ts';
import { assertMapsFitDevice, type CheckResult, checkProgram, verifierSafety } from '../../offload/capability/index.ts';
import { verifyProgram } from '../../offload/verifier/index.ts';
import type { ArenaDescriptor } from '../../firmware/arena.ts';
import { type Program, withPunts } from '../../firmware/vm/interpreter.ts';
import type { Profile } from '../profile/index.ts';
import type { XdpAction } from '../profile/vocab.ts';
import { loadMode } from '../../offload/capability/run.ts';
import { type CycleTables, cycleTables } from '../model/device-model.ts';
import { compileJit, type JitCode, mapBoundsOf } from '../../firmware/jit/engine.ts';
import { XdpCore } from '../../firmware/xdp/core.ts';
import { loadForRun, type LoadedObject } from '../runtime/load.ts';
import { addDepths, type StackDepths } from '../runtime/depths.ts';
import { type DeviceKernel, deviceKernel } from '../../firmware/kfuncs/device.ts';
import type { ConntrackTable } from '../../firmware/kfuncs/conntrack.ts';

/** Where packets run, from the capability verdict. */
export type Placement = 'nic' | 'partial' | 'host';

export interface DeviceImage {
  object: string;
  program: string;
  entry: number;
  programs: Program[];
  /** The device memory: every map and 2 x cores core slots (NIC core c, host-path core cores + c). */
  arena: ArenaDescriptor;
  readonly: boolean[];
  /** Map type per map index (redirect targets). */
  mapTypes: string[];
  cores: number;
  placement: Placement;
  /** pcs where the NIC copy stops and the host continues (placement `partial`). */
  puntPcs: number[];
  /** offload.actions: what the hardware does with each return code. */
  actions: Record<'aborted' | 'drop' | 'pass' | 'tx' | 'redirect' | 'other', XdpAction>;
  /** The cost model's cycle tables: what each instruction costs on the NIC and on the host path. */
  cycles: CycleTables;
  /** The JIT's compiled module (engine jit), compiled once per run; null for the interpreter. */
  jit: JitCode | null;
  ringDepth: number;
  queues: number;
  seed: number;
  engine: string;
  budget?: number;
  /** kfuncs: the shared conntrack table and the receive metadata (firmware/kfuncs/device.ts). */
  kernel: DeviceKernel;
}

/** A refused run: exit 1 with the first finding and its C line. */
export class AdmissionError extends NicsimError {
  constructor(reason: string) {
    super('run.rejected', reason, {}, 1);
  }
}

const where = (p: ProgramSpec, pc: number | null): string => {
  if (pc === null) return '';
  const l = lineAt(p.lineInfo, pc);
  return ` at pc ${pc}${l ? ` (${l.file.split('/').pop()}:${l.line}: ${l.text.trim()})` : ''}`;
};

/** Picks the program to run: the named one, or the object's only XDP program. */
export function pickProgram(spec: ObjectSpec, name?: string): ProgramSpec {
  const xdp = spec.programs.filter((p) => p.typeName === 'xdp' && !p.unsupported.length);
  if (name !== undefined) {
    const p = xdp.find((x) => x.name === name) ?? xdp.find((x) => x.section === name);
    if (!p) throw new InputError('run.no_program', `no XDP program '${name}' in ${spec.file} (programs: ${xdp.map((x) => x.name).join(', ')})`, { file: spec.file });
    return p;
  }
  if (xdp.length !== 1) throw new UsageError(`${spec.file} has ${xdp.length} XDP programs (${xdp.map((x) => x.name).join(', ')}): choose one with --program NAME`);
  return xdp[0]!;
}

export interface Admission extends StackDepths {
  check: CheckResult;
}

/** The safety verifier on every XDP program, then the capability verifier on the one that runs. */
export function admit(spec: ObjectSpec, program: ProgramSpec, profile: Profile): Admission {
  const depths: Required<StackDepths> = { stackDepths: new Map(), calleeDepths: new Map(), accessProofs: new Map() };
  // loaded as `check` loads it for this device: offloaded, or bound to it (offload/capability/run.ts)
  const mode = loadMode(profile);
  for (const p of spec.programs) {
    if (!p.autoload || p.unsupported.length || p.typeName !== 'xdp') continue;
    const v = verifyProgram(spec, p, mode);
    if (!v.accepted) {
      const e = v.error!;
      throw new AdmissionError(`${spec.file}: program ${p.name} is rejected by the safety verifier${where(p, e.pc)}: ${e.message}`);
    }
    addDepths(depths, p.name, v);
  }
  const check = checkProgram(spec, program, { name: profile.name, profile }, verifierSafety);
  if (check.verdict === 'rejected') {
    const r = check.rejected!;
    throw new AdmissionError(`${spec.file}: program ${program.name} is rejected${where(program, r.pc)}: ${r.message}`);
  }
  return { check, ...depths };
}

export interface ImageOptions {
  cores: number;
  seed: number;
  engine: string;
  budget?: number;
  /** The conntrack table the run starts with (--conntrack). */
  conntrack?: ConntrackTable;
}

/**
 * Loads the object for `cores` modeled cores (per-CPU maps: one copy per modeled core; arena slots: a
 * NIC core and a host-path core per modeled core) and builds the image.
 */
export function buildImage(spec: ObjectSpec, program: ProgramSpec, profile: Profile, a: Admission, o: ImageOptions): { image: DeviceImage; loaded: LoadedObject; conntrack: ConntrackTable | null } {
  // issue 13: no map may make nicsim allocate more than the profile's device memory (checked before any is created)
  assertMapsFitDevice(spec, profile, profile.name);
  const loaded = loadForRun(spec, { cpus: o.cores, cores: 2 * o.cores, stackDepths: a.stackDepths, calleeDepths: a.calleeDepths, ...(a.accessProofs ? { accessProofs: a.accessProofs } : {}) });
  const entry = loaded.programs.find((p) => p.spec === program);
  if (!entry) throw new InputError('run.no_program', `program '${program.name}' cannot be loaded`, { file: spec.file });
  const placement: Placement = a.check.verdict === 'offload' ? 'nic' : a.check.verdict === 'partial' ? 'partial' : 'host';
  const cycles = cycleTables(profile, a.check, loaded.programs, entry.id);
  let jit: JitCode | null = null;
  if (o.engine === 'jit') {
    const probe = new XdpCore(loaded.arena, 0, { cpu: 0 });
    spec.maps.forEach((m, i) => probe.setMapReadonly(i, m.readonly));
    // what the NIC cores run: the entry program with PUNT at the punt pcs (partial placement), the
    // verifier's access proofs, and the cost tables compiled in (the cores account cycles exactly as
    // the interpreter does)
    const nicPrograms = loaded.programs.map((p) => ({
      program: placement === 'partial' && p.id === entry.id && a.check.punt_pcs.length ? withPunts(p.program, a.check.punt_pcs) : p.program,
      slots: p.slots,
      ...(p.proofs ? { proofs: p.proofs } : {}),
    }));
    jit = compileJit(nicPrograms, mapBoundsOf(probe), { cycles: { cost: cycles.nic, memory: cycles.memory } });
  }
  const k = deviceKernel(spec, profile.rx, o.conntrack);
  const image: DeviceImage = {
    object: spec.file,
    program: program.name,
    entry: entry.id,
    programs: loaded.programs.map((p) => p.program),
    arena: loaded.arena.describe(),
    readonly: spec.maps.map((m) => m.readonly),
    mapTypes: loaded.maps.map((m) => m.type),
    cores: o.cores,
    placement,
    puntPcs: a.check.punt_pcs,
    actions: profile.offload.actions,
    cycles,
    jit,
    ringDepth: profile.rx.ring_depth,
    queues: profile.rx.queues,
    seed: o.seed,
    engine: o.engine,
    ...(o.budget !== undefined ? { budget: o.budget } : {}),
    kernel: k.kernel,
  };
  return { image, loaded, conntrack: k.table };
}
