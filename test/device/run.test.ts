// The device against the kernel: the examples' recorded BPF_PROG_TEST_RUN answers (Linux 6.18,
// test/fixtures/examples) replayed as traffic through a 2-core, 2-thread NIC. Each packet's action and
// output frame must be the kernel's, outputs in input order, and the maps after the run the sum of
// the kernel's per-packet map contents. Every run also satisfies packet conservation.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Nic } from '../../nic/device/nic.ts';
import { AdmissionError } from '../../nic/device/image.ts';
import { loadProfile } from '../../nic/profile/index.ts';
import { main } from '../../nic/cli/main.ts';
import { addSums, assertConservation, casesTraffic, framesOf, mapSums, nonZero, plainCases, ROOT, singlePacketCases } from './helpers.ts';

const HOST = `${ROOT}configs/host-x86.yaml`;
const tmp = () => mkdtempSync(join(tmpdir(), 'nicsim-dev-'));
const ACTIONS = ['aborted', 'drop', 'pass', 'tx', 'redirect'] as const;

describe('nicsim run against the kernel', () => {
  it('xdp_count: actions, PASS frames in order and counters equal the kernel\'s over 3 rounds of the corpus', async () => {
    const cases = plainCases('xdp_count', 'count_protocols');
    expect(cases.length).toBeGreaterThan(10);
    // Pre-create the ethertype keys the corpus reaches (value 0): the program then only adds
    // atomically, so concurrent cores commute (a racing BPF_NOEXIST insert would lose a count, as
    // on real hardware).
    const keys = new Set(cases.flatMap((c) => (c.expected.maps!.ethertypes ?? []).map((e) => e.key)));
    const nic = Nic.open(`${ROOT}examples/xdp_count.o`, loadProfile(HOST), { cores: 2, workers: 2, mapUpdates: [...keys].map((k) => `ethertypes:${k}:0000000000000000`) });
    const out = tmp();
    const rounds = 3;
    const r = await nic.run(casesTraffic(cases, rounds), { outDir: out });
    assertConservation(r, cases.length * rounds);
    expect(r.verdict).toBe('offload');
    for (const [i, name] of ACTIONS.entries()) expect(r.actions[name], name).toBe(rounds * cases.filter((c) => c.expected.retval === i).length);
    const passed = cases.filter((c) => c.expected.retval === 2).map((c) => c.expected.data_out!);
    expect(framesOf(r.outputs.pass!)).toEqual([...passed, ...passed, ...passed]);
    const kernel = {};
    for (let k = 0; k < rounds; k++) for (const c of cases) addSums(kernel, mapSums(c.expected.maps!));
    expect(nonZero(mapSums(r.maps))).toEqual(nonZero(kernel));
    expect(r.per_core.every((c) => c.packets > 0)).toBe(true);
  });

  it('xdp_echo: XDP_TX frames carry the program\'s modifications, as the kernel returned them', async () => {
    const cases = plainCases('xdp_echo', 'echo_responder');
    const nic = Nic.open(`${ROOT}examples/xdp_echo.o`, loadProfile(HOST), { cores: 2, workers: 2 });
    const out = tmp();
    const r = await nic.run(casesTraffic(cases), { outDir: out });
    assertConservation(r, cases.length);
    const tx = cases.filter((c) => c.expected.retval === 3);
    expect(tx.length).toBeGreaterThan(2);
    expect(framesOf(r.outputs.tx!)).toEqual(tx.map((c) => c.expected.data_out));
    expect(r.actions.tx).toBe(tx.length);
  });

  it('REDIRECT through a devmap and through bpf_redirect lands in redirect-if<N>.pcap, through a cpumap in cpumap-cpu<N>.pcap', async () => {
    const all = singlePacketCases('xdp_redirect');
    for (const [program, updates, wantFile] of [
      ['redirect_devmap', ['mac_table:0200000000020000:01000000', 'mac_table:0200000000010000:05000000', 'tx_ports:01000000:01000000'], /^redirect-if1$/],
      ['redirect_ifindex', ['egress_cfg:00000000:01000000000000000000000000000000'], /^redirect-if1$/],
      ['redirect_cpu', ['cpu_map:00000000:c0000000', 'cpu_map:01000000:c0000000'], /^cpumap-cpu[01]$/],
    ] as const) {
      const cases = all.filter((c) => c.program === program && JSON.stringify(c.map_updates) === JSON.stringify(updates));
      const nic = Nic.open(`${ROOT}examples/xdp_redirect.o`, loadProfile(HOST), { program, cores: 2, workers: 2, mapUpdates: [...updates] });
      const r = await nic.run(casesTraffic(cases), { outDir: tmp() });
      assertConservation(r, cases.length);
      const redirected = cases.filter((c) => c.expected.retval === 4).map((c) => c.expected.data_out);
      expect(redirected.length, program).toBeGreaterThan(0);
      const files = Object.entries(r.outputs).filter(([k]) => k !== 'pass' && k !== 'tx');
      for (const [k] of files) expect(k, program).toMatch(wantFile);
      expect(files.flatMap(([, f]) => framesOf(f)).sort(), program).toEqual(redirected.sort());
    }
  });

  it('an action the profile does not support on the NIC is what that hardware does: REDIRECT -> ABORTED', async () => {
    const profile = loadProfile(HOST);
    profile.offload.actions.redirect = 'aborted';
    const updates = ['egress_cfg:00000000:01000000000000000000000000000000'];
    const cases = singlePacketCases('xdp_redirect').filter((c) => c.program === 'redirect_ifindex' && JSON.stringify(c.map_updates) === JSON.stringify(updates));
    const nic = Nic.open(`${ROOT}examples/xdp_redirect.o`, profile, { program: 'redirect_ifindex', cores: 2, workers: 2, mapUpdates: updates });
    const r = await nic.run(casesTraffic(cases), { outDir: tmp() });
    assertConservation(r, cases.length);
    const n = cases.filter((c) => c.expected.retval === 4).length;
    expect(r.actions.redirect).toBe(0);
    expect(r.actions.aborted).toBe(n);
    expect(r.aborted.by_reason).toEqual({ action_unsupported: n });
  });
});

describe('determinism', () => {
  it('same input, seed and core count: byte-identical pcaps and map dumps (commuting updates)', async () => {
    const cases = [...plainCases('xdp_count', 'count_protocols'), ...plainCases('xdp_echo', 'echo_responder')];
    const keys = new Set(plainCases('xdp_count', 'count_protocols').flatMap((c) => (c.expected.maps!.ethertypes ?? []).map((e) => e.key)));
    const once = async () => {
      const nic = Nic.open(`${ROOT}examples/xdp_count.o`, loadProfile(HOST), { cores: 3, workers: 2, seed: 7, mapUpdates: [...keys].map((k) => `ethertypes:${k}:0000000000000000`) });
      const out = tmp();
      const r = await nic.run(casesTraffic(cases, 4), { outDir: out });
      assertConservation(r, cases.length * 4);
      return { pass: readFileSync(r.outputs.pass!), maps: JSON.stringify(r.maps), per_core: r.per_core };
    };
    const a = await once();
    const b = await once();
    expect(b.pass.equals(a.pass)).toBe(true);
    expect(b.maps).toBe(a.maps);
    expect(b.per_core).toEqual(a.per_core);
  });
});

describe('admission', () => {
  it('a program the safety verifier rejects refuses the run: exit 1, the kernel\'s message and the pc', async () => {
    const obj = `${ROOT}test/fixtures/verifier/corpus/ctx_bad_off.o`;
    expect(() => Nic.open(obj, loadProfile(HOST))).toThrow(AdmissionError);
    let err = '';
    const code = await main(['run', obj, '--profile', HOST, '--pcap', '/nonexistent.pcap'], { stdout: () => {}, stderr: (t) => void (err += t), stdin: async () => '' });
    expect(code).toBe(1);
    expect(err).toMatch(/rejected by the safety verifier at pc 0.*invalid bpf_context access off=24 size=4/);
  });

  it('verdict host runs every packet on the host path and counts it (xdp_count on agilio-cx: percpu_array cannot be offloaded)', async () => {
    const cases = plainCases('xdp_count', 'count_protocols');
    const nic = Nic.open(`${ROOT}examples/xdp_count.o`, loadProfile(`${ROOT}configs/agilio-cx.yaml`), { cores: 2, workers: 2 });
    const r = await nic.run(casesTraffic(cases));
    assertConservation(r, cases.length);
    expect(r.verdict).toBe('host');
    expect(r.fallback.packets).toBe(cases.length);
    expect(r.fallback.by_reason).toEqual({ host: cases.length });
    expect(r.fallback.pcie_bytes).toBe(cases.reduce((s, c) => s + c.data_in.length / 2, 0));
    expect(r.fallback.host_instructions).toBeGreaterThan(0);
    expect(r.nic_instructions).toBe(0);
  });
});
