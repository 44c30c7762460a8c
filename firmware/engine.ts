// The interface every execution engine implements (the interpreter in firmware/vm, a Wasm JIT in
// firmware/jit): run one program on one core for the packet in the core's buffer, from a fresh state,
// or resume from the state in the core's state block. The result is a small number, never an object,
// so a packet costs no allocation; the details are in the core:
//   EXIT.exit   r0 in state.lo[0] / state.hi[0] (the XDP action is lo[0] >>> 0)
//   EXIT.punt   the program reached a punt pc (an instruction the device cannot execute): the state
//               block holds pc = that pc (not executed), the program id, the frame chain, registers,
//               budget; stack and packet are in the core's blocks. Copy them to a host-path core
//               (Arena.copyCore) and `resume` there with the unpunted program.
//   EXIT.fault  core.fault is a Fault with the code, pc, and site (core, program id and name).
import type { Arena, CoreBlocks } from './arena.ts';
import type { Fault } from './vm/fault.ts';
import type { Program, Vm } from './vm/interpreter.ts';

export const EXIT = { exit: 1, punt: 2, fault: 3 } as const;
export type ExitKind = (typeof EXIT)[keyof typeof EXIT];

/** What an engine needs from a core (XdpCore implements it). */
export interface EngineCore {
  readonly arena: Arena;
  /** This core's arena slot and its views. */
  readonly blocks: CoreBlocks;
  /** Programs by id (index = id; index 0 unused). On a NIC core: copies with PUNT at the punt pcs. */
  readonly programs: readonly (Program | undefined)[];
  /** Per-packet instruction budget. */
  budget: number;
  /** Instructions executed by the last engine call (run or resume). */
  executed: number;
  /** The fault of the last call that returned EXIT.fault. */
  fault: Fault | null;
  /** The interpreter bound to this core's state block and stack (the host path, engines' fallback). */
  readonly vm: Vm;
  /**
   * Before an engine call: re-reads the packet window from the ctx block, clears the trace and the
   * fault; a fresh run (`resuming` false) also clears the redirect target.
   */
  beginPacket(resuming?: boolean): void;
  /** Fresh registers: all zero, r1 = the context pointer. */
  resetRegisters(): void;
}

export interface Engine {
  readonly name: 'interp' | 'jit';
  /** Runs program `programId` from pc 0 with r1 = ctx, r10 = the entry frame pointer, a full budget. */
  run(core: EngineCore, programId: number): ExitKind;
  /** Continues from the core's state block (its pc, program, frames, registers, budget). */
  resume(core: EngineCore): ExitKind;
}
