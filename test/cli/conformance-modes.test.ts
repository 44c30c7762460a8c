// The bpf_conformance runner's modes through `nicsim conformance-plugin`: --xdp_prolog (the runner's
// prolog in front of the program, r1 an XDP context), --elf (an object the runner wrote: committed in
// test/fixtures/conformance/runner-elf/), the callx group, and the context-free XDP helpers in raw mode.
// Expected values: the kernel's recorded answers (kernel.json) and the suite's `-- result` lines, which
// RFC 9669 fixes by hand (call_unwind_fail and callx: r0 = 2 after the helper returns).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasXdpProlog, runConformance, xdpProlog } from '../../nic/conformance/run.ts';
import { assemble, encodeProgram } from '../../offload/isa/index.ts';
import { verifyProgram } from '../../offload/verifier/index.ts';
import type { ObjectSpec } from '../../offload/elf/index.ts';
import { rawXdpProgram } from '../verifier/fuzz-fixture.ts';
import { cli, root } from './run.ts';

const dir = join(root, 'test/fixtures/conformance');
const kernel = JSON.parse(readFileSync(join(dir, 'kernel.json'), 'utf8')) as Record<string, { bytes: string; kernel: { r0?: string } }>;
const memOf = (file: string) =>
  /-- mem\n([\s\S]*?)(\n--|$)/.exec(readFileSync(join(dir, file), 'utf8'))?.[1]?.replace(/#.*$/gm, '').trim().split(/\s+/).filter(Boolean) ?? [];
const memArg = (bytes: string[]) => (bytes.length ? [bytes.map((b) => `${b}  `).join('')] : []);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const ubpf = (text: string) => encodeProgram(assemble(text, { syntax: 'ubpf' }));

describe('conformance-plugin modes', () => {
  it('runs programs behind the runner\'s XDP prolog as XDP programs, with the kernel\'s results', async () => {
    const cases = Object.entries(kernel).filter(([f, v]) => v.kernel.r0 !== undefined && memOf(f).length > 0).slice(0, 12);
    expect(cases.length).toBe(12);
    for (const [file, rec] of cases) {
      const mem = memOf(file);
      const withProlog = hex(xdpProlog(mem.length)) + rec.bytes;
      const r = await cli(['conformance-plugin', ...memArg(mem)], `${withProlog}\n`);
      expect(r.code, `${file}: ${r.err}`).toBe(0);
      expect(BigInt(`0x${r.out.trim()}`), file).toBe(BigInt(rec.kernel.r0!));
      const program = Buffer.from(withProlog, 'hex');
      expect(hasXdpProlog(program, mem.length), file).toBe(true);
      expect(runConformance(program, Uint8Array.from(mem.map((b) => parseInt(b, 16)))).mode).toBe('xdp');
    }
  });

  it('runs a prolog for another memory size as a bare program', () => {
    const mem = new Uint8Array(5);
    const program = new Uint8Array([...xdpProlog(6), ...ubpf('mov %r0, 1\nexit\n')]);
    expect(hasXdpProlog(program, 5)).toBe(false);
    // Bare: r1 is the memory, so the prolog's load of "data" from it reads memory bytes, not a pointer.
    expect(() => runConformance(program, mem)).toThrow();
  });

  it('loads the ELF objects the runner writes (--elf), in .text and in xdp with the prolog', async () => {
    const elf = (name: string) => readFileSync(join(dir, 'runner-elf', `${name}.elf.hex`), 'utf8').trim();
    const ldxb = ['aa', 'bb', '11', 'cc', 'dd'];
    for (const [name, mem, r0] of [['ldxb-text', ldxb, '11'], ['ldxb-xdp', ldxb, '11'], ['call_local-text', [], '1']] as const) {
      const r = await cli(['conformance-plugin', ...memArg([...mem]), '--elf'], `${elf(name)}\n`);
      expect(r.code, `${name}: ${r.err}`).toBe(0);
      expect(r.out.trim(), name).toBe(r0);
    }
  });

  it('offers the context-free XDP helpers to bare programs (call_unwind_fail: helper 5)', async () => {
    const r = await cli(['conformance-plugin'], `${hex(ubpf('mov %r1, -1\ncall 5\nmov %r0, 2\nexit\n'))}\n`);
    expect(r.code, r.err).toBe(0);
    expect(r.out.trim()).toBe('2');
  });

  it('runs callx (the helper id in a register); the safety verifier refuses it as the kernel does', async () => {
    const program = ubpf('mov %r1, -1\nmov %r2, 5\ncall %r2\nmov %r0, 2\nexit\n');
    expect(hex(program.subarray(16, 24))).toBe('8d02000000000000');
    const r = await cli(['conformance-plugin'], `${hex(program)}\n`);
    expect(r.code, r.err).toBe(0);
    expect(r.out.trim()).toBe('2');
    const v = verifyProgram({ name: 'callx', license: 'GPL', maps: [], programs: [], warnings: [] } as unknown as ObjectSpec, rawXdpProgram(program), { withoutBtf: true });
    expect(v.accepted).toBe(false);
    // test/fixtures/isa/encodings.json.gz: the kernel says "unknown opcode 8d" for every 0x8d encoding.
    expect(v.error?.message).toBe('unknown opcode 8d');
  });
});
