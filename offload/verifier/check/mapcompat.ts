// Which helpers a map type may be passed to, and which map types a helper accepts
// (check_map_func_compatibility).
import { funcIdName } from '../../../firmware/helpers/protos.ts';
import type { Env } from './env.ts';

// Helper ids used below.
const H = {
  map_lookup_elem: 1,
  map_update_elem: 2,
  map_delete_elem: 3,
  tail_call: 12,
  perf_event_read: 22,
  perf_event_output: 25,
  get_stackid: 27,
  skb_under_cgroup: 33,
  current_task_under_cgroup: 37,
  redirect_map: 51,
  sk_redirect_map: 52,
  sock_map_update: 53,
  perf_event_read_value: 55,
  msg_redirect_map: 60,
  sock_hash_update: 70,
  msg_redirect_hash: 71,
  sk_redirect_hash: 72,
  get_local_storage: 81,
  sk_select_reuseport: 82,
  map_push_elem: 87,
  map_pop_elem: 88,
  map_peek_elem: 89,
  sk_storage_get: 107,
  sk_storage_delete: 108,
  skb_output: 111,
  xdp_output: 121,
  ringbuf_output: 130,
  ringbuf_reserve: 131,
  ringbuf_query: 134,
  inode_storage_get: 145,
  inode_storage_delete: 146,
  task_storage_get: 156,
  task_storage_delete: 157,
  kptr_xchg: 194,
  map_lookup_percpu_elem: 195,
  ringbuf_reserve_dynptr: 198,
  ringbuf_submit_dynptr: 199,
  ringbuf_discard_dynptr: 200,
  user_ringbuf_drain: 209,
  cgrp_storage_get: 210,
  cgrp_storage_delete: 211,
} as const;

/** Map type -> the helpers it may be passed to (types not listed accept any helper). */
const BY_MAP: Record<string, number[]> = {
  prog_array: [H.tail_call],
  perf_event_array: [H.perf_event_read, H.perf_event_output, H.skb_output, H.perf_event_read_value, H.xdp_output],
  ringbuf: [H.ringbuf_output, H.ringbuf_reserve, H.ringbuf_query, H.ringbuf_reserve_dynptr, H.ringbuf_submit_dynptr, H.ringbuf_discard_dynptr],
  user_ringbuf: [H.user_ringbuf_drain],
  stack_trace: [H.get_stackid],
  cgroup_array: [H.skb_under_cgroup, H.current_task_under_cgroup],
  cgroup_storage: [H.get_local_storage],
  percpu_cgroup_storage: [H.get_local_storage],
  devmap: [H.redirect_map, H.map_lookup_elem],
  devmap_hash: [H.redirect_map, H.map_lookup_elem],
  cpumap: [H.redirect_map],
  xskmap: [H.redirect_map, H.map_lookup_elem],
  array_of_maps: [H.map_lookup_elem],
  hash_of_maps: [H.map_lookup_elem],
  // sockmap/sockhash: XDP may also update and delete (may_update_sockmap)
  sockmap: [H.sk_redirect_map, H.sock_map_update, H.msg_redirect_map, H.sk_select_reuseport, H.map_lookup_elem, H.map_update_elem, H.map_delete_elem],
  sockhash: [H.sk_redirect_hash, H.sock_hash_update, H.msg_redirect_hash, H.sk_select_reuseport, H.map_lookup_elem, H.map_update_elem, H.map_delete_elem],
  reuseport_sockarray: [H.sk_select_reuseport],
  queue: [H.map_peek_elem, H.map_pop_elem, H.map_push_elem],
  stack: [H.map_peek_elem, H.map_pop_elem, H.map_push_elem],
  sk_storage: [H.sk_storage_get, H.sk_storage_delete, H.kptr_xchg],
  inode_storage: [H.inode_storage_get, H.inode_storage_delete, H.kptr_xchg],
  task_storage: [H.task_storage_get, H.task_storage_delete, H.kptr_xchg],
  cgrp_storage: [H.cgrp_storage_get, H.cgrp_storage_delete, H.kptr_xchg],
  bloom_filter: [H.map_peek_elem, H.map_push_elem],
};

/** Helper -> the map types it accepts (helpers not listed accept any map). */
const BY_FUNC: Record<number, string[]> = {
  [H.tail_call]: ['prog_array'],
  [H.perf_event_read]: ['perf_event_array'],
  [H.perf_event_output]: ['perf_event_array'],
  [H.perf_event_read_value]: ['perf_event_array'],
  [H.skb_output]: ['perf_event_array'],
  [H.xdp_output]: ['perf_event_array'],
  [H.ringbuf_output]: ['ringbuf'],
  [H.ringbuf_reserve]: ['ringbuf'],
  [H.ringbuf_query]: ['ringbuf'],
  [H.ringbuf_reserve_dynptr]: ['ringbuf'],
  [H.ringbuf_submit_dynptr]: ['ringbuf'],
  [H.ringbuf_discard_dynptr]: ['ringbuf'],
  [H.user_ringbuf_drain]: ['user_ringbuf'],
  [H.get_stackid]: ['stack_trace'],
  [H.current_task_under_cgroup]: ['cgroup_array'],
  [H.skb_under_cgroup]: ['cgroup_array'],
  [H.redirect_map]: ['devmap', 'devmap_hash', 'cpumap', 'xskmap'],
  [H.sk_redirect_map]: ['sockmap'],
  [H.msg_redirect_map]: ['sockmap'],
  [H.sock_map_update]: ['sockmap'],
  [H.sk_redirect_hash]: ['sockhash'],
  [H.msg_redirect_hash]: ['sockhash'],
  [H.sock_hash_update]: ['sockhash'],
  [H.get_local_storage]: ['cgroup_storage', 'percpu_cgroup_storage'],
  [H.sk_select_reuseport]: ['reuseport_sockarray', 'sockmap', 'sockhash'],
  [H.map_pop_elem]: ['queue', 'stack'],
  [H.map_peek_elem]: ['queue', 'stack', 'bloom_filter'],
  [H.map_push_elem]: ['queue', 'stack', 'bloom_filter'],
  [H.map_lookup_percpu_elem]: ['percpu_array', 'percpu_hash', 'lru_percpu_hash'],
  [H.sk_storage_get]: ['sk_storage'],
  [H.sk_storage_delete]: ['sk_storage'],
  [H.inode_storage_get]: ['inode_storage'],
  [H.inode_storage_delete]: ['inode_storage'],
  [H.task_storage_get]: ['task_storage'],
  [H.task_storage_delete]: ['task_storage'],
  [H.cgrp_storage_get]: ['cgrp_storage'],
  [H.cgrp_storage_delete]: ['cgrp_storage'],
};

/** check_map_func_compatibility for the map argument of helper `funcId` (map -1: none). */
export function mapCompatible(env: Env, map: number, funcId: number): void {
  if (map < 0) return;
  const m = env.prog.maps[map]!;
  const byMap = BY_MAP[m.typeName];
  const byFunc = BY_FUNC[funcId];
  if ((byMap && !byMap.includes(funcId)) || (byFunc && !byFunc.includes(m.typeName)) || m.typeName === 'insn_array')
    env.fail('EINVAL', `cannot pass map_type ${m.type} into func ${funcIdName(funcId)}#${funcId}`);
}
