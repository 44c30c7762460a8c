// Running a bare instruction sequence on the JIT the way firmware/vm/raw.ts runs it on the
// interpreter (the bpf_conformance contract: r1 = the memory area, r2 = its length, r0 is the
// result). The memory area is placed after one core slot of a small shared memory and addressed as
// region REGION_MAP0 (a compiled-in region, like a map); no helpers, no context.
import { NicsimError } from '../../offload/errors.ts';
import { firstUninitRead } from '../../offload/cfg/init.ts';
import { decodeProgram } from '../../offload/isa/index.ts';
import { CORE_BASE, CORE_STRIDE, WASM_PAGE } from '../arena.ts';
import { Fault } from '../vm/fault.ts';
import { type RawResult } from '../vm/raw.ts';
import { predecode } from '../vm/interpreter.ts';
import { REGION_MAP0, REGION_STACK, REGION_TAG, S_BUDGET, S_HI, S_LO, S_MAYGOTO, STACK_BYTES, STACK_FRAME } from './abi.ts';
import { jitFault } from './faults.ts';
import { compileObject } from './module.ts';
import { JIT_STATUS } from './abi.ts';

const BUDGET = 64_000_000;
const BPF_MAX_LOOPS = 8 * 1024 * 1024;

interface WasmApi {
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => { buffer: SharedArrayBuffer };
  Module: new (b: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: Record<string, unknown> };
}
export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Runs `program` (raw bytes) over a copy of `mem` on the JIT. Throws InputError, Fault or JitUnsupported. */
export function runRawJit(program: Uint8Array, mem: Uint8Array): RawResult {
  const slots = decodeProgram(program);
  const bad = firstUninitRead(slots, 0b110);
  if (bad) throw new NicsimError('verifier.uninit_reg', `R${bad.reg} !read_ok (register read before it is written)`, { pc: bad.pc }, 1);
  const core = CORE_BASE;
  const memOff = CORE_BASE + CORE_STRIDE;
  const len = Math.max(8, (mem.length + 7) & ~7);
  const memory = new wasm.Memory({ initial: Math.ceil((memOff + len) / WASM_PAGE), maximum: Math.ceil((memOff + len) / WASM_PAGE), shared: true });
  const u8 = new Uint8Array(memory.buffer);
  u8.set(mem, memOff);
  const out = compileObject({
    programs: [{ program: predecode(slots, 'raw', undefined, STACK_FRAME, { id: 1 }), slots }],
    maps: [{ start: memOff, end: memOff + mem.length, writable: true }],
  });
  const words = new Int32Array(memory.buffer, core, 256);
  const fault = (kind: number, pc: number, prog: number, reg: number, off: number, size: number, value: bigint, r10lo: number) => {
    throw jitFault({
      region: (i, r10) => i === REGION_STACK ? { name: 'stack', start: r10 - STACK_FRAME, end: STACK_BYTES, writable: true, ctx: false }
        : i === REGION_MAP0 ? { name: 'mem', start: memOff, end: memOff + mem.length, writable: true, ctx: false, origin: memOff } : undefined,
      program: () => ({ name: 'raw', slots: slots.length }),
    }, kind, pc, prog, reg, off, size, value, r10lo);
  };
  const ldpkt = (size: number, offset: number, _pc: number) => {
    if (offset < 0 || offset + size > mem.length) return 0;
    const dv = new DataView(memory.buffer, memOff);
    words[S_LO] = size === 1 ? dv.getUint8(offset) : size === 2 ? dv.getUint16(offset, false) : dv.getInt32(offset, false);
    return 1;
  };
  const helper = (id: number, pc: number) => {
    throw new Fault('fault.helper', `helper ${id} is not available here`, pc);
  };
  const kfunc = (id: number, pc: number) => {
    throw new Fault('fault.helper', `kfunc ${id} is not available here`, pc);
  };
  const inst = new wasm.Instance(new wasm.Module(out.bytes), { env: { mem: memory, core, cpu: 0, helper, fault, ldpkt, kfunc } });
  (inst.exports.init as () => void)();
  words[S_LO + 1] = memOff;
  words[S_HI + 1] = REGION_TAG + REGION_MAP0;
  words[S_LO + 2] = mem.length;
  words[S_LO + 10] = STACK_BYTES;
  words[S_HI + 10] = REGION_TAG + REGION_STACK;
  words[S_BUDGET] = BUDGET;
  words[S_MAYGOTO] = BPF_MAX_LOOPS;
  const status = (inst.exports.run as (t: number) => number)(out.entry.get(1)!);
  if (status === JIT_STATUS.punt) throw new Fault('fault.budget', `instruction budget of ${BUDGET} exhausted (the program does not terminate in time)`, words[22]!);
  const r0 = (BigInt(words[S_HI]! >>> 0) << 32n) | BigInt(words[S_LO]! >>> 0);
  return { r0: `0x${r0.toString(16)}`, mem: u8.slice(memOff, memOff + mem.length), executed: BUDGET - words[S_BUDGET]! };
}
