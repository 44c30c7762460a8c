// Running a bare instruction sequence the way the bpf_conformance suite defines it: r1 points at a
// memory area (the test's `-- mem`), r2 holds its length, r10 is the frame pointer of a 512-byte
// stack; the result is r0. No context, no helpers, no maps.
import { NicsimError } from '../../offload/errors.ts';
import { firstUninitRead } from '../../offload/cfg/init.ts';
import { decodeProgram, type DecodeOptions } from '../../offload/isa/index.ts';
import { makeRegion } from './memory.ts';
import { predecode, Vm } from './interpreter.ts';

export interface RawResult {
  /** r0 as an unsigned 64-bit hex string, e.g. "0x1f". */
  r0: string;
  /** The memory area after the run. */
  mem: Uint8Array;
  executed: number;
}

/**
 * Runs `program` (raw bytes) over a copy of `mem`. Throws InputError (bad encoding) or Fault.
 * `decode` admits encodings beyond the kernel's (the conformance suite's callx).
 */
export function runRaw(program: Uint8Array, mem: Uint8Array, vm = new Vm(), decode: DecodeOptions = {}): RawResult {
  const slots = decodeProgram(program, decode);
  // Programs that read a register before writing it have no defined result (the kernel refuses them).
  const bad = firstUninitRead(slots, 0b110);
  if (bad) throw new NicsimError('verifier.uninit_reg', `R${bad.reg} !read_ok (register read before it is written)`, { pc: bad.pc }, 1);
  const prog = predecode(slots, 'raw');
  // 8-aligned copy so that atomics work on it.
  const buf = new Uint8Array(new ArrayBuffer(Math.max(8, (mem.length + 7) & ~7)), 0, mem.length);
  buf.set(mem);
  vm.regions.length = 1;
  const memRegion = makeRegion('mem', buf, true);
  const idx = vm.addRegion(memRegion);
  // Legacy LD_ABS / LD_IND read the memory area as the packet.
  vm.env = { ...vm.env, legacyPacket: () => ({ region: memRegion, data: 0, end: mem.length }) };
  vm.lo.fill(0);
  vm.hi.fill(0);
  const p = Vm.pointer(idx, 0);
  vm.lo[1] = p.lo;
  vm.hi[1] = p.hi;
  vm.lo[2] = mem.length;
  vm.run(prog);
  const r0 = (BigInt(vm.hi[0]! >>> 0) << 32n) | BigInt(vm.lo[0]! >>> 0);
  return { r0: `0x${r0.toString(16)}`, mem: buf, executed: vm.executed };
}
