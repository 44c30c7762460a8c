// Typed messages between the main thread and a core worker. A worker gets one ServeTask (through
// piscina) and serves it until its input ring closes; packets never travel in messages, only in the
// rings. The report comes back as the task's result.
import type { DeviceImage } from './image.ts';
import type { RingDescriptor } from './ring.ts';
import type { RxModelDescriptor } from './rx-model.ts';

export interface ServeTask {
  kind: 'serve';
  image: DeviceImage;
  /** Packets in (main -> worker) and completions out (worker -> main). */
  input: RingDescriptor;
  output: RingDescriptor;
  /** Modeled cores this worker runs (core c serves the queues q with q mod cores = c). */
  cores: number[];
  rx: RxModelDescriptor;
  /** Send output frames back (PASS/TX/REDIRECT): only when the run writes output files. */
  outputs: boolean;
  /** bpf_ktime_get_ns at the first packet's arrival. */
  clockBaseNs: number;
  /** Test hook: after this many packets, the worker throws (fault-handling tests). */
  failAfter?: number;
}

export interface WorkerReport {
  kind: 'report';
  threadId: number;
  cores: number[];
  packets: number;
  /** First message of each fault kind, keyed "reason@pc". */
  faultMessages: Record<string, string>;
}
