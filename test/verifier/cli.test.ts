// nicsim verify: exit codes, human output and the --json document.
import { describe, expect, it } from 'vitest';
import { cli, root } from '../cli/run.ts';

const corpus = (n: string) => `${root}test/fixtures/verifier/corpus/${n}.o`;

describe('nicsim verify', () => {
  it('exit 0 and one line per program when everything is accepted', async () => {
    const r = await cli(['verify', `${root}examples/xdp_tailcall.o`]);
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n')).toHaveLength(6);
    expect(r.out).toContain('dispatcher: accepted (');
  });
  it('exit 1 with pc, instruction, source line and reason on a rejection', async () => {
    const r = await cli(['verify', corpus('pkt_no_check')]);
    expect(r.code).toBe(1);
    expect(r.out).toBe(
      [
        'pkt_no_check: rejected (2 insns processed)',
        '  pc 1: r2 = *(u8 *)(r1 + 0xc)',
        '  pkt_no_check.c:11: return eth->h_proto == bpf_htons(ETH_P_IP) ? XDP_PASS : XDP_DROP;',
        '  R1 offset is outside of the packet  [packet_bounds]',
        '',
      ].join('\n'),
    );
  });
  it('--json', async () => {
    const r = await cli(['verify', corpus('ref_sk_leak'), '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out);
    expect(doc).toEqual({
      programs: [
        {
          name: 'ref_sk_leak',
          accepted: false,
          insns_processed: 34,
          error: {
            pc: 33,
            code: 'ref_leak',
            message: 'BPF_EXIT instruction in main prog would lead to reference leak',
            insn: 'exit',
            source: { file: 'ref_sk_leak.c', line: 18, text: '}' },
          },
        },
      ],
    });
  });
  it('--unprivileged applies the CAP_PERFMON-less rules', async () => {
    expect((await cli(['verify', corpus('stack_uninit_read')])).code).toBe(0);
    const r = await cli(['verify', corpus('stack_uninit_read'), '--unprivileged', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).programs[0].error.message).toBe('invalid read from stack R10 off=-8 size=8');
  });
  it('--program and --log-level', async () => {
    const r = await cli(['verify', `${root}examples/xdp_redirect.o`, '--program', 'redirect_vlan', '--log-level', '1']);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe('== redirect_vlan: verifier log (level 1)');
    expect(r.out).toContain('redirect_vlan: accepted (');
    const j = JSON.parse((await cli(['verify', corpus('pkt_no_check'), '--log-level', '2', '--json'])).out);
    expect(j.programs[0].log).toContain('R1 offset is outside of the packet');
  });
  it('exit 3 for a bad object or program, 2 for a bad log level', async () => {
    expect((await cli(['verify', `${root}package.json`])).code).toBe(3);
    expect((await cli(['verify', corpus('pkt_no_check'), '--program', 'nope'])).code).toBe(3);
    expect((await cli(['verify', corpus('pkt_no_check'), '--log-level', '7'])).code).toBe(2);
  });
});
