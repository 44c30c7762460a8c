// Faults as exit reasons: a fault of a tail-called program names that program (not the entry one),
// the core slot it ran on, the pc and the code; the state block records the code's index.
import { describe, expect, it } from 'vitest';
import { assemble } from '../../offload/isa/index.ts';
import { Arena } from '../../firmware/arena.ts';
import { EXIT } from '../../firmware/engine.ts';
import { mapObjectPointer } from '../../firmware/layout.ts';
import { S_FAULT, S_STATUS } from '../../firmware/state.ts';
import { interpreter } from '../../firmware/vm/engine.ts';
import { FAULT_CODES } from '../../firmware/vm/fault.ts';
import { predecode } from '../../firmware/vm/interpreter.ts';
import { XdpCore } from '../../firmware/xdp/core.ts';
import { setSlot } from '../../nic/runtime/load.ts';

const ENTRY = `
  r2 = 0 ll
  r3 = 0
  call 12
  r0 = 2
  exit`;
// Out of struct xdp_md (24 bytes): an out-of-bounds access at pc 0 of the tail-called program.
const TARGET = `
  r0 = *(u32 *)(r1 + 100)
  exit`;

function device(): { core: XdpCore; arena: Arena } {
  const arena = Arena.create([{ name: 'jmp', type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 }], { cores: 3, cpus: 1 });
  const core = new XdpCore(arena, 2, { cpu: 0 });
  core.programs[1] = predecode(assemble(ENTRY, { syntax: 'llvm' }), 'entry', (insn, pc) => (pc === 0 ? mapObjectPointer(0) : { lo: insn.imm, hi: insn.imm2 }), 512, { id: 1 });
  core.programs[2] = predecode(assemble(TARGET, { syntax: 'llvm' }), 'target', undefined, 512, { id: 2 });
  core.buf.reset(new Uint8Array(64));
  return { core, arena };
}

describe('faults', () => {
  it('a tail-called program faults under its own name, with the core, pc and code', () => {
    const { core, arena } = device();
    expect(setSlot(arena.maps[0]!, 0, 2)).toBe(0);
    expect(interpreter.run(core, 1)).toBe(EXIT.fault);
    const f = core.fault!;
    expect(f.faultCode).toBe('fault.mem');
    expect(f.reason).toMatch(/outside ctx/);
    expect(f.pc).toBe(0);
    expect(f.site).toEqual({ core: 2, programId: 2, program: 'target' });
    expect(core.blocks.state.words[S_STATUS]).toBe(EXIT.fault);
    expect(FAULT_CODES[core.blocks.state.words[S_FAULT]!]).toBe('fault.mem');
  });
  it('an empty prog_array slot falls through and the entry program exits', () => {
    const { core } = device();
    expect(interpreter.run(core, 1)).toBe(EXIT.exit);
    expect(core.action).toBe(2);
    expect(core.fault).toBeNull();
  });
});
