// Helper prototypes (struct bpf_func_proto) for every helper an XDP program may call on Linux 6.18:
// xdp_func_proto() in net/core/filter.c, then bpf_sk_base_func_proto() and bpf_base_func_proto()
// in kernel/bpf/helpers.c. Pure data, shared by the safety verifier (argument and return types), the
// interpreter's helper implementations and the capability verifier.
//
// `tier` is the capability the kernel requires before it offers the helper at all: 'base' (any
// loader that may load XDP), 'bpf' (CAP_BPF, which every XDP loader has) or 'perfmon'
// (CAP_PERFMON: a privileged loader).
import { HELPER_IDS, helperName } from './names.ts';

/** Base argument types (enum bpf_arg_type), named after the kernel's ARG_* constants. */
export type ArgBase =
  | 'anything'
  | 'const_map_ptr'
  | 'ptr_to_map_key'
  | 'ptr_to_map_value'
  | 'ptr_to_mem'
  | 'const_size'
  | 'const_size_or_zero'
  | 'const_alloc_size_or_zero'
  | 'ptr_to_ctx'
  | 'ptr_to_sock_common'
  | 'ptr_to_btf_id_sock_common'
  | 'ptr_to_socket'
  | 'ptr_to_btf_id'
  | 'ptr_to_percpu_btf_id'
  | 'ptr_to_spin_lock'
  | 'ptr_to_func'
  | 'ptr_to_stack'
  | 'ptr_to_ringbuf_mem'
  | 'ptr_to_dynptr'
  | 'ptr_to_const_str'
  | 'ptr_to_timer'
  | 'kptr_xchg_dest';

export interface ArgSpec {
  type: ArgBase;
  /** PTR_MAYBE_NULL: NULL (a scalar 0) is accepted. */
  maybeNull?: boolean;
  /** MEM_RDONLY: the helper only reads the memory. */
  rdonly?: boolean;
  /** MEM_WRITE: the helper writes the memory. */
  write?: boolean;
  /** MEM_UNINIT: the memory may be uninitialised (the helper fills it). */
  uninit?: boolean;
  /** OBJ_RELEASE: the helper releases the referenced object. */
  release?: boolean;
  /** MEM_FIXED_SIZE: the memory's size, when it is not given by the next argument. */
  fixedSize?: number;
  /** MEM_ALIGNED */
  aligned?: boolean;
  /** DYNPTR_TYPE_*: the kind of dynptr. */
  dynptr?: 'local' | 'ringbuf' | 'xdp';
}

/** Return types (enum bpf_return_type). */
export type RetType =
  | 'integer'
  | 'void'
  | 'map_value_or_null'
  | 'socket_or_null'
  | 'sock_common_or_null'
  | 'tcp_sock_or_null'
  | 'ringbuf_mem_or_null'
  | 'btf_id_or_null'
  | 'btf_id_trusted'
  | 'mem_or_btf_id_rdonly'
  | 'mem_or_btf_id_or_null_rdonly'
  | 'dynptr_mem_or_null';

export interface HelperProto {
  id: number;
  /** Name without the bpf_ prefix, as in names.ts. */
  name: string;
  gplOnly: boolean;
  ret: RetType;
  /** r1.. r5; fewer entries = the rest are ARG_DONTCARE. */
  args: ArgSpec[];
  tier: 'base' | 'bpf' | 'perfmon';
  /** pkt_access: packet pointers are accepted for memory arguments. */
  pktAccess?: boolean;
  /** bpf_helper_changes_pkt_data: every packet pointer is invalid after the call. */
  changesPktData?: boolean;
  /** The helper may sleep (refused in XDP, which is not sleepable). */
  mightSleep?: boolean;
  /** acquire: returns a reference that must be released (is_acquire_function). */
  acquires?: boolean;
  /** The helper takes a callback it calls synchronously (bpf_loop, for_each_map_elem, ...). */
  callback?: 'loop' | 'for_each_map_elem' | 'find_vma' | 'user_ringbuf_drain' | 'timer';
  /** Return value bounds the verifier knows ([0, nr_cpus) etc.). */
  retRange?: 'cpu_id';
}

/** __BPF_FUNC_MAX_ID on Linux 6.18 (cgrp_storage_delete = 211 is the last helper). */
export const BPF_FUNC_MAX_ID = 212;

const A = (type: ArgBase, flags: Omit<ArgSpec, 'type'> = {}): ArgSpec => ({ type, ...flags });
const ANY = A('anything');
const MAP = A('const_map_ptr');
const KEY = A('ptr_to_map_key');
const CTX = A('ptr_to_ctx');
const SIZE = A('const_size');
const SIZE0 = A('const_size_or_zero');
const MEM_RO = A('ptr_to_mem', { rdonly: true });
const MEM_RO_NULL = A('ptr_to_mem', { rdonly: true, maybeNull: true });
const UNINIT = A('ptr_to_mem', { uninit: true, write: true });
const FUNC = A('ptr_to_func');
const STACK_NULL = A('ptr_to_stack', { maybeNull: true });
const SOCK_COMMON = A('ptr_to_btf_id_sock_common');

type P = Omit<HelperProto, 'id'>;
const p = (name: keyof typeof HELPER_IDS | 'cgrp_storage_get' | 'cgrp_storage_delete', ret: RetType, args: ArgSpec[], tier: HelperProto['tier'], extra: Partial<P> = {}): P => ({
  name,
  gplOnly: false,
  ret,
  args,
  tier,
  ...extra,
});

const LIST: P[] = [
  // xdp_func_proto
  p('perf_event_output', 'integer', [CTX, MAP, ANY, MEM_RO, SIZE0], 'base', { gplOnly: true }),
  p('get_smp_processor_id', 'integer', [], 'base', { retRange: 'cpu_id' }),
  p('csum_diff', 'integer', [MEM_RO_NULL, SIZE0, MEM_RO_NULL, SIZE0, ANY], 'base', { pktAccess: true }),
  p('xdp_adjust_head', 'integer', [CTX, ANY], 'base', { changesPktData: true }),
  p('xdp_adjust_meta', 'integer', [CTX, ANY], 'base', { changesPktData: true }),
  p('redirect', 'integer', [ANY, ANY], 'base'),
  p('redirect_map', 'integer', [MAP, ANY, ANY], 'base'),
  p('xdp_adjust_tail', 'integer', [CTX, ANY], 'base', { changesPktData: true }),
  p('xdp_get_buff_len', 'integer', [CTX], 'base'),
  p('xdp_load_bytes', 'integer', [CTX, ANY, UNINIT, SIZE], 'base'),
  p('xdp_store_bytes', 'integer', [CTX, ANY, MEM_RO, SIZE], 'base'),
  p('fib_lookup', 'integer', [CTX, A('ptr_to_mem', { write: true }), SIZE, ANY], 'base', { gplOnly: true }),
  p('check_mtu', 'integer', [CTX, ANY, A('ptr_to_mem', { write: true, fixedSize: 4, aligned: true }), ANY, ANY], 'base'),
  p('sk_lookup_udp', 'socket_or_null', [CTX, MEM_RO, SIZE, ANY, ANY], 'base', { pktAccess: true, acquires: true }),
  p('sk_lookup_tcp', 'socket_or_null', [CTX, MEM_RO, SIZE, ANY, ANY], 'base', { pktAccess: true, acquires: true }),
  p('sk_release', 'integer', [A('ptr_to_btf_id_sock_common', { release: true })], 'base'),
  p('skc_lookup_tcp', 'sock_common_or_null', [CTX, MEM_RO, SIZE, ANY, ANY], 'base', { pktAccess: true, acquires: true }),
  p('tcp_check_syncookie', 'integer', [SOCK_COMMON, MEM_RO, SIZE, MEM_RO, SIZE], 'base', { gplOnly: true, pktAccess: true }),
  p('tcp_gen_syncookie', 'integer', [SOCK_COMMON, MEM_RO, SIZE, MEM_RO, SIZE], 'base', { gplOnly: true, pktAccess: true }),
  p('tcp_raw_gen_syncookie_ipv4', 'integer', [A('ptr_to_mem', { rdonly: true, fixedSize: 20 }), MEM_RO, SIZE0], 'base', { pktAccess: true }),
  p('tcp_raw_gen_syncookie_ipv6', 'integer', [A('ptr_to_mem', { rdonly: true, fixedSize: 40 }), MEM_RO, SIZE0], 'base', { pktAccess: true }),
  p('tcp_raw_check_syncookie_ipv4', 'integer', [A('ptr_to_mem', { rdonly: true, fixedSize: 20 }), A('ptr_to_mem', { rdonly: true, fixedSize: 20 })], 'base', { pktAccess: true }),
  p('tcp_raw_check_syncookie_ipv6', 'integer', [A('ptr_to_mem', { rdonly: true, fixedSize: 40 }), A('ptr_to_mem', { rdonly: true, fixedSize: 20 })], 'base', { pktAccess: true }),
  // bpf_sk_base_func_proto
  p('skc_to_tcp6_sock', 'btf_id_or_null', [SOCK_COMMON], 'perfmon'),
  p('skc_to_tcp_sock', 'btf_id_or_null', [SOCK_COMMON], 'perfmon'),
  p('skc_to_udp6_sock', 'btf_id_or_null', [SOCK_COMMON], 'perfmon'),
  p('skc_to_unix_sock', 'btf_id_or_null', [SOCK_COMMON], 'perfmon'),
  p('skc_to_mptcp_sock', 'btf_id_or_null', [SOCK_COMMON], 'perfmon'),
  p('skc_to_tcp_timewait_sock', 'btf_id_or_null', [SOCK_COMMON], 'perfmon'),
  p('skc_to_tcp_request_sock', 'btf_id_or_null', [SOCK_COMMON], 'perfmon'),
  p('ktime_get_coarse_ns', 'integer', [], 'base'),
  // bpf_base_func_proto: no capability
  p('map_lookup_elem', 'map_value_or_null', [MAP, KEY], 'base', { pktAccess: true }),
  p('map_update_elem', 'integer', [MAP, KEY, A('ptr_to_map_value'), ANY], 'base', { pktAccess: true }),
  p('map_delete_elem', 'integer', [MAP, KEY], 'base', { pktAccess: true }),
  p('map_push_elem', 'integer', [MAP, A('ptr_to_map_value'), ANY], 'base', { pktAccess: true }),
  p('map_pop_elem', 'integer', [MAP, A('ptr_to_map_value', { uninit: true, write: true })], 'base'),
  p('map_peek_elem', 'integer', [MAP, A('ptr_to_map_value', { uninit: true, write: true })], 'base'),
  p('map_lookup_percpu_elem', 'map_value_or_null', [MAP, KEY, ANY], 'base', { pktAccess: true }),
  p('get_prandom_u32', 'integer', [], 'base'),
  p('get_numa_node_id', 'integer', [], 'base'),
  p('tail_call', 'void', [CTX, MAP, ANY], 'base'),
  p('ktime_get_ns', 'integer', [], 'base'),
  p('ktime_get_boot_ns', 'integer', [], 'base'),
  p('ktime_get_tai_ns', 'integer', [], 'base'),
  p('ringbuf_output', 'integer', [MAP, MEM_RO, SIZE0, ANY], 'base'),
  p('ringbuf_reserve', 'ringbuf_mem_or_null', [MAP, A('const_alloc_size_or_zero'), ANY], 'base', { acquires: true }),
  p('ringbuf_submit', 'void', [A('ptr_to_ringbuf_mem', { release: true }), ANY], 'base'),
  p('ringbuf_discard', 'void', [A('ptr_to_ringbuf_mem', { release: true }), ANY], 'base'),
  p('ringbuf_query', 'integer', [MAP, ANY], 'base'),
  p('strncmp', 'integer', [MEM_RO, SIZE, A('ptr_to_const_str')], 'base'),
  p('strtol', 'integer', [MEM_RO, SIZE, ANY, A('ptr_to_mem', { uninit: true, write: true, fixedSize: 8, aligned: true })], 'base'),
  p('strtoul', 'integer', [MEM_RO, SIZE, ANY, A('ptr_to_mem', { uninit: true, write: true, fixedSize: 8, aligned: true })], 'base'),
  p('get_current_pid_tgid', 'integer', [], 'base'),
  p('get_ns_current_pid_tgid', 'integer', [ANY, ANY, UNINIT, SIZE], 'base'),
  p('get_current_uid_gid', 'integer', [], 'base'),
  // bpf_base_func_proto: CAP_BPF
  p('spin_lock', 'void', [A('ptr_to_spin_lock')], 'bpf'),
  p('spin_unlock', 'void', [A('ptr_to_spin_lock')], 'bpf'),
  p('jiffies64', 'integer', [], 'bpf'),
  p('per_cpu_ptr', 'mem_or_btf_id_or_null_rdonly', [A('ptr_to_percpu_btf_id'), ANY], 'bpf'),
  p('this_cpu_ptr', 'mem_or_btf_id_rdonly', [A('ptr_to_percpu_btf_id')], 'bpf'),
  p('timer_init', 'integer', [A('ptr_to_timer'), MAP, ANY], 'bpf'),
  p('timer_set_callback', 'integer', [A('ptr_to_timer'), FUNC], 'bpf', { callback: 'timer' }),
  p('timer_start', 'integer', [A('ptr_to_timer'), ANY, ANY], 'bpf'),
  p('timer_cancel', 'integer', [A('ptr_to_timer')], 'bpf'),
  p('kptr_xchg', 'btf_id_or_null', [A('kptr_xchg_dest'), A('ptr_to_btf_id', { maybeNull: true, release: true })], 'bpf', { acquires: true }),
  p('for_each_map_elem', 'integer', [MAP, FUNC, STACK_NULL, ANY], 'bpf', { callback: 'for_each_map_elem' }),
  p('loop', 'integer', [ANY, FUNC, STACK_NULL, ANY], 'bpf', { callback: 'loop' }),
  p('user_ringbuf_drain', 'integer', [MAP, FUNC, STACK_NULL, ANY], 'bpf', { callback: 'user_ringbuf_drain' }),
  p('ringbuf_reserve_dynptr', 'integer', [MAP, ANY, ANY, A('ptr_to_dynptr', { dynptr: 'ringbuf', uninit: true, write: true })], 'bpf'),
  p('ringbuf_submit_dynptr', 'void', [A('ptr_to_dynptr', { dynptr: 'ringbuf', release: true }), ANY], 'bpf'),
  p('ringbuf_discard_dynptr', 'void', [A('ptr_to_dynptr', { dynptr: 'ringbuf', release: true }), ANY], 'bpf'),
  p('dynptr_from_mem', 'integer', [UNINIT, SIZE0, ANY, A('ptr_to_dynptr', { dynptr: 'local', uninit: true, write: true })], 'bpf'),
  p('dynptr_read', 'integer', [UNINIT, SIZE0, A('ptr_to_dynptr', { rdonly: true }), ANY, ANY], 'bpf'),
  p('dynptr_write', 'integer', [A('ptr_to_dynptr', { rdonly: true }), ANY, MEM_RO, SIZE0, ANY], 'bpf'),
  p('dynptr_data', 'dynptr_mem_or_null', [A('ptr_to_dynptr', { rdonly: true }), ANY, A('const_alloc_size_or_zero')], 'bpf'),
  p('cgrp_storage_get', 'btf_id_or_null', [MAP, A('ptr_to_btf_id', { maybeNull: true }), ANY, ANY], 'bpf'),
  p('cgrp_storage_delete', 'integer', [MAP, A('ptr_to_btf_id', { maybeNull: true })], 'bpf'),
  p('get_current_cgroup_id', 'integer', [], 'bpf'),
  p('get_current_ancestor_cgroup_id', 'integer', [ANY], 'bpf'),
  p('current_task_under_cgroup', 'integer', [MAP, ANY], 'bpf'),
  p('get_cgroup_classid', 'integer', [], 'bpf'),
  p('task_storage_get', 'btf_id_or_null', [MAP, A('ptr_to_btf_id', { maybeNull: true }), ANY, ANY], 'bpf'),
  p('task_storage_delete', 'integer', [MAP, A('ptr_to_btf_id', { maybeNull: true })], 'bpf'),
  // bpf_base_func_proto: CAP_PERFMON
  p('trace_printk', 'integer', [MEM_RO, SIZE], 'perfmon', { gplOnly: true }),
  p('get_current_task', 'integer', [], 'perfmon', { gplOnly: true }),
  p('get_current_task_btf', 'btf_id_trusted', [], 'perfmon', { gplOnly: true }),
  p('get_current_comm', 'integer', [UNINIT, SIZE], 'perfmon'),
  p('probe_read_user', 'integer', [UNINIT, SIZE0, ANY], 'perfmon', { gplOnly: true }),
  p('probe_read_kernel', 'integer', [UNINIT, SIZE0, ANY], 'perfmon', { gplOnly: true }),
  p('probe_read_user_str', 'integer', [UNINIT, SIZE0, ANY], 'perfmon', { gplOnly: true }),
  p('probe_read_kernel_str', 'integer', [UNINIT, SIZE0, ANY], 'perfmon', { gplOnly: true }),
  p('copy_from_user', 'integer', [UNINIT, SIZE0, ANY], 'perfmon', { gplOnly: true, mightSleep: true }),
  p('copy_from_user_task', 'integer', [UNINIT, SIZE0, ANY, A('ptr_to_btf_id'), ANY], 'perfmon', { gplOnly: true, mightSleep: true }),
  p('snprintf_btf', 'integer', [A('ptr_to_mem', { write: true }), SIZE, A('ptr_to_mem', { rdonly: true }), SIZE, ANY], 'perfmon', { gplOnly: true }),
  p('snprintf', 'integer', [A('ptr_to_mem', { maybeNull: true, write: true }), SIZE0, A('ptr_to_const_str'), A('ptr_to_mem', { maybeNull: true, rdonly: true }), SIZE0], 'perfmon'),
  p('task_pt_regs', 'btf_id_or_null', [A('ptr_to_btf_id')], 'perfmon', { gplOnly: true }),
  p('trace_vprintk', 'integer', [MEM_RO, SIZE, MEM_RO_NULL, SIZE0], 'perfmon', { gplOnly: true }),
  p('perf_event_read_value', 'integer', [MAP, ANY, UNINIT, SIZE], 'perfmon', { gplOnly: true }),
  p('perf_event_read', 'integer', [MAP, ANY], 'perfmon', { gplOnly: true }),
  p('send_signal', 'integer', [ANY], 'perfmon'),
  p('send_signal_thread', 'integer', [ANY], 'perfmon'),
  p('get_task_stack', 'integer', [A('ptr_to_btf_id'), UNINIT, SIZE0, ANY], 'perfmon'),
  p('get_branch_snapshot', 'integer', [UNINIT, SIZE0, ANY], 'perfmon'),
  p('find_vma', 'integer', [A('ptr_to_btf_id'), ANY, FUNC, STACK_NULL, ANY], 'perfmon', { callback: 'find_vma' }),
];

/** Extra ids beyond names.ts (which stops at 209). */
const EXTRA_IDS: Record<string, number> = { cgrp_storage_get: 210, cgrp_storage_delete: 211 };

function idOf(name: string): number {
  const id = (HELPER_IDS as Record<string, number>)[name] ?? EXTRA_IDS[name];
  if (id === undefined) throw new Error(`protos: unknown helper ${name}`);
  return id;
}

/** Prototypes of the helpers an XDP program may call, indexed by helper id. */
export const HELPER_PROTOS: readonly (HelperProto | undefined)[] = (() => {
  const out: (HelperProto | undefined)[] = new Array(BPF_FUNC_MAX_ID).fill(undefined);
  for (const e of LIST) {
    const id = idOf(e.name);
    out[id] = Object.freeze({ id, ...e, args: e.args.map((a) => Object.freeze(a)) });
  }
  return Object.freeze(out);
})();

/** The kernel's func_id_name(): the helper's name for ids below __BPF_FUNC_MAX_ID, else 'unknown'. */
export function funcIdName(id: number): string {
  if (id < 0 || id >= BPF_FUNC_MAX_ID) return 'unknown';
  const n = helperName(id) ?? Object.keys(EXTRA_IDS).find((k) => EXTRA_IDS[k] === id);
  return n ? `bpf_${n}` : 'unknown';
}

/** The prototype XDP sees for `id`, or undefined ("program of this type cannot use helper"). */
export function xdpHelperProto(id: number, privileged: boolean): HelperProto | undefined {
  const proto = HELPER_PROTOS[id];
  if (!proto) return undefined;
  if (proto.tier === 'perfmon' && !privileged) return undefined;
  return proto;
}
