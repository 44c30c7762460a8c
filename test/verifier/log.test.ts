// `--log-level 2` against the kernel's own log_level 2 traces of the same objects
// (test/kernel/record-verifier.py -> test/fixtures/verifier/logs/): line for line, with the
// instruction text, register and stack states, source lines, precision backtracking
// (mark_precise), SCC enter/exit, calls and returns, prune points and the final statistics line.
// Two things are normalised: map addresses (the kernel prints its own pointer, nicsim a stand-in
// of the same length) and the debug lines of 6.18's stack liveness analysis
// (`(0) frame 0 insn 8 +live -8`), which nicsim does not model.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadObjectFile } from '../../offload/elf/index.ts';
import { verifyProgram } from '../../offload/verifier/index.ts';
import { root } from '../cli/run.ts';

const dir = join(root, 'test/fixtures/verifier/logs');
const norm = (text: string) =>
  text
    .replace(/0xffff[0-9a-f]{12}\b/g, '0xMAPADDRESS00000')
    .split('\n')
    .filter((l) => !/^\(\d+(,\d+)*\) (frame \d+ insn \d+ |live stack update done)/.test(l));

describe('verifier log, level 2, vs the kernel', () => {
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.txt'))) {
    it(f, () => {
      const name = f.replace(/\.(unpriv\.)?level2\.txt$/, '');
      const spec = loadObjectFile(join(root, 'test/fixtures/verifier/corpus', `${name}.o`), { allowUnsupported: true });
      const r = verifyProgram(spec, name, { logLevel: 2, unprivileged: f.includes('.unpriv.'), facts: false });
      expect(norm(r.log)).toEqual(norm(readFileSync(join(dir, f), 'utf8')));
    });
  }
});
