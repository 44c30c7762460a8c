// The arena: layout (every block aligned, nothing overlapping, maps after the core slots), the
// descriptor round trip (attach sees the same memory and maps), and copyCore.
import { describe, expect, it } from 'vitest';
import { Arena, CORE_CTX, CORE_FRAGS, CORE_FRAME, CORE_STACK, CORE_STATE, CORE_STRIDE, planArena, WASM_PAGE } from '../../firmware/arena.ts';
import { STACK_BYTES } from '../../firmware/layout.ts';
import { S_PC, STATE_BYTES, STATE_WORDS } from '../../firmware/state.ts';
import { CTX_BYTES, FRAG_SIZE, FRAME_SIZE, MAX_FRAGS } from '../../firmware/xdp/buffer.ts';

const SPECS = [
  { name: 'counters', type: 'percpu_array', keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 },
  { name: 'flows', type: 'hash', keySize: 8, valueSize: 16, maxEntries: 64, flags: 0 },
] as const;

describe('arena', () => {
  it('lays out core blocks without overlap, 64-aligned, and maps after the last core', () => {
    const blocks = [
      [CORE_STATE, STATE_BYTES],
      [CORE_STACK, STACK_BYTES],
      [CORE_CTX, CTX_BYTES],
      [CORE_FRAME, FRAME_SIZE],
      [CORE_FRAGS, MAX_FRAGS * FRAG_SIZE],
    ] as const;
    for (let i = 1; i < blocks.length; i++) expect(blocks[i]![0]).toBe(blocks[i - 1]![0] + blocks[i - 1]![1]);
    for (const [off] of blocks) expect(off % 64).toBe(0);
    expect(STATE_WORDS * 4).toBeLessThanOrEqual(STATE_BYTES);
    expect(CORE_FRAGS + MAX_FRAGS * FRAG_SIZE).toBeLessThanOrEqual(CORE_STRIDE);
    const plan = planArena(3, [{ name: 'a', bytes: 100 * 8 }, { name: 'b', bytes: 8 }]);
    expect(plan.maps[0]!.offset).toBeGreaterThanOrEqual(plan.coreBase + 3 * CORE_STRIDE);
    expect(plan.maps[1]!.offset).toBeGreaterThanOrEqual(plan.maps[0]!.offset + 800);
    expect(plan.maps[1]!.offset % 64).toBe(0);
    expect(plan.bytes % WASM_PAGE).toBe(0);
  });

  it('is one shared WebAssembly.Memory; an attached arena sees the same maps and core blocks', () => {
    const a = Arena.create([...SPECS], { cores: 2, cpus: 2 });
    expect(a.sab).toBeInstanceOf(SharedArrayBuffer);
    expect(a.memory).toBeInstanceOf((globalThis as unknown as { WebAssembly: { Memory: new () => unknown } }).WebAssembly.Memory);
    for (const m of a.maps) expect(m.sab).toBe(a.sab);
    const desc = structuredClone(a.describe());
    const b = Arena.attach(desc);
    const key = new Uint8Array(8).fill(7);
    expect(a.maps[1]!.updateHost(key, new Uint8Array(16).fill(9))).toBe(0);
    expect(b.maps[1]!.lookupHost(key)).toEqual(new Uint8Array(16).fill(9));
    a.core(1).state.words[S_PC] = 1234;
    expect(b.core(1).state.words[S_PC]).toBe(1234);
  });

  it('copyCore moves state, stack, ctx and frame to another slot', () => {
    const a = Arena.create([], { cores: 2, cpus: 1 });
    const from = a.core(0);
    from.state.lo[3] = -5;
    from.stack[STACK_BYTES - 1] = 0xab;
    from.ctx[0] = 256;
    from.frame[300] = 0xcd;
    a.copyCore(0, 1);
    const to = a.core(1);
    expect(to.state.lo[3]).toBe(-5);
    expect(to.stack[STACK_BYTES - 1]).toBe(0xab);
    expect(to.ctx[0]).toBe(256);
    expect(to.frame[300]).toBe(0xcd);
  });

  it('refuses a descriptor that is not one', () => {
    expect(() => Arena.attach({ v: 1 } as never)).toThrow(/not a nicsim arena descriptor/);
  });
});
