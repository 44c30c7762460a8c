// The interpreter as an Engine (firmware/engine.ts): runs on a core's own Vm (state block and stack in
// the arena) and turns faults into EXIT.fault with the core and the program that faulted.
import { EXIT, type Engine, type EngineCore, type ExitKind } from '../engine.ts';
import { S_FAULT, S_PROG, S_STATUS } from '../state.ts';
import { Fault } from './fault.ts';

function finish(core: EngineCore, fallbackId: number): ExitKind {
  const vm = core.vm;
  const w = vm.words;
  try {
    const k = vm.continue();
    w[S_STATUS] = k;
    return k;
  } catch (e) {
    if (!(e instanceof Fault)) throw e;
    const prog = vm.current;
    e.site = { core: core.blocks.index, programId: prog?.id ?? fallbackId, program: prog?.name ?? `#${fallbackId}` };
    core.fault = e;
    w[S_STATUS] = EXIT.fault;
    w[S_FAULT] = e.codeIndex;
    return EXIT.fault;
  } finally {
    core.executed = vm.executed;
  }
}

export const interpreter: Engine = {
  name: 'interp',
  run(core: EngineCore, programId: number): ExitKind {
    const prog = core.programs[programId];
    if (!prog) throw new RangeError(`no program with id ${programId} on core ${core.blocks.index}`);
    core.beginPacket();
    core.resetRegisters();
    core.vm.start(prog);
    return finish(core, programId);
  },
  resume(core: EngineCore): ExitKind {
    core.beginPacket(true);
    return finish(core, core.vm.words[S_PROG]!);
  },
};
