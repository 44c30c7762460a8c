// Every shipped profile loads, and the numbers that come from sources match those sources
// (../shared/REFERENCE.md, the nfp driver, netdevsim, the hXDP and XDP papers).
import { describe, expect, it } from 'vitest';
import { listShippedProfiles, loadProfile, type Profile } from '../../nic/profile/index.ts';

const shipped = listShippedProfiles();
const byId = (id: string): Profile => loadProfile(shipped.find((s) => s.id === id)!.file);

describe('shipped profiles', () => {
  it('lists the required profiles', () => {
    const ids = shipped.map((s) => s.id);
    for (const id of ['agilio-cx', 'netdevsim', 'hxdp', 'dpu-arm', 'host-x86']) expect(ids).toContain(id);
  });

  for (const s of shipped) {
    it(`${s.id} loads, names itself after its file and fills every section`, () => {
      const p = loadProfile(s.file);
      expect(p.name).toBe(s.id);
      expect(p.description.length).toBeGreaterThan(20);
      for (const k of ['cores', 'offload', 'cost', 'host'] as const) expect(p[k]).toBeTypeOf('object');
      expect(p.offload.translation.ldx.dw).toBeTypeOf('number');
      expect(p.offload.isa.atomics.cmpxchg.dw).toBeTypeOf('boolean');
      expect(p.offload.actions.other).toBeTypeOf('string');
    });
  }

  it('agilio-cx follows the nfp driver and open firmware', () => {
    const p = byId('agilio-cx');
    expect(p.kind).toBe('offload');
    expect(p.cores.word_bits).toBe(32);
    expect(p.offload.instruction_memory).toBe(2560);
    expect(p.offload.stack.bytes).toBe(512);
    expect(p.offload.stack.frame_align).toBe(64);
    expect(p.offload.packet_bytes).toBe(30 * 64 - 32);
    expect(p.offload.isa.mul.max_operand).toBe(0xffffffff);
    expect(p.offload.isa.div.divisor).toBe('constant');
    expect(p.offload.isa.mod).toBe(false);
    expect(p.offload.isa.end).toEqual({ to_be: true, to_le: false });
    expect(p.offload.isa.tail_calls).toBe(false);
    expect(p.offload.isa.atomics.add).toEqual({ w: true, dw: true });
    expect(p.offload.isa.atomics.fetch_add).toEqual({ w: false, dw: false });
    expect(p.offload.isa.atomics.targets).toEqual(['map_value']);
    expect(p.offload.helpers.default).toBe('deny');
    expect(Object.keys(p.offload.helpers.supported).sort()).toEqual(
      ['get_prandom_u32', 'map_delete_elem', 'map_lookup_elem', 'map_update_elem', 'perf_event_output', 'xdp_adjust_head', 'xdp_adjust_tail'],
    );
    expect(p.offload.helpers.supported.xdp_adjust_tail?.max_grow).toBe(0);
    expect(p.offload.helpers.supported.perf_event_output?.flags).toBe('current_cpu');
    expect(p.offload.maps).toMatchObject({
      types: ['hash', 'array'],
      max_maps: 128,
      total_elements: 2_048_000,
      max_key_size: 56,
      max_value_size: 56,
      max_element_size: 64,
      element_size: 'round8',
      allowed_flags: [],
    });
    expect(p.offload.actions.redirect).toBe('aborted');
    expect(p.offload.actions.other).toBe('aborted');
    expect(p.offload.ctx.read).toEqual(['data', 'data_end']);
    expect(p.offload.ctx.write).toEqual(['rx_queue_index']);
    expect(p.offload.memory.store.map_value).toBe(false);
    expect(p.offload.translation.padding).toBe(8);
  });

  it('netdevsim: checks only, ARRAY/HASH, 2 entries, flags 0', () => {
    const p = byId('netdevsim');
    expect(p.executes).toBe(false);
    expect(p.offload.maps.types).toEqual(['array', 'hash']);
    expect(p.offload.maps.max_entries).toBe(2);
    expect(p.offload.maps.allowed_flags).toEqual([]);
    expect(p.offload.helpers.default).toBe('allow');
    expect(p.offload.isa.mod).toBe(true);
    expect(p.offload.ctx.write).toEqual(['rx_queue_index']);
  });

  it('hxdp: 156.25 MHz, 4 VLIW lanes, 512 B stack, published rates', () => {
    const p = byId('hxdp');
    expect(p.cores.clock_mhz).toBe(156.25);
    expect(p.cores.issue_width).toBe(4);
    expect(p.offload.stack.bytes).toBe(512);
    const rate = (w: string) => p.cost.calibration.find((c) => c.workload === w)?.mpps;
    expect(rate('xdp_drop')).toBe(52);
    expect(rate('xdp_tx')).toBe(22.5);
    expect(rate('xdp_redirect')).toBe(15);
    expect(rate('katran')).toBe(2.88);
  });

  it('host-x86: the XDP paper machine, full ISA, all helpers', () => {
    const p = byId('host-x86');
    expect(p.kind).toBe('driver');
    expect(p.cores).toMatchObject({ count: 6, clock_mhz: 3600 });
    expect(p.offload.helpers.default).toBe('allow');
    expect(p.offload.isa.sdiv && p.offload.isa.gotol && p.offload.isa.atomics.cmpxchg.dw).toBe(true);
    expect(p.offload.actions.redirect).toBe('redirect');
    // 23.9 Mpps drop: the fixed cost plus the drop program's 2 instructions (r0 = 1; exit) at cost.cpi
    expect(Math.abs((p.cores.clock_mhz * 1e6) / 23.9e6 - (p.cost.per_packet_cycles + 2 * p.cost.cpi))).toBeLessThan(1);
  });
});
