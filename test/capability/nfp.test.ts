// The nfp driver's decisions and messages for the cases of ../shared/REFERENCE.md ("Netronome NFP
// offload"), on small clang-built programs (test/fixtures/capability/*.c, all accepted by the Linux
// verifier: kernel.json): MOD, tail calls, FETCH atomics, multiply beyond u32, division by a
// register, map flags, too many elements, element too large, REDIRECT. The to-little-endian swap
// cannot be written in C for a little-endian target; isa.test.ts checks it in assembly.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../offload/capability/index.ts';
import { checkFile, fixtures, profile } from './helpers.ts';

const agilio = profile('agilio-cx');
const host = profile('host-x86');
const kernel = JSON.parse(readFileSync(fixtures + 'kernel.json', 'utf8')) as Record<string, { accepted: boolean }>;

const one = (obj: string, program: string) => checkFile(fixtures + obj, agilio, program)[0]!;
const find = (r: CheckResult, code: string) => r.findings.find((f) => f.code === code)!;

describe('nfp cases (agilio-cx)', () => {
  it('every fixture is accepted by the kernel and by nicsim, and offloads to a host', () => {
    for (const [obj, k] of Object.entries(kernel)) {
      expect(k.accepted).toBe(true);
      for (const r of checkFile(fixtures + obj, host)) {
        expect(r.rejected, `${obj} ${r.program}`).toBeNull();
        expect(r.verdict, `${obj} ${r.program}`).toBe('offload');
      }
    }
  });

  it('MOD: instruction 0x97 not supported, at the C line', () => {
    const r = one('nfp_mod.o', 'mod_k');
    expect(r.verdict).toBe('host');
    expect(find(r, 'isa.mod')).toMatchObject({
      pc: 5,
      insn: 'r1 %= 0x7',
      source: { file: 'nfp_mod.c', line: 9, text: 'if (len % 7 == 3)' },
      message: 'instruction 0x97 not supported',
      driver_message: 'instruction 0x97 not supported',
      profile_key: 'offload.isa.mod',
      profile_value: false,
    });
  });

  it('tail call: unsupported function id: 12; the PROG_ARRAY cannot be offloaded', () => {
    const r = one('nfp_tailcall.o', 'tail');
    expect(r.verdict).toBe('host');
    expect(find(r, 'tail_call')).toMatchObject({ message: 'unsupported function id: 12', profile_key: 'offload.isa.tail_calls', source: { file: 'nfp_tailcall.c' } });
    expect(find(r, 'map.type')).toMatchObject({ map: 'jump', profile_key: 'offload.maps.types', driver_message: null });
  });

  it('FETCH atomics: atomic op not implemented: 1; plain atomic add on a map value offloads', () => {
    const r = one('nfp_fetch.o', 'fetch_add');
    expect(r.verdict).toBe('host');
    expect(find(r, 'isa.atomic_fetch')).toMatchObject({ message: 'atomic op not implemented: 1', profile_key: 'offload.isa.atomics.fetch_add.dw', insn: 'r2 = atomic_fetch_add((u64 *)(r1 + 0x0), r2)' });
    const plain = one('nfp_fetch.o', 'plain_add');
    expect(plain.findings).toEqual([]);
    expect(plain.verdict).toBe('offload');
  });

  it('multiply beyond u32: multiplier is not within u32 value range; a 16x8-bit multiply offloads', () => {
    const r = one('nfp_mul.o', 'mul_wide');
    expect(r.verdict).toBe('host');
    expect(find(r, 'isa.mul_range')).toMatchObject({ insn: 'r1 *= r2', message: 'multiplier is not within u32 value range', profile_key: 'offload.isa.mul.max_operand', profile_value: 0xffffffff });
    const narrow = one('nfp_mul.o', 'mul_narrow');
    expect(narrow.findings).toEqual([]);
    expect(narrow.nic_by_class.mul16).toBe(4);
  });

  it('division by a register: divisor is not constant; by an immediate it offloads', () => {
    const r = one('nfp_div.o', 'div_reg');
    expect(r.verdict).toBe('host');
    expect(find(r, 'isa.div_reg')).toMatchObject({ insn: 'r2 /= r1', message: 'divisor is not constant', profile_key: 'offload.isa.div.divisor', profile_value: 'constant' });
    const imm = one('nfp_div.o', 'div_imm');
    expect(imm.findings).toEqual([]);
    expect(imm.nic_by_class.div_const).toBe(10);
  });

  it('maps: flags, too many elements (with what is left), element too large', () => {
    const r = one('nfp_maps.o', 'use_maps');
    expect(r.verdict).toBe('host');
    const maps = r.findings.filter((f) => f.code.startsWith('map.')).map((f) => [f.map, f.message]);
    expect(maps).toEqual([
      ['flows', 'map flags are not supported'],
      ['more', 'map with too many elements: 100000, left: 48000'],
      ['wide', 'map elements too large: 72, FW max element size (key+value): 64'],
    ]);
    expect(r.map_totals).toMatchObject({ device_maps: 1, elements: 2_000_000, element_budget: 2_048_000 });
  });

  it('REDIRECT as a return code: loads, with a warning that it acts as ABORTED', () => {
    const r = one('nfp_redirect.o', 'redirect_code');
    expect(r.verdict).toBe('offload');
    expect(r.findings).toMatchObject([{ code: 'action.redirect', severity: 'warning', insn: 'exit', profile_key: 'offload.actions.redirect', profile_value: 'aborted' }]);
  });

  it('bpf_redirect(): unsupported function id: 23', () => {
    const r = one('nfp_redirect.o', 'redirect_helper');
    expect(r.verdict).toBe('host');
    expect(find(r, 'helper.unsupported')).toMatchObject({ message: 'unsupported function id: 23', profile_key: 'offload.helpers.default', profile_value: 'deny' });
    expect(r.findings.map((f) => f.code)).toContain('action.redirect');
  });

  it('partial: the same MOD on one path offloads with host fallback, punted at the MOD', () => {
    expect(one('nfp_partial.o', 'mod_some').verdict).toBe('host');
    const r = checkFile(fixtures + 'nfp_partial.o', profile('agilio-cx-fallback'))[0]!;
    expect(r.verdict).toBe('partial');
    expect(r.punt_pcs).toEqual([10]);
    expect(r.blocking).toMatchObject({ code: 'isa.mod', pc: 10, source: { file: 'nfp_partial.c' } });
  });
});
