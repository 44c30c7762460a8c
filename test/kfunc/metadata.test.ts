// The XDP metadata kfuncs. The kernel (recorded in xdp-kfuncs.json `metadata_dev_bound`) loads them only
// into device-bound programs of a driver that implements them (veth: loads; lo: ENOTSUP), refuses them
// unbound ("metadata kfuncs require device-bound program", the safety verifier's corpus), and refuses
// BPF_PROG_TEST_RUN of a device-bound program (EINVAL): nothing to record a run from. So nicsim's runs are
// checked against hand-set device metadata: what the simulated NIC reports for the packet (kernel.rx)
// comes back from the kfuncs; without a device that reports metadata they return -EOPNOTSUPP (the
// kernel's default implementations in net/core/xdp.c), a field the packet lacks is -ENODATA.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deviceRxMetadata, RX_HASH, RX_VLAN_TAG, rssHashType, XDP_RSS, RxMetadata } from '../../firmware/kfuncs/kernel.ts';
import { loadObjectFile } from '../../offload/elf/index.ts';
import { verifyProgram } from '../../offload/verifier/index.ts';
import { coreFor, loadForRun } from '../../nic/runtime/load.ts';
import { root } from './helpers.ts';

const OBJ = 'test/fixtures/kfuncs/progs/metadata_run.o';
const recorded = JSON.parse(readFileSync(join(root, 'test/fixtures/kfuncs/xdp-kfuncs.json'), 'utf8'));

function run(rx: RxMetadata | undefined): DataView {
  const spec = loadObjectFile(join(root, OBJ));
  const v = verifyProgram(spec, 'metadata_run', { devBound: true });
  expect(v.accepted).toBe(true);
  const obj = loadForRun(spec, { cpus: 1, stackDepths: new Map([['metadata_run', v.facts!.subprogs[0]!.stackDepth]]) });
  const core = coreFor(obj);
  core.kernel.rx = rx;
  expect(core.run(obj.programs[0]!.program, new Uint8Array(96))).toBe(2);
  const out = core.buf.output();
  return new DataView(out.buffer, out.byteOffset + 64, 32);
}

describe('XDP metadata kfuncs', () => {
  it('the kernel loads them only device-bound and cannot test-run them; nicsim verifies them only offloaded', () => {
    for (const name of ['bpf_xdp_metadata_rx_timestamp', 'bpf_xdp_metadata_rx_hash', 'bpf_xdp_metadata_rx_vlan_tag']) {
      expect(recorded.metadata_dev_bound[name].veth_dev_bound).toEqual({ load: 'ok', test_run: 'EINVAL' });
      expect(recorded.metadata_dev_bound[name].lo_dev_bound.load).toBe('ENOTSUP');
    }
    const spec = loadObjectFile(join(root, OBJ));
    expect(verifyProgram(spec, 'metadata_run').error?.message).toBe('metadata kfuncs require device-bound program');
  });

  it('return what the device reports for the packet', () => {
    const hashType = XDP_RSS.L3_IPV4 | XDP_RSS.L4 | XDP_RSS.L4_TCP;
    const rx = Object.assign(new RxMetadata().setTimestamp(1_234_567_890_123n), { hash: 0xdeadbeef, hashType, vlanProto: 0x8100, vlanTci: 0x2005 });
    rx.present |= RX_HASH | RX_VLAN_TAG;
    const d = run(rx);
    expect(d.getInt32(0, true)).toBe(0);
    expect(d.getBigUint64(4, true)).toBe(1_234_567_890_123n);
    expect(d.getInt32(12, true)).toBe(0);
    expect(d.getUint32(16, true)).toBe(0xdeadbeef);
    expect(d.getUint32(20, true)).toBe(0x19); // XDP_RSS_TYPE_L4_IPV4_TCP
    expect(d.getInt32(24, true)).toBe(0);
    expect(d.getUint16(28, false)).toBe(0x8100); // __be16
    expect(d.getUint16(30, true)).toBe(0x2005);
  });

  it('-EOPNOTSUPP without a device that reports metadata, -ENODATA for what this packet lacks', () => {
    const none = run(undefined);
    expect([none.getInt32(0, true), none.getInt32(12, true), none.getInt32(24, true)]).toEqual([-95, -95, -95]);
    const empty = run(Object.assign(new RxMetadata(), { hash: 7, present: RX_HASH }));
    expect([empty.getInt32(0, true), empty.getInt32(12, true), empty.getInt32(24, true)]).toEqual([-61, 0, -61]);
    expect(empty.getUint32(16, true)).toBe(7);
  });
});

describe('the receive metadata a simulated NIC reports', () => {
  const eth = (type: number) => [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, type >> 8, type & 0xff];
  const ipv4 = (proto: number, frag = 0) => [0x45, 0, 0, 40, 0, 1, frag >> 8, frag & 0xff, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
  const ports = [0x9c, 0x40, 0, 80, 0, 0, 0, 0];
  it('hash types as enum xdp_rss_hash_type (values as in this kernel\'s BTF: XDP_RSS_TYPE_L4_IPV4_TCP = 25, ...)', () => {
    expect(rssHashType(Uint8Array.from([...eth(0x0800), ...ipv4(6), ...ports]))).toBe(0x19); // XDP_RSS_TYPE_L4_IPV4_TCP
    expect(rssHashType(Uint8Array.from([...eth(0x0800), ...ipv4(17), ...ports]))).toBe(0x29); // L4_IPV4_UDP
    expect(rssHashType(Uint8Array.from([...eth(0x0800), ...ipv4(6, 0x2000), ...ports]))).toBe(0x01); // a fragment: L3 only
    const v6 = [0x60, 0, 0, 0, 0, 8, 6, 64, ...Array(32).fill(1)];
    expect(rssHashType(Uint8Array.from([...eth(0x86dd), ...v6, ...ports]))).toBe(0x1a); // L4_IPV6_TCP
    expect(rssHashType(Uint8Array.from([...eth(0x8100), 0, 5, 0x08, 0, ...ipv4(6), ...ports]))).toBe(0x19); // behind a VLAN tag
    expect(rssHashType(Uint8Array.from(eth(0x0806)))).toBe(0); // ARP: XDP_RSS_TYPE_NONE
  });
  it('the arrival time, the RSS hash and the stripped tag come back from the kfuncs', () => {
    const frame = Uint8Array.from([...eth(0x0800), ...ipv4(6), ...ports]);
    const d = run(deviceRxMetadata(frame, 5_000_000_123n, 0x12345678, { proto: 0x8100, tci: 7 }));
    expect(d.getBigUint64(4, true)).toBe(5_000_000_123n);
    expect(d.getUint32(16, true)).toBe(0x12345678);
    expect(d.getUint32(20, true)).toBe(0x19);
    expect(d.getUint16(30, true)).toBe(7);
    // a frame RSS gives no hash (ARP: not IP) has none: -ENODATA
    expect(run(deviceRxMetadata(Uint8Array.from([...eth(0x0806), ...Array(28).fill(0)]), 1n, -1)).getInt32(12, true)).toBe(-61);
  });
});

describe('nicsim verify --dev-bound / --offload with the metadata kfuncs', () => {
  // kernel/bpf/offload.c bpf_dev_bound_kfunc_check (6.5 to 6.18): unbound "require device-bound
  // program", offloaded "can't be offloaded" (this machine has no netdevsim to record an offloaded load)
  const verify = async (...flags: string[]) => {
    const { main } = await import('../../nic/cli/main.ts');
    let out = '';
    const code = await main(['verify', join(root, OBJ), ...flags], { stdout: (t) => void (out += t), stderr: () => {}, stdin: async () => '' });
    return { code, out };
  };
  it('loads bound to a device, not unbound and not offloaded', async () => {
    expect((await verify('--dev-bound')).code).toBe(0);
    const off = await verify('--offload');
    expect(off.code).toBe(1);
    expect(off.out).toMatch(/metadata kfuncs can't be offloaded/);
    expect((await verify()).out).toMatch(/metadata kfuncs require device-bound program/);
  });
});
