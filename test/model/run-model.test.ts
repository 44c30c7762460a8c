// The model through real runs of the virtual NIC: skewed RSS shows the hot-queue bottleneck, punted
// traffic moves it to PCIe / the host path, and the static bound (no traffic) never exceeds what the
// traffic-driven model gives on any example. Small runs: a few hundred packets each.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Nic } from '../../nic/device/nic.ts';
import type { Packet } from '../../nic/device/io.ts';
import { generate, parseTrafficSpec } from '../../nic/traffic/index.ts';
import { loadProfile } from '../../nic/profile/index.ts';
import { loadObjectFile } from '../../offload/elf/index.ts';
import { checkProgram, verifierSafety } from '../../offload/capability/index.ts';
import { staticBound } from '../../nic/model/bound.ts';
import { withKey } from '../capability/helpers.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const traffic = (spec: string, seed = 3): Iterable<Packet> => generate(parseTrafficSpec(spec), seed);

describe('the model through nicsim run', () => {
  it('one flow on a 4-core NIC: the hot queue is the bottleneck, one core carries all the work', async () => {
    const p = withKey(loadProfile(`${ROOT}configs/host-x86.yaml`), 'cores.count', 4);
    const one = await Nic.open(`${ROOT}examples/xdp_count.o`, p, { cores: 4, workers: 2 }).run(traffic('packets=300,flows=1'));
    expect(one.model.bottleneck).toBe('hot_queue');
    expect(one.model.per_core_utilization.filter((u) => u > 0)).toHaveLength(1);
    // many flows spread over the queues: the cores share the work and capacity is higher
    const many = await Nic.open(`${ROOT}examples/xdp_count.o`, p, { cores: 4, workers: 2 }).run(traffic('packets=300,flows=256'));
    expect(many.model.capacity_mpps).toBeGreaterThan(2 * one.model.capacity_mpps);
  });

  it('punted traffic moves the bottleneck to the host path', async () => {
    // xdp_fallback on agilio-cx-fallback: UDP packets are punted at the BPF_MOD (see examples/xdp_fallback.c);
    // with one slow host core, the same profile is bound by the host path exactly when traffic is punted
    // (passed TCP packets cost the host only its pass overhead)
    let p = withKey(loadProfile(`${ROOT}configs/agilio-cx-fallback.yaml`), 'host.cores', 1);
    p = withKey(p, 'host.clock_mhz', 50);
    const open = () => Nic.open(`${ROOT}examples/xdp_fallback.o`, p, { workers: 2, mapUpdates: ['cfg:00000000:07000000'] });
    const udp = await open().run(traffic('packets=300,flows=64,l4=udp:1'));
    expect(udp.fallback.packets).toBe(300);
    expect(udp.model.bottleneck).toBe('host');
    const load = (r: typeof udp, k: string) => r.modelDetail.result.resources.find((x) => x.resource === k)!.utilization;
    expect(load(udp, 'host') + load(udp, 'pcie')).toBeGreaterThan(0);
    const tcp = await open().run(traffic('packets=300,flows=64,l4=tcp:1'));
    expect(tcp.fallback.packets).toBe(0);
    expect(tcp.model.bottleneck).not.toBe('host');
    expect(load(tcp, 'host')).toBeLessThan(load(udp, 'host') / 10);
  });

  it('the static bound is never above the traffic-driven throughput, on every example program', async () => {
    // one core, so RSS skew cannot lower the traffic-driven capacity below the even-spread bound
    const p = withKey(loadProfile(`${ROOT}configs/host-x86.yaml`), 'cores.count', 1);
    const checked: string[] = [];
    for (const f of readdirSync(`${ROOT}examples`).filter((x) => x.endsWith('.o')).sort()) {
      const spec = loadObjectFile(`${ROOT}examples/${f}`);
      for (const prog of spec.programs.filter((x) => x.typeName === 'xdp' && !x.unsupported.length)) {
        const bound = staticBound(p, prog, checkProgram(spec, prog, { name: p.name, profile: p }, verifierSafety));
        if (!bound.ok) continue;
        const r = await Nic.open(spec, p, { program: prog.name, cores: 1, workers: 1 }).run(traffic('packets=64,flows=16,l4=tcp:1+udp:1+icmp:1,ipv6=0.3,vlan=0.2'));
        const cores = r.modelDetail.result.resources.find((x) => x.resource === 'cores')!;
        expect(bound.mpps_per_core * 1e6, `${f} ${prog.name}`).toBeLessThanOrEqual(cores.capacity_pps * (1 + 1e-9));
        checked.push(`${f}:${prog.name}`);
      }
    }
    expect(checked.length).toBeGreaterThan(10);
  }, 240_000);
});
