// The safety verifier against the Linux 6.18 verifier's recorded verdicts (test/fixtures/verifier):
// for every corpus program, as root and without CAP_PERFMON, the same verdict, the same final error
// line and message list, the same failing pc and the same number of processed instructions; the
// error family must name the rule the corpus family describes. Exceptions are listed, with their
// reason, in test/fixtures/verifier/known-differences.json.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadObjectFile, type ObjectSpec } from '../../offload/elf/index.ts';
import { verifyProgram, type VerifyResult } from '../../offload/verifier/index.ts';

const root = new URL('../../', import.meta.url).pathname;

interface Verdict {
  accepted: boolean;
  error: string | null;
  pc: number | null;
  insns_processed: number;
  messages?: string[];
  source?: { file: string; line: number; text: string } | null;
}
interface Entry {
  file: string;
  object: string;
  program: string;
  family: string;
  privileged: Verdict;
  unprivileged: Verdict;
}
interface Difference {
  program: string;
  mode: 'privileged' | 'unprivileged' | 'both';
  field: string;
  kernel: unknown;
  nicsim: unknown;
  reason: string;
}

const corpus = JSON.parse(readFileSync(`${root}test/fixtures/verifier/corpus.json`, 'utf8')) as Entry[];
const known = (JSON.parse(readFileSync(`${root}test/fixtures/verifier/known-differences.json`, 'utf8')) as { differences: Difference[] })
  .differences;

/**
 * Corpus families are named by what a program exercises; one kernel message can serve several
 * (`R1 offset is outside of the packet` for a missing check, a wrong branch direction or a signed
 * comparison), and the unprivileged rules stop some programs earlier for another reason. These are
 * the codes, besides the family itself, that each family's rejections may carry.
 */
const ALIASES: Record<string, string[]> = {
  ctx_access: ['ptr_arith'], // unprivileged: variable ctx offsets are refused at the addition
  data_meta: ['ptr_compare', 'ptr_arith'], // unprivileged: pkt_meta compared with pkt_end / a non-initial pkt; variable pkt offsets refused at the addition
  helper_gpl: ['helper_unavailable'], // unprivileged: trace_printk is not offered at all
  kfunc: ['null_deref', 'uninit_reg'], // a maybe-NULL slice dereferenced; a released entry unreadable (unprivileged)
  helper_priv_only: ['helper_unavailable'], // "program of this type cannot use helper"
  packet_cmp: ['packet_bounds', 'ptr_compare'], // the comparison gave no range / is refused
  packet_invalidated: ['scalar_deref', 'uninit_reg'], // the stale pointer became a scalar (root) or unreadable
  packet_var_off: ['ptr_arith'], // unprivileged: variable packet offsets are refused at the addition
  packet_wrong_dir: ['packet_bounds'], // the access on the short branch is out of bounds
  ptr_leak: ['stack_uninit'], // spilled pointer bytes read as a map key (unprivileged)
  ref_release: ['scalar_deref', 'uninit_reg'], // a released socket is a scalar (root) or unreadable
  rodata_write: ['helper_unavailable'], // unprivileged: get_current_comm is not offered
  subprog_return: ['ptr_leak'], // unprivileged: returning ctx leaks a pointer
};

const specs = new Map<string, ObjectSpec>();
function spec(e: Entry): ObjectSpec {
  let s = specs.get(e.object);
  if (!s) specs.set(e.object, (s = loadObjectFile(root + e.object, { allowUnsupported: true })));
  return s;
}
const isRaw = (e: Entry) => /load:\s*raw/.test(readFileSync(root + e.file, 'utf8').slice(0, 600));

function exception(e: Entry, mode: 'privileged' | 'unprivileged', field: string): Difference | undefined {
  return known.find((d) => d.program === e.program && d.field === field && (d.mode === mode || d.mode === 'both'));
}

function check(e: Entry, mode: 'privileged' | 'unprivileged'): VerifyResult {
  const want = e[mode];
  const r = verifyProgram(spec(e), e.program, { unprivileged: mode === 'unprivileged', withoutBtf: isRaw(e), facts: false });
  const tag = `${e.program} (${mode})`;
  expect(r.accepted, `${tag}: verdict`).toBe(want.accepted);
  expect(r.error?.message ?? null, `${tag}: final error line`).toBe(want.error);
  if (want.messages) expect(r.messages, `${tag}: messages`).toEqual(want.messages);
  if (!exception(e, mode, 'insns_processed')) expect(r.insnsProcessed, `${tag}: processed insns`).toBe(want.insns_processed);
  if (!want.accepted) {
    const pcDiff = exception(e, mode, 'pc');
    if (pcDiff) expect(r.error!.pc, `${tag}: pc (known difference)`).toBe(pcDiff.nicsim);
    else expect(r.error!.pc, `${tag}: failing pc`).toBe(want.pc);
    const srcDiff = exception(e, mode, 'source');
    if (srcDiff) expect(r.error!.source?.line, `${tag}: source line (known difference)`).toBe((srcDiff.nicsim as { line: number }).line);
    else if (want.source && want.pc !== null && !pcDiff) {
      expect(r.error!.source?.file, `${tag}: source file`).toBe(want.source.file);
      expect(r.error!.source?.line, `${tag}: source line`).toBe(want.source.line);
    }
    const code = r.error!.code;
    expect(code, `${tag}: family`).not.toBe('other');
    if (!e.family.startsWith('accept_'))
      expect([e.family, ...(ALIASES[e.family] ?? [])], `${tag}: family ${e.family} vs code ${code}`).toContain(code);
  }
  return r;
}

describe('corpus: nicsim agrees with the Linux 6.18 verifier', () => {
  it.each(corpus.map((e) => [e.program, e] as const))('%s (root)', (_n, e) => {
    check(e, 'privileged');
  });
  it.each(corpus.map((e) => [e.program, e] as const))('%s (CAP_BPF+CAP_NET_ADMIN only)', (_n, e) => {
    check(e, 'unprivileged');
  });
  it('known differences are real and explained', () => {
    for (const d of known) {
      expect(d.reason.length).toBeGreaterThan(20);
      const e = corpus.find((x) => x.program === d.program);
      expect(e, d.program).toBeDefined();
      for (const mode of d.mode === 'both' ? (['privileged', 'unprivileged'] as const) : [d.mode]) {
        expect((e![mode] as unknown as Record<string, unknown>)[d.field], `${d.program} ${mode} ${d.field}`).toEqual(d.kernel);
      }
    }
  });
  it('the seed deck programs err_release_twice and err_cast are refused with the right families', () => {
    const rel = corpus.find((e) => e.program === 'ref_sk_release_twice')!;
    const r1 = verifyProgram(spec(rel), rel.program, { facts: false });
    expect(r1.error?.code).toBe('ref_null');
    expect(r1.error?.message).toBe('R1 type=sock_or_null expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_');
    const cast = corpus.find((e) => e.program === 'ctx_cast_ethhdr')!;
    const r2 = verifyProgram(spec(cast), cast.program, { facts: false });
    expect(r2.error?.code).toBe('ctx_access');
    expect(r2.error?.message).toBe('invalid bpf_context access off=12 size=1');
  });
});
