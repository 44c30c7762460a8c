// Memory, ctx and helper rules, one focused program per profile key, forbidden and allowed, with the
// nfp driver's messages for agilio-cx (verifier.c nfp_bpf_check_ptr / nfp_bpf_check_store /
// nfp_bpf_check_helper_call / nfp_bpf_map_mark_used, jit.c translation failures).
import { describe, expect, it } from 'vitest';
import type { Profile } from '../../nic/profile/index.ts';
import { type MapDef, checkAsm, profile, withKey } from './helpers.ts';
import { ARRAY8, HASH8, LOOKUP, EPILOGUE, prog, withValue } from './programs.ts';

const agilio = profile('agilio-cx');
const host = profile('host-x86');

interface Case {
  what: string;
  text: string;
  maps?: MapDef[];
  forbid?: Profile;
  code: string;
  key: string;
  message?: string | RegExp;
  allowed?: string;
  allowedMaps?: MapDef[];
  severity?: 'instruction' | 'warning';
}

const PERF: MapDef = { name: 'events', type: 'perf_event_array', key: 4, value: 4, entries: 2 };
const PROG_ARRAY: MapDef = { name: 'jumps', type: 'prog_array', key: 4, value: 4, entries: 4 };
const perfOutput = (flags: string) => prog('r1 = 0', '*(u64 *)(r10 - 8) = r1', 'r1 = r6', 'ld_pseudo r2, 5, 0', flags, 'r4 = r10', 'r4 += -8', 'r5 = 8', 'call 25');
const lookupOnly = { map_types: ['hash'], args_on_stack: false, flags: 'any', max_grow: null };

const cases: Case[] = [
  // memory
  { what: 'store into a map value', text: withValue('r1 = 1', '*(u64 *)(r0 + 0) = r1'), maps: [ARRAY8], code: 'mem.store', key: 'offload.memory.store.map_value', message: 'map writes not supported' },
  { what: 'store into the packet (profile without it)', text: prog('r1 = 1', '*(u8 *)(r2 + 0) = r1'), forbid: withKey(host, 'offload.memory.store.packet', false), code: 'mem.store', key: 'offload.memory.store.packet' },
  { what: 'store into the stack (profile without it)', text: prog('r1 = 1', '*(u64 *)(r10 - 8) = r1'), forbid: withKey(host, 'offload.memory.store.stack', false), code: 'mem.store', key: 'offload.memory.store.stack' },
  { what: 'immediate store into the stack', text: prog('*(u64 *)(r10 - 8) = 0'), code: 'mem.store_imm', key: 'offload.memory.store_imm.stack', message: /^Translation failed with error -95 \(translated: \d+\)$/, allowed: prog('*(u8 *)(r2 + 0) = 1') },
  { what: 'immediate store into a map value', text: withValue('*(u64 *)(r0 + 0) = 1'), maps: [ARRAY8], code: 'mem.store_imm', key: 'offload.memory.store_imm.map_value', message: /^Translation failed with error -95/ },
  { what: 'stack access at a variable offset', text: prog('r1 = 0', '*(u64 *)(r10 - 8) = r1', '*(u64 *)(r10 - 16) = r1', 'r4 = *(u8 *)(r2 + 0)', 'r4 &= 8', 'r1 = r10', 'r1 += -16', 'r1 += r4', 'r0 = *(u64 *)(r1 + 0)'), code: 'mem.stack_var_off', key: 'offload.memory.stack_variable_offset', message: 'variable ptr stack access', allowed: prog('r1 = 0', '*(u64 *)(r10 - 8) = r1', 'r1 = r10', 'r1 += -8', 'r0 = *(u64 *)(r1 + 0)') },
  { what: 'map value load at a variable offset', text: withValue('r1 = *(u32 *)(r0 + 0)', 'r1 &= 4', 'r0 += r1', 'r1 = *(u32 *)(r0 + 0)'), maps: [ARRAY8], code: 'mem.map_value_var_off', key: 'offload.memory.map_value_variable_offset', message: 'map value offset is variable', allowed: withValue('r1 = *(u32 *)(r0 + 4)') },
  {
    what: 'one load through a stack or a map value pointer',
    text: `r1 = 0\n*(u64 *)(r10 - 8) = r1\nr2 = r10\nr2 += -8\nld_pseudo r1, 5, 0\ncall 1\nr5 = r10\nr5 += -8\nif r0 == 0 goto load\nr5 = r0\nload:\nr1 = *(u32 *)(r5 + 0)\nr0 = 2\nexit`,
    maps: [ARRAY8],
    code: 'mem.ptr_type_changed',
    key: 'offload.memory.mixed_pointer_types',
    message: 'ptr type changed for instruction 4 -> 6',
  },
  { what: 'a map value word read and used as an atomic counter', text: withValue('r1 = *(u32 *)(r0 + 0)', 'w2 = 1', 'lock *(u32 *)(r0 + 0) += w2'), maps: [ARRAY8], code: 'mem.atomic_counter', key: 'offload.memory.atomic_counters_exclusive', message: 'map value use type conflict read vs atomic off: 0', allowed: withValue('r1 = *(u32 *)(r0 + 4)', 'w2 = 1', 'lock *(u32 *)(r0 + 0) += w2') },
  // ctx
  { what: 'read of xdp_md.ingress_ifindex', text: prog('r1 = *(u32 *)(r6 + 12)'), code: 'ctx.read', key: 'offload.ctx.read', message: /^Translation failed with error -95 \(translated: \d+\)$/ },
  { what: 'read of xdp_md.data_end (profile without it)', text: prog('r1 = *(u32 *)(r6 + 4)'), forbid: withKey(host, 'offload.ctx.read', ['data']), code: 'ctx.read', key: 'offload.ctx.read' },
  // helpers
  { what: 'tail call', text: prog('r1 = r6', 'ld_pseudo r2, 5, 0', 'r3 = 0', 'call 12'), maps: [PROG_ARRAY], code: 'tail_call', key: 'offload.isa.tail_calls', message: 'unsupported function id: 12' },
  { what: 'a helper outside the supported list', text: prog('call 5'), code: 'helper.unsupported', key: 'offload.helpers.default', message: 'unsupported function id: 5', allowed: prog('call 7') },
  { what: 'a listed helper the firmware lacks', text: prog('call 7'), forbid: withKey(agilio, 'offload.helpers.unsupported', ['get_prandom_u32']), code: 'helper.unsupported', key: 'offload.helpers.unsupported', message: "bpf_get_prandom_u32(): FW doesn't support random number generation" },
  { what: 'map_lookup key in the packet', text: prog('ld_pseudo r1, 5, 0', 'call 1'), maps: [ARRAY8], code: 'helper.args', key: 'offload.helpers.supported.map_lookup_elem.args_on_stack', message: 'map_lookup: unsupported ptr type 8', allowed: withValue() },
  { what: 'map_lookup key at a variable stack offset', text: prog('r1 = 0', '*(u64 *)(r10 - 8) = r1', '*(u64 *)(r10 - 16) = r1', 'r4 = *(u8 *)(r2 + 0)', 'r4 &= 4', 'r2 = r10', 'r2 += -16', 'r2 += r4', 'ld_pseudo r1, 5, 0', 'call 1'), maps: [ARRAY8], code: 'helper.args', key: 'offload.helpers.supported.map_lookup_elem.args_on_stack', message: 'map_lookup: variable pointer' },
  { what: 'map_update value in a map value', text: withValue('r3 = r0', 'r1 = 0', '*(u32 *)(r10 - 8) = r1', 'r2 = r10', 'r2 += -8', 'ld_pseudo r1, 5, 0', 'r4 = 0', 'call 2'), maps: [ARRAY8], code: 'helper.args', key: 'offload.helpers.supported.map_update_elem.args_on_stack', message: 'map_update: unsupported ptr type 4' },
  { what: 'perf_event_output without BPF_F_CURRENT_CPU', text: perfOutput('r3 = 0'), maps: [PERF], code: 'helper.flags', key: 'offload.helpers.supported.perf_event_output.flags', message: 'event_output: must use BPF_F_CURRENT_CPU, var_off: (0; 0)', allowed: perfOutput('r3 = 0xffffffff ll') },
  { what: 'map_lookup on an array where only hash is supported', text: withValue(), maps: [ARRAY8], forbid: withKey(host, 'offload.helpers.supported', { map_lookup_elem: lookupOnly }), code: 'helper.map_type', key: 'offload.helpers.supported.map_lookup_elem.map_types', allowedMaps: [HASH8] },
  { what: 'xdp_adjust_tail growing the packet (shrink only)', text: prog('r1 = r6', 'r2 = 4', 'call 65'), code: 'helper.adjust_grow', key: 'offload.helpers.supported.xdp_adjust_tail.max_grow', severity: 'warning', allowed: prog('r1 = r6', 'r2 = -4', 'call 65') },
];

describe('memory, ctx and helper rules', () => {
  for (const c of cases) {
    const forbid = c.forbid ?? agilio;
    it(`${c.what}: ${c.code} on ${forbid.name}, not on host-x86`, () => {
      const r = checkAsm(c.text, forbid, c.maps);
      expect(r.rejected).toBeNull();
      const f = r.findings.find((x) => x.code === c.code);
      expect(f, JSON.stringify(r.findings.map((x) => `${x.code} ${x.message}`))).toBeDefined();
      expect(f!.profile_key).toBe(c.key);
      expect(f!.severity).toBe(c.severity ?? 'instruction');
      if (typeof c.message === 'string') expect(f!.message).toBe(c.message);
      if (c.message instanceof RegExp) expect(f!.message).toMatch(c.message);
      if (c.message instanceof RegExp && /translated/.test(String(c.message))) expect(f!.message).toBe(`Translation failed with error -95 (translated: ${f!.pc})`);
      expect(r.verdict).toBe(c.severity === 'warning' ? 'offload' : 'host');

      const ok = checkAsm(c.text, host, c.maps);
      expect(ok.findings.map((x) => x.code)).not.toContain(c.code);
      if (c.allowed || c.allowedMaps) {
        const a = checkAsm(c.allowed ?? c.text, forbid, c.allowedMaps ?? c.maps);
        expect(a.findings.map((x) => `${x.code} ${x.message}`)).toEqual([]);
        expect(a.verdict).toBe('offload');
      }
    });
  }

  it('a lookup as the nfp wants it: key on the stack at a constant, aligned offset', () => {
    const r = checkAsm(`${LOOKUP}\n${EPILOGUE}`, agilio, [HASH8]);
    expect(r.findings).toEqual([]);
    expect(r.verdict).toBe('offload');
  });
});
