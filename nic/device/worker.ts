// A core worker (one piscina thread): runs the modeled cores assigned to it over the packets of its
// input ring and writes one completion per packet to its output ring. The loop never allocates per
// packet beyond the frame view handed to the engine; it sleeps with Atomics.wait when the ring is
// empty and publishes completions as it goes, so a killed worker has lost at most the packet it was
// running (see nic.ts for recovery).
import { threadId } from 'node:worker_threads';
import { Arena } from '../../firmware/arena.ts';
import { STATE_BYTES, REDIRECT_IFINDEX, REDIRECT_MAP, S_REDIR, S_REDIR_A, S_REDIR_B } from '../../firmware/state.ts';
import { CoreRunner, RunEnd } from './engines.ts';
import type { ServeTask, WorkerReport } from './messages.ts';
import {
  C_CORE, C_E2BIG, C_FALLBACK_PC, C_FAULT_PC, C_HOST_INSNS, C_INDEX, C_NIC_INSNS, C_OUT_LEN, C_OUTCOME, C_PCIE_BYTES, C_REASON,
  C_REDIRECT_KIND, C_REDIRECT_TARGET, CPL_HEADER, C_COMPUTE_F64, C_STALL_F64, C_HOST_F64, Outcome, P_INDEX, P_LEN, P_QUEUE, P_RSS_HASH, P_TS_F64, PKT_HEADER, RedirectKind, REASONS, HOST_PLACEMENT,
} from './records.ts';
import { ByteRing } from './ring.ts';
import { RxModel } from './rx-model.ts';
import { occupancyNs } from '../model/device-model.ts';
import { WorkerKernel } from '../../firmware/kfuncs/device.ts';

const ACTION_NAMES = ['aborted', 'drop', 'pass', 'tx', 'redirect'] as const;
const R_XDP_ABORTED = REASONS.indexOf('xdp_aborted');
const R_INVALID = REASONS.indexOf('invalid_action');
const R_UNSUPPORTED = REASONS.indexOf('action_unsupported');
const R_REDIRECT_FAILED = REASONS.indexOf('redirect_failed');
const IDLE_WAIT_MS = 20;
/** Completions between two wake-ups of a sleeping main thread (a power of two). */
const NOTIFY_EVERY = 64;
/** Bytes of core state a punt moves to the host besides the packet: the state block and the 512-byte entry stack frame. */
const PUNT_STATE_BYTES = STATE_BYTES + 512;

interface Verdict {
  outcome: number;
  reason: number;
  faultPc: number;
  redirectKind: number;
  redirectTarget: number;
}

export default function serve(task: ServeTask): WorkerReport {
  const img = task.image;
  const input = ByteRing.attach(task.input);
  const output = ByteRing.attach(task.output);
  const rx = new RxModel(task.rx);
  input.owner = threadId;
  const arena = Arena.attach(img.arena);
  const maps = arena.maps;
  const runners: (CoreRunner | undefined)[] = [];
  const kernel = new WorkerKernel(img.kernel);
  const meta = kernel.meta;
  for (const c of task.cores) {
    runners[c] = new CoreRunner({
      arena, cpu: c, cores: img.cores, readonly: img.readonly, programs: img.programs, entry: img.entry, placement: img.placement,
      puntPcs: img.puntPcs, seed: img.seed, engine: img.engine, jit: img.jit, cycles: img.cycles, kernel: kernel.side(), ...(img.budget !== undefined ? { budget: img.budget } : {}),
    });
  }
  const host = img.placement === 'host';
  // offload.actions as outcome codes: nicAction[r0] for r0 = 0..4, nicOther for unknown codes
  const nicAction = Int32Array.from(ACTION_NAMES, (a) => ACTION_NAMES.indexOf(img.actions[a]));
  const nicOther = ACTION_NAMES.indexOf(img.actions.other);
  const faultMessages: Record<string, string> = {};
  const v: Verdict = { outcome: 0, reason: 0, faultPc: -1, redirectKind: 0, redirectTarget: 0 };
  let packets = 0;

  const classify = (r: CoreRunner, end: number, onNic: boolean): void => {
    v.reason = 0;
    v.faultPc = -1;
    v.redirectKind = RedirectKind.none;
    v.redirectTarget = 0;
    if (end === RunEnd.fault) {
      v.outcome = Outcome.aborted;
      v.reason = r.faultReason;
      v.faultPc = r.faultPc;
      const key = `${REASONS[r.faultReason]}@${r.faultPc}`;
      if (!(key in faultMessages)) faultMessages[key] = r.faultMessage;
      return;
    }
    const r0 = r.r0;
    let action: number;
    if (r0 > 4) {
      // Unknown codes: the kernel warns and aborts; a NIC does what its profile says.
      action = onNic ? nicOther : Outcome.aborted;
      if (action === Outcome.aborted) v.reason = R_INVALID;
    } else {
      action = onNic ? nicAction[r0]! : r0;
      if (action !== r0 && action === Outcome.aborted) v.reason = R_UNSUPPORTED;
      else if (r0 === Outcome.aborted) v.reason = R_XDP_ABORTED;
    }
    if (action === Outcome.redirect) {
      const w = r.last.blocks.state.words;
      const kind = w[S_REDIR];
      if (kind === REDIRECT_IFINDEX) {
        v.redirectKind = RedirectKind.ifindex;
        v.redirectTarget = w[S_REDIR_A]! >>> 0;
      } else if (kind === REDIRECT_MAP) {
        const map = w[S_REDIR_A]!;
        const key = w[S_REDIR_B]! >>> 0;
        const type = img.mapTypes[map];
        const m = maps[map]!;
        if (type === 'cpumap') {
          v.redirectKind = RedirectKind.cpumap;
          v.redirectTarget = key;
        } else if (type === 'xskmap') {
          v.redirectKind = RedirectKind.xsk;
          v.redirectTarget = key;
        } else {
          v.redirectKind = RedirectKind.devmap;
          v.redirectTarget = 'target' in m ? m.target(key) : 0;
        }
      } else {
        action = Outcome.aborted;
        v.reason = R_REDIRECT_FAILED;
      }
    }
    v.outcome = action;
  };

  for (;;) {
    const at = input.peek();
    if (at < 0) {
      output.publish();
      input.release();
      input.beat();
      if (input.closed && input.peek() < 0) break;
      input.waitData(IDLE_WAIT_MS);
      continue;
    }
    const w = at >> 2;
    const len = input.i32[w + P_LEN]!;
    const queue = input.i32[w + P_QUEUE]!;
    const index = input.i32[w + P_INDEX]!;
    const t = input.f64[(at >> 3) + P_TS_F64]!;
    const coreNo = queue % img.cores;
    const r = runners[coreNo];
    if (!r) throw new Error(`packet for core ${coreNo}, which this worker does not run`);
    if (task.failAfter !== undefined && packets === task.failAfter) throw new Error(`test hook: worker fails after ${packets} packets`);
    let outLen = 0;
    let nicInsns = 0;
    let hostInsns = 0;
    let pcie = 0;
    let fallbackPc = -1;
    let e2big = 0;
    if (!rx.admit(queue, t)) {
      v.outcome = Outcome.nic_drop;
      v.reason = 0;
      v.faultPc = -1;
      v.redirectKind = 0;
      v.redirectTarget = 0;
    } else {
      // (a reused view of a copy: no allocation per packet; the engine copies it into its own buffer)
      let frame = input.view(at + PKT_HEADER, len);
      // the descriptor's metadata (timestamp, RSS hash, stripped VLAN tag) for the XDP metadata kfuncs
      if (meta) frame = meta.prepare(frame, input.i32[w + P_RSS_HASH]!, t);
      const end = r.run(frame, queue, task.clockBaseNs + t);
      e2big = r.e2big;
      nicInsns = r.nicInsns;
      hostInsns = r.hostInsns;
      if (host) {
        pcie = len;
        fallbackPc = HOST_PLACEMENT;
      } else if (r.puntPc >= 0) {
        // The packet and the core's state cross PCIe: registers, frame chain, stack, packet.
        pcie = len + PUNT_STATE_BYTES;
        fallbackPc = r.puntPc;
      }
      classify(r, end, !host && r.puntPc < 0);
      // what the device does with the packet costs its own cycles (descriptors, DMA out)
      if (!host && r.puntPc < 0) r.compute += img.cycles.action[v.outcome]!;
      // the ring model's service time is the cost model's occupancy of the core (host-path packets
      // leave the NIC at once: the host's own queue is the throughput model's business)
      rx.commit(queue, coreNo, t, occupancyNs(img.cycles, r.compute, r.stall));
      if (task.outputs && (v.outcome === Outcome.pass || v.outcome === Outcome.tx || v.outcome === Outcome.redirect)) outLen = r.last.buf.totalLen;
    }
    let o = output.reserve(CPL_HEADER + outLen);
    while (o < 0) {
      output.publish();
      input.release();
      input.beat();
      output.waitSpace(IDLE_WAIT_MS);
      o = output.reserve(CPL_HEADER + outLen);
    }
    const ow = o >> 2;
    const oi = output.i32;
    oi[ow + C_INDEX] = index;
    oi[ow + C_OUTCOME] = v.outcome;
    oi[ow + C_CORE] = coreNo;
    oi[ow + C_REDIRECT_KIND] = v.redirectKind;
    oi[ow + C_REDIRECT_TARGET] = v.redirectTarget;
    oi[ow + C_OUT_LEN] = outLen;
    oi[ow + C_NIC_INSNS] = nicInsns;
    oi[ow + C_HOST_INSNS] = hostInsns;
    oi[ow + C_FALLBACK_PC] = fallbackPc;
    oi[ow + C_REASON] = v.reason;
    oi[ow + C_FAULT_PC] = v.faultPc;
    oi[ow + C_PCIE_BYTES] = pcie;
    oi[ow + C_E2BIG] = e2big;
    const of = o >> 3;
    const dropped = v.outcome === Outcome.nic_drop;
    output.f64[of + C_COMPUTE_F64] = dropped ? 0 : r.compute;
    output.f64[of + C_STALL_F64] = dropped ? 0 : r.stall;
    output.f64[of + C_HOST_F64] = dropped ? 0 : r.hostCycles;
    if (outLen > 0) r.last.buf.copy(0, output.u8, o + CPL_HEADER, outLen, false);
    input.next();
    packets++;
    // Visible at once (a killed worker loses at most the packet it runs); the main thread, if it
    // sleeps waiting, is woken once per NOTIFY_EVERY completions (and when this worker runs out of
    // input), not once per packet: a wake-up costs more than running a small program.
    output.publishQuiet();
    if ((packets & (NOTIFY_EVERY - 1)) === 0) {
      output.publish();
      input.release();
      input.beat();
    }
  }
  output.close();
  // cycles per pc of every program, NIC and host path together, summed over this worker's cores
  const cycles: (Float64Array | null)[] = [];
  for (const r of runners) {
    if (!r) continue;
    for (const prof of [r.nicProfile, r.hostProfile]) {
      prof?.acc.forEach((a, id) => {
        if (!a) return;
        const into = (cycles[id] ??= new Float64Array(a.length));
        for (let i = 0; i < a.length; i++) into[i] = into[i]! + a[i]!;
      });
    }
  }
  return { kind: 'report', threadId, cores: task.cores, packets, faultMessages, cycles };
}
