// nicsim disasm: --format llvm against llvm-objdump-19 output recorded for every example and
// coverage object (test/kernel/record-objdump.sh); the default format assembles back to the program.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadObjectFile, parseElf } from '../../offload/elf/index.ts';
import { assembleBytes } from '../../offload/isa/index.ts';
import { cli, root } from './run.ts';

const fixtures = join(root, 'test/fixtures/objdump');
const objdumps = readdirSync(fixtures).filter((f) => f.endsWith('.txt') && !f.endsWith('.S.txt')).sort();

describe('disasm --format llvm is llvm-objdump-19 -d', () => {
  beforeAll(() => process.chdir(root));
  it.each(objdumps)('%s', async (f) => {
    const expected = readFileSync(join(fixtures, f), 'utf8');
    const object = expected.split('\n')[1]!.split(':\t')[0]!;
    const r = await cli(['disasm', object, '--format', 'llvm']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(expected);
  });
});

describe('disasm --format llvm | asm', () => {
  const examples = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.o')).sort();
  it.each(examples)('%s: the text assembles back to the bytes of every executable section', async (f) => {
    const path = join(root, 'examples', f);
    const bytes = new Uint8Array(readFileSync(path));
    const elf = parseElf(bytes, path);
    const exec = elf.sections.filter((s) => s.index !== 0 && s.flags & 4 && s.size > 0);
    const r = await cli(['disasm', path, '--format', 'llvm']);
    const texts = r.out.split(/^Disassembly of section .*:$/m).slice(1);
    expect(texts).toHaveLength(exec.length);
    // llvm's text prints every call as `call imm`, so the call kind (src_reg: helper or bpf-to-bpf)
    // is not in it; nicsim's own format keeps it (`call pc+N`). Compare with call src_reg cleared.
    const noCallKind = (b: Uint8Array) => {
      const c = Uint8Array.from(b);
      for (let k = 0; k < c.length; k += 8) if (c[k] === 0x85) c[k + 1]! &= 0x0f;
      return Buffer.from(c);
    };
    exec.forEach((s, i) => {
      expect(noCallKind(assembleBytes(texts[i]!, { syntax: 'llvm' }))).toEqual(noCallKind(bytes.subarray(s.offset, s.offset + s.size)));
    });
  });
});

describe('disasm (nicsim format)', () => {
  const examples = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.o')).sort();
  it.each(examples)('%s: every program assembles back to its bytes', async (f) => {
    const path = join(root, 'examples', f);
    const spec = loadObjectFile(path);
    for (const p of spec.programs) {
      const r = await cli(['disasm', path, '--program', p.name]);
      expect(r.code).toBe(0);
      expect(Buffer.from(assembleBytes(r.out, { syntax: 'llvm' }))).toEqual(Buffer.from(p.insns));
    }
  });

  it('names maps and helpers, and shows C source lines', async () => {
    const r = await cli(['disasm', join(root, 'examples/xdp_count.o')]);
    expect(r.out).toMatch(/ld_pseudo\tr1, 0x5, 0x\d+\s+; map proto_stats/);
    expect(r.out).toMatch(/call 0x1\s+; bpf_map_lookup_elem/);
    expect(r.out).toMatch(/; xdp_count\.c:\d+ +cnt = bpf_map_lookup_elem\(&proto_stats, &cls\);/);
  });

  it('prints the ubpf syntax', async () => {
    const r = await cli(['disasm', join(root, 'examples/xdp_echo.o'), '--format', 'ubpf']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ldxw %r\d+, \[%r1\+0\]$/m);
    expect(r.out).toMatch(/^exit$/m);
  });
});
