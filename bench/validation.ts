// The throughput model against published hardware numbers: every workload of examples/workloads/
// runs on the virtual NIC with the profile that describes the measured machine (hxdp: the hXDP FPGA
// NIC; host-x86: the XDP paper's Xeon), over generated 64-byte UDP traffic offered above line rate, and
// the modeled Mpps is put next to the profile's `cost.calibration` entry of the same workload.
// The profiles' fixed costs (cost.per_packet_cycles, cost.action_cycles.tx / .redirect) are fitted on
// the three action workloads only (drop, TX, redirect); `--fit` prints the values that make those three
// exact, from the cycles the model measured. Every other workload is a prediction.
//   npx tsx bench/validation.ts [--fit] [--packets N]
import { Nic } from '../nic/device/nic.ts';
import { generate, parseTrafficSpec } from '../nic/traffic/index.ts';
import { loadProfile, type Profile } from '../nic/profile/index.ts';

const ROOT = new URL('../', import.meta.url).pathname;
const args = process.argv.slice(2);
const PACKETS = Number(args[args.indexOf('--packets') + 1] ?? 0) || 4000;
const FIT = args.includes('--fit');

interface Workload {
  /** The calibration entry's workload name. */
  name: string;
  object: string;
  program: string;
  traffic?: string;
  mapUpdates?: string[];
  /** What the measured workload did that ours does differently (shown in the table). */
  note?: string;
}

const hex32 = (n: number) => Buffer.from(Uint32Array.of(n).buffer).toString('hex');
const WORKLOADS: Workload[] = [
  { name: 'xdp_drop', object: 'wl_actions.o', program: 'wl_drop' },
  { name: 'xdp_tx', object: 'wl_actions.o', program: 'wl_tx' },
  { name: 'xdp_redirect', object: 'wl_actions.o', program: 'wl_redirect', mapUpdates: [`tx_ports:${hex32(0)}:${hex32(2)}`] },
  { name: 'xdp1', object: 'wl_parse_count.o', program: 'wl_xdp1' },
  { name: 'xdp2', object: 'wl_parse_count.o', program: 'wl_xdp2' },
  { name: 'rxq_info', object: 'wl_rxq_info.o', program: 'wl_rxq_info', mapUpdates: [`config_map:${hex32(0)}:${hex32(1)}${hex32(0)}${hex32(0)}`], note: 'action drop' },
  { name: 'simple_firewall', object: 'wl_firewall.o', program: 'wl_firewall', note: 'every flow from the trusted port' },
  { name: 'xdp_adjust_tail', object: 'wl_adjust_tail.o', program: 'wl_adjust_tail', traffic: 'size=700', note: '700-byte frames (the reply path)' },
];

function traffic(spec: string, packets: number): ReturnType<typeof generate> {
  // 64-byte UDP frames back to back at 100 Gbit/s: more than any profile here can take
  return generate(parseTrafficSpec(`packets=${packets},flows=256,gbps=100,${spec || 'size=64'}`), 7);
}

interface Row {
  profile: string;
  workload: string;
  cores: number;
  published: number;
  modeled: number;
  compute: number;
  note: string;
}

async function modelOf(p: Profile, w: Workload, cores: number, packets: number): Promise<{ mpps: number; cyclesPerPacket: number }> {
  const nic = Nic.open(`${ROOT}examples/workloads/${w.object}`, p, { program: w.program, cores, workers: Math.min(2, cores), ...(w.mapUpdates ? { mapUpdates: w.mapUpdates } : {}) });
  const r = await nic.run(traffic(w.traffic ?? '', packets));
  const cap = r.modelDetail.result.resources.find((x) => x.resource === 'cores')!.capacity_pps;
  // cycles one packet costs a core on average (occupancy), from the core capacity
  const cyclesPerPacket = (p.cores.clock_mhz * 1e6 * cores) / cap;
  return { mpps: r.model.mpps, cyclesPerPacket };
}

export async function runValidation(packets = PACKETS, fit = FIT): Promise<string[]> {
const out: string[] = [];
const rows: Row[] = [];
for (const id of ['hxdp', 'host-x86']) {
  const p = loadProfile(`${ROOT}configs/${id}.yaml`);
  for (const c of p.cost.calibration) {
    const w = WORKLOADS.find((x) => x.name === c.workload);
    if (!w) continue;
    const m = await modelOf(p, w, c.cores, packets);
    rows.push({ profile: id, workload: c.workload, cores: c.cores, published: c.mpps, modeled: m.mpps, compute: m.cyclesPerPacket, note: w.note ?? '' });
  }
  if (fit) {
    // per-packet cycles that make drop / TX / redirect exact on one core, given what the programs cost
    const one = (name: string) => rows.find((r) => r.profile === id && r.workload === name && r.cores === 1);
    const target = (name: string) => (one(name) ? (p.cores.clock_mhz * 1e6) / (one(name)!.published * 1e6) : NaN);
    const drop = one('xdp_drop');
    if (drop) {
      const per = p.cost.per_packet_cycles + target('xdp_drop') - drop.compute;
      out.push(`${id}: fitted cost.per_packet_cycles = ${per.toFixed(2)}`);
      for (const [k, name] of [['tx', 'xdp_tx'], ['redirect', 'xdp_redirect']] as const) {
        const r = one(name);
        if (r) out.push(`${id}: fitted cost.action_cycles.${k} = ${(p.cost.action_cycles[k] + target(name) - r.compute - (per - p.cost.per_packet_cycles)).toFixed(2)}`);
      }
    }
  }
}

out.push('modeled vs published Mpps (64-byte frames unless noted; fitted on drop / TX / redirect)');
out.push('profile    workload          cores  published   modeled   ratio  note');
for (const r of rows) {
  const ratio = r.modeled / r.published;
  out.push(`${r.profile.padEnd(10)} ${r.workload.padEnd(17)} ${String(r.cores).padStart(5)}  ${r.published.toFixed(2).padStart(9)}  ${r.modeled.toFixed(2).padStart(8)}  ${ratio.toFixed(2).padStart(6)}  ${Math.abs(ratio - 1) <= 0.2 ? '' : 'MISS '}${r.note}`);
}
return out;
}

if (import.meta.url === `file://${process.argv[1]}`) for (const l of await runValidation()) console.log(l);
