// The realistic examples (examples/*.o, all loaded by Linux 6.18) pass the safety verifier, and the
// facts later passes read describe them correctly.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadObjectFile } from '../../offload/elf/index.ts';
import { verifyProgram } from '../../offload/verifier/index.ts';

const root = new URL('../../', import.meta.url).pathname;
const objects = readdirSync(`${root}examples`).filter((f) => f.endsWith('.o')).sort();

describe('examples', () => {
  it('has the 16 example objects', () => {
    expect(objects.length).toBe(16);
  });
  it.each(objects)('%s: every program is accepted as root', (f) => {
    const spec = loadObjectFile(`${root}examples/${f}`, { allowUnsupported: true });
    expect(spec.programs.length).toBeGreaterThan(0);
    for (const p of spec.programs) {
      const r = verifyProgram(spec, p);
      expect(r.error, `${f} ${p.name}`).toBeNull();
      expect(r.accepted).toBe(true);
      expect(r.insnsProcessed).toBeGreaterThan(0);
      const facts = r.facts!;
      // Every reachable instruction has facts; lddw second halves never do.
      for (let pc = 0; pc < facts.insns.length; pc++) {
        const fi = facts.insns[pc];
        if (fi) expect(fi.visits).toBeGreaterThan(0);
      }
      expect(facts.insns[0]?.pc).toBe(0);
      expect(facts.exits.length).toBeGreaterThan(0);
    }
  });
});

describe('facts', () => {
  const load = (f: string) => loadObjectFile(`${root}${f}`, { allowUnsupported: true });

  it('helper calls name their map and argument kinds (xdp_tailcall dispatcher)', () => {
    const spec = load('examples/xdp_tailcall.o');
    const f = verifyProgram(spec, 'dispatcher').facts!;
    const tail = f.helperCalls.find((h) => h.name === 'tail_call')!;
    expect(spec.maps[tail.map!]!.name).toBe('jmp_table');
    expect(tail.args[0]!.types).toEqual(['ctx']);
    expect(tail.args[1]!.types).toEqual(['map_ptr']);
    expect(f.subprogs[0]!.hasTailCall).toBe(true);
    expect(f.exits.every((e) => e.r0.umin >= 0n && e.r0.umax <= 4n)).toBe(true);
  });

  it('subprograms, call graph, linkage and stack depth (xdp_subprog)', () => {
    const f = verifyProgram(load('examples/xdp_subprog.o'), 'flow_summary').facts!;
    expect(f.subprogs.map((s) => [s.name, s.linkage])).toEqual([
      ['flow_summary', 'main'],
      ['find_l4', 'global'],
      ['mix32', 'static'],
      ['payload_sum', 'global'],
      ['signed_bucket', 'static'],
    ]);
    expect(f.subprogs[0]!.callees).toEqual([1, 2, 3, 4]);
    expect(f.calls.every((c) => c.caller === 0 && c.kind === 'bpf')).toBe(true);
    expect(f.subprogs[0]!.stackDepth).toBe(24);
    // only the main program's exits are reported (global functions are verified on their own)
    expect(f.exits.map((e) => e.pc)).toEqual([75]);
    expect(f.subprogs[2]!.writesCalleeSaved).toBe(false);
  });

  it('packet reach and memory instruction kinds (pkt_eth_proto)', () => {
    const f = verifyProgram(load('test/fixtures/verifier/corpus/pkt_eth_proto.o'), 'pkt_eth_proto').facts!;
    expect(f.maxPktOffset).toBe(13);
    const kinds = f.insns.filter((x) => x?.mem).map((x) => x!.mem!.types.join());
    expect(kinds).toEqual(['ctx', 'ctx', 'pkt', 'pkt']);
    const pktLoad = f.insns.find((x) => x?.mem?.types[0] === 'pkt')!;
    const ptr = pktLoad.regs[pktLoad.mem!.reg]!;
    expect(ptr.range).toBeGreaterThanOrEqual(14);
  });

  it('atomic targets and map indexes (map_atomic_counters)', () => {
    const spec = load('test/fixtures/verifier/corpus/map_atomic_counters.o');
    const r = verifyProgram(spec, 'map_atomic_counters');
    const f = r.facts!;
    const atomics = f.insns.filter((x) => x && x.mem && x.mem.types.includes('map_value'));
    expect(atomics.length).toBeGreaterThan(0);
    for (const a of atomics) expect(spec.maps[a!.mem!.mapIndex!]).toBeDefined();
    expect(f.mapsUsed.length).toBe(2);
  });

  it('register bounds at an instruction (asm_jmp32_bounds)', () => {
    const f = verifyProgram(load('test/fixtures/verifier/corpus/asm_jmp32_bounds.o'), 'asm_jmp32_bounds').facts!;
    for (const fi of f.insns) {
      if (!fi) continue;
      for (const r of fi.regs) {
        if (!r) continue;
        expect(r.umin <= r.umax).toBe(true);
        expect(r.smin <= r.smax).toBe(true);
        expect(r.u32min <= r.u32max).toBe(true);
      }
    }
  });

  it('the log: level 1 shows the failing path, level 2 the state trace', () => {
    const spec = load('test/fixtures/verifier/corpus/pkt_no_check.o');
    expect(verifyProgram(spec, 'pkt_no_check').log).toBe('');
    const l1 = verifyProgram(spec, 'pkt_no_check', { logLevel: 1 }).log;
    expect(l1).toContain('1: (71) r2 = *(u8 *)(r1 +12)');
    expect(l1).toContain('R1=pkt(r=0)');
    expect(l1.trimEnd().split('\n').slice(-3)).toEqual([
      'invalid access to packet, off=12 size=1, R1(id=0,off=12,r=0)',
      'R1 offset is outside of the packet',
      'processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
    ]);
    const l2 = verifyProgram(load('test/fixtures/verifier/corpus/pkt_cmp_ge.o'), 'pkt_cmp_ge', { logLevel: 2 }).log;
    expect(l2).toMatch(/\nfrom \d+ to \d+: /);
  });
});
