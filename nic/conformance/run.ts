// How `nicsim conformance-plugin` runs one program of the public bpf_conformance suite, in each of the
// runner's modes. The runner (github Alan-Jowett/bpf_conformance) hands the plugin either raw
// instruction bytes or, with `--elf`, an ELF object it wrote itself (one function `main` in section
// `.text`, or `xdp` with `--xdp_prolog`). With `--xdp_prolog` it puts a fixed prolog in front of the
// test: r1 is then an XDP context, the prolog loads data/data_end, checks that the packet holds the
// test memory and sets r1/r2 to the memory and its length (the kernel plugin runs every test that way).
// The plugin is not told which mode is on, so a program that starts with exactly that prolog (for this
// memory size) runs as an XDP program over the memory as its packet; anything else runs as RFC 9669
// defines a bare program: r1 = memory, r2 = its length.
// Either way the XDP helpers that need no context are available (helper 5, bpf_ktime_get_ns, is what
// call_unwind_fail.data calls, as the kernel's XDP programs may), and `callx` (0x8d, the runner's
// callx group: call the helper whose id is in dst) is decoded. No safety verifier runs: the suite tests
// the instruction set, including programs the kernel's verifier refuses.
import { NicsimError } from '../../offload/errors.ts';
import { firstUninitRead } from '../../offload/cfg/init.ts';
import { decodeProgram, type DecodeOptions } from '../../offload/isa/index.ts';
import { Arena } from '../../firmware/arena.ts';
import { Fault } from '../../firmware/vm/fault.ts';
import { type Env, predecode } from '../../firmware/vm/interpreter.ts';
import { runRaw } from '../../firmware/vm/raw.ts';
import { ETH_HLEN } from '../../firmware/xdp/buffer.ts';
import { XdpCore } from '../../firmware/xdp/core.ts';

/** What the suite's programs may contain beyond the kernel's instruction set. */
const DECODE: DecodeOptions = { callx: true };

/** The runner's XDP prolog for a test memory of `size` bytes (9 instructions, as its source builds it). */
export function xdpProlog(size: number): Uint8Array {
  const insns: [number, number, number, number][] = [
    [0xb7, 0x00, 0, -1], // r0 = -1
    [0xbf, 0x16, 0, 0], // r6 = r1
    [0x61, 0x61, 0, 0], // r1 = *(u32 *)(r6 + 0)   data
    [0x61, 0x62, 4, 0], // r2 = *(u32 *)(r6 + 4)   data_end
    [0xbf, 0x13, 0, 0], // r3 = r1
    [0x07, 0x03, 0, size], // r3 += size
    [0xbd, 0x23, 1, 0], // if r3 <= r2 goto +1
    [0x95, 0x00, 0, 0], // exit
    [0xb7, 0x02, 0, size], // r2 = size
  ];
  const out = new Uint8Array(insns.length * 8);
  const dv = new DataView(out.buffer);
  insns.forEach(([code, regs, off, imm], i) => {
    out[i * 8] = code;
    out[i * 8 + 1] = regs;
    dv.setInt16(i * 8 + 2, off, true);
    dv.setInt32(i * 8 + 4, imm, true);
  });
  return out;
}

/** True when `code` starts with the runner's XDP prolog for a memory of `memSize` bytes. */
export function hasXdpProlog(code: Uint8Array, memSize: number): boolean {
  if (memSize === 0) return false; // the runner adds no prolog when the test has no memory
  const p = xdpProlog(memSize);
  if (code.length < p.length) return false;
  for (let i = 0; i < p.length; i++) if (code[i] !== p[i]) return false;
  return true;
}

export interface ConformanceResult {
  r0: bigint;
  /** 'xdp' when the program ran as an XDP program behind the runner's prolog. */
  mode: 'raw' | 'xdp';
}

/** A one-core device without maps. */
const oneCore = (): XdpCore => new XdpCore(Arena.create([], { cores: 1, cpus: 1 }), 0);

/**
 * The context-free part of the XDP helpers, for a bare program run on `core`'s own Vm (the helpers
 * read and write that Vm's registers): no context, no maps.
 */
function rawEnv(core: XdpCore): Env {
  const noCtx = (pc: number): never => {
    throw new Fault('fault.ctx', 'no context in this run', pc);
  };
  return {
    helper: (vm, id, pc) => core.helper(vm, id, pc),
    ctxLoad: (_vm, _r, _o, _s, pc) => noCtx(pc),
    ctxStore: (_vm, _r, _o, _s, _l, _h, pc) => noCtx(pc),
  };
}

/** Runs one conformance program over `mem`. Throws InputError (bad encoding), NicsimError or Fault. */
export function runConformance(code: Uint8Array, mem: Uint8Array, budget?: number): ConformanceResult {
  if (!hasXdpProlog(code, mem.length)) {
    const core = oneCore();
    const vm = core.vm;
    if (budget !== undefined) vm.budget = budget;
    vm.env = rawEnv(core);
    return { r0: BigInt(runRaw(code, mem, vm, DECODE).r0), mode: 'raw' };
  }
  const slots = decodeProgram(code, DECODE);
  // r1 (the context) is the only register set on entry.
  const bad = firstUninitRead(slots, 0b10);
  if (bad) throw new NicsimError('verifier.uninit_reg', `R${bad.reg} !read_ok (register read before it is written)`, { pc: bad.pc }, 1);
  const core = oneCore();
  if (budget !== undefined) core.vm.budget = budget;
  // BPF_PROG_TEST_RUN needs an Ethernet header's worth of data; the kernel plugin pads with zeros.
  const packet = new Uint8Array(Math.max(ETH_HLEN, mem.length));
  packet.set(mem);
  core.run(predecode(slots, 'conformance'), packet);
  const r0 = (BigInt(core.vm.hi[0]! >>> 0) << 32n) | BigInt(core.vm.lo[0]! >>> 0);
  return { r0, mode: 'xdp' };
}
