// Program types from section names, following libbpf's section_defs table and matching rules
// (libbpf >= 1.0): "name" must match exactly, "name/" requires that prefix, "name+" matches "name"
// or "name/...". Objects written for pre-1.0 libbpf used looser prefixes ("xdp_foo", "xdp/foo",
// "xdp_devmap/..."): those are still recognised, marked match 'legacy'.

/** enum bpf_prog_type, indexed by value. */
export const PROG_TYPE_NAMES = [
  'unspec', 'socket_filter', 'kprobe', 'sched_cls', 'sched_act', 'tracepoint', 'xdp', 'perf_event',
  'cgroup_skb', 'cgroup_sock', 'lwt_in', 'lwt_out', 'lwt_xmit', 'sock_ops', 'sk_skb', 'cgroup_device',
  'sk_msg', 'raw_tracepoint', 'cgroup_sock_addr', 'lwt_seg6local', 'lirc_mode2', 'sk_reuseport',
  'flow_dissector', 'cgroup_sysctl', 'raw_tracepoint_writable', 'cgroup_sockopt', 'tracing', 'struct_ops',
  'ext', 'lsm', 'sk_lookup', 'syscall', 'netfilter',
] as const;
export type ProgTypeName = (typeof PROG_TYPE_NAMES)[number];

/** enum bpf_attach_type, indexed by value. */
export const ATTACH_TYPE_NAMES = [
  'cgroup_inet_ingress', 'cgroup_inet_egress', 'cgroup_inet_sock_create', 'cgroup_sock_ops',
  'sk_skb_stream_parser', 'sk_skb_stream_verdict', 'cgroup_device', 'sk_msg_verdict', 'cgroup_inet4_bind',
  'cgroup_inet6_bind', 'cgroup_inet4_connect', 'cgroup_inet6_connect', 'cgroup_inet4_post_bind',
  'cgroup_inet6_post_bind', 'cgroup_udp4_sendmsg', 'cgroup_udp6_sendmsg', 'lirc_mode2', 'flow_dissector',
  'cgroup_sysctl', 'cgroup_udp4_recvmsg', 'cgroup_udp6_recvmsg', 'cgroup_getsockopt', 'cgroup_setsockopt',
  'trace_raw_tp', 'trace_fentry', 'trace_fexit', 'modify_return', 'lsm_mac', 'trace_iter',
  'cgroup_inet4_getpeername', 'cgroup_inet6_getpeername', 'cgroup_inet4_getsockname',
  'cgroup_inet6_getsockname', 'xdp_devmap', 'cgroup_inet_sock_release', 'xdp_cpumap', 'sk_lookup', 'xdp',
  'sk_skb_verdict', 'sk_reuseport_select', 'sk_reuseport_select_or_migrate', 'perf_event',
  'trace_kprobe_multi', 'lsm_cgroup', 'struct_ops', 'netfilter', 'tcx_ingress', 'tcx_egress',
  'trace_uprobe_multi', 'cgroup_unix_connect', 'cgroup_unix_sendmsg', 'cgroup_unix_recvmsg',
  'cgroup_unix_getpeername', 'cgroup_unix_getsockname', 'netkit_primary', 'netkit_peer',
] as const;

export const PROG_TYPE = Object.fromEntries(PROG_TYPE_NAMES.map((n, i) => [n, i])) as Record<ProgTypeName, number>;
const ATTACH = Object.fromEntries(ATTACH_TYPE_NAMES.map((n, i) => [n, i])) as Record<(typeof ATTACH_TYPE_NAMES)[number], number>;

interface SecDef {
  sec: string;
  type: ProgTypeName;
  attach?: (typeof ATTACH_TYPE_NAMES)[number];
  frags?: boolean;
}

/** libbpf's table, in its order (first match wins). */
const SEC_DEFS: SecDef[] = [
  { sec: 'socket', type: 'socket_filter' },
  { sec: 'sk_reuseport/migrate', type: 'sk_reuseport', attach: 'sk_reuseport_select_or_migrate' },
  { sec: 'sk_reuseport', type: 'sk_reuseport', attach: 'sk_reuseport_select' },
  ...['kprobe+', 'uprobe+', 'uprobe.s+', 'kretprobe+', 'uretprobe+', 'uretprobe.s+', 'ksyscall+', 'kretsyscall+', 'usdt+', 'usdt.s+']
    .map((sec): SecDef => ({ sec, type: 'kprobe' })),
  ...['kprobe.multi+', 'kretprobe.multi+'].map((sec): SecDef => ({ sec, type: 'kprobe', attach: 'trace_kprobe_multi' })),
  ...['uprobe.multi+', 'uretprobe.multi+', 'uprobe.multi.s+', 'uretprobe.multi.s+'].map((sec): SecDef => ({ sec, type: 'kprobe', attach: 'trace_uprobe_multi' })),
  { sec: 'tc/ingress', type: 'sched_cls', attach: 'tcx_ingress' },
  { sec: 'tc/egress', type: 'sched_cls', attach: 'tcx_egress' },
  { sec: 'tcx/ingress', type: 'sched_cls', attach: 'tcx_ingress' },
  { sec: 'tcx/egress', type: 'sched_cls', attach: 'tcx_egress' },
  { sec: 'tc', type: 'sched_cls' },
  { sec: 'classifier', type: 'sched_cls' },
  { sec: 'action', type: 'sched_act' },
  { sec: 'netkit/primary', type: 'sched_cls', attach: 'netkit_primary' },
  { sec: 'netkit/peer', type: 'sched_cls', attach: 'netkit_peer' },
  { sec: 'tracepoint+', type: 'tracepoint' },
  { sec: 'tp+', type: 'tracepoint' },
  { sec: 'raw_tracepoint+', type: 'raw_tracepoint' },
  { sec: 'raw_tp+', type: 'raw_tracepoint' },
  { sec: 'raw_tracepoint.w+', type: 'raw_tracepoint_writable' },
  { sec: 'raw_tp.w+', type: 'raw_tracepoint_writable' },
  { sec: 'tp_btf+', type: 'tracing', attach: 'trace_raw_tp' },
  { sec: 'fentry+', type: 'tracing', attach: 'trace_fentry' },
  { sec: 'fmod_ret+', type: 'tracing', attach: 'modify_return' },
  { sec: 'fexit+', type: 'tracing', attach: 'trace_fexit' },
  { sec: 'fentry.s+', type: 'tracing', attach: 'trace_fentry' },
  { sec: 'fmod_ret.s+', type: 'tracing', attach: 'modify_return' },
  { sec: 'fexit.s+', type: 'tracing', attach: 'trace_fexit' },
  { sec: 'freplace+', type: 'ext' },
  { sec: 'lsm+', type: 'lsm', attach: 'lsm_mac' },
  { sec: 'lsm.s+', type: 'lsm', attach: 'lsm_mac' },
  { sec: 'lsm_cgroup+', type: 'lsm', attach: 'lsm_cgroup' },
  { sec: 'iter+', type: 'tracing', attach: 'trace_iter' },
  { sec: 'iter.s+', type: 'tracing', attach: 'trace_iter' },
  { sec: 'syscall', type: 'syscall' },
  { sec: 'xdp.frags/devmap', type: 'xdp', attach: 'xdp_devmap', frags: true },
  { sec: 'xdp/devmap', type: 'xdp', attach: 'xdp_devmap' },
  { sec: 'xdp.frags/cpumap', type: 'xdp', attach: 'xdp_cpumap', frags: true },
  { sec: 'xdp/cpumap', type: 'xdp', attach: 'xdp_cpumap' },
  { sec: 'xdp.frags', type: 'xdp', attach: 'xdp', frags: true },
  { sec: 'xdp', type: 'xdp', attach: 'xdp' },
  { sec: 'perf_event', type: 'perf_event' },
  { sec: 'lwt_in', type: 'lwt_in' },
  { sec: 'lwt_out', type: 'lwt_out' },
  { sec: 'lwt_xmit', type: 'lwt_xmit' },
  { sec: 'lwt_seg6local', type: 'lwt_seg6local' },
  { sec: 'sockops', type: 'sock_ops', attach: 'cgroup_sock_ops' },
  { sec: 'sk_skb/stream_parser', type: 'sk_skb', attach: 'sk_skb_stream_parser' },
  { sec: 'sk_skb/stream_verdict', type: 'sk_skb', attach: 'sk_skb_stream_verdict' },
  { sec: 'sk_skb', type: 'sk_skb' },
  { sec: 'sk_msg', type: 'sk_msg', attach: 'sk_msg_verdict' },
  { sec: 'lirc_mode2', type: 'lirc_mode2', attach: 'lirc_mode2' },
  { sec: 'flow_dissector', type: 'flow_dissector', attach: 'flow_dissector' },
  { sec: 'cgroup_skb/ingress', type: 'cgroup_skb', attach: 'cgroup_inet_ingress' },
  { sec: 'cgroup_skb/egress', type: 'cgroup_skb', attach: 'cgroup_inet_egress' },
  { sec: 'cgroup/skb', type: 'cgroup_skb' },
  { sec: 'cgroup/sock_create', type: 'cgroup_sock', attach: 'cgroup_inet_sock_create' },
  { sec: 'cgroup/sock_release', type: 'cgroup_sock', attach: 'cgroup_inet_sock_release' },
  { sec: 'cgroup/sock', type: 'cgroup_sock', attach: 'cgroup_inet_sock_create' },
  { sec: 'cgroup/post_bind4', type: 'cgroup_sock', attach: 'cgroup_inet4_post_bind' },
  { sec: 'cgroup/post_bind6', type: 'cgroup_sock', attach: 'cgroup_inet6_post_bind' },
  ...([
    ['bind4', 'cgroup_inet4_bind'], ['bind6', 'cgroup_inet6_bind'], ['connect4', 'cgroup_inet4_connect'],
    ['connect6', 'cgroup_inet6_connect'], ['connect_unix', 'cgroup_unix_connect'], ['sendmsg4', 'cgroup_udp4_sendmsg'],
    ['sendmsg6', 'cgroup_udp6_sendmsg'], ['sendmsg_unix', 'cgroup_unix_sendmsg'], ['recvmsg4', 'cgroup_udp4_recvmsg'],
    ['recvmsg6', 'cgroup_udp6_recvmsg'], ['recvmsg_unix', 'cgroup_unix_recvmsg'], ['getpeername4', 'cgroup_inet4_getpeername'],
    ['getpeername6', 'cgroup_inet6_getpeername'], ['getpeername_unix', 'cgroup_unix_getpeername'],
    ['getsockname4', 'cgroup_inet4_getsockname'], ['getsockname6', 'cgroup_inet6_getsockname'],
    ['getsockname_unix', 'cgroup_unix_getsockname'],
  ] as const).map(([s, a]): SecDef => ({ sec: `cgroup/${s}`, type: 'cgroup_sock_addr', attach: a })),
  { sec: 'cgroup/sysctl', type: 'cgroup_sysctl', attach: 'cgroup_sysctl' },
  { sec: 'cgroup/getsockopt', type: 'cgroup_sockopt', attach: 'cgroup_getsockopt' },
  { sec: 'cgroup/setsockopt', type: 'cgroup_sockopt', attach: 'cgroup_setsockopt' },
  { sec: 'cgroup/dev', type: 'cgroup_device', attach: 'cgroup_device' },
  { sec: 'struct_ops+', type: 'struct_ops' },
  { sec: 'struct_ops.s+', type: 'struct_ops' },
  { sec: 'sk_lookup', type: 'sk_lookup', attach: 'sk_lookup' },
  { sec: 'netfilter', type: 'netfilter', attach: 'netfilter' },
];

/** Pre-1.0 names, tried only when no 1.x rule matches. */
const LEGACY_DEFS: SecDef[] = [
  { sec: 'xdp_devmap/', type: 'xdp', attach: 'xdp_devmap' },
  { sec: 'xdp_cpumap/', type: 'xdp', attach: 'xdp_cpumap' },
  { sec: 'xdp', type: 'xdp', attach: 'xdp' },
  ...['kprobe/', 'kretprobe/', 'tracepoint/', 'raw_tracepoint/'].map((sec): SecDef => ({
    sec, type: sec.startsWith('k') ? 'kprobe' : sec.startsWith('raw') ? 'raw_tracepoint' : 'tracepoint',
  })),
  ...SEC_DEFS.filter((d) => !d.sec.endsWith('/') && !d.sec.endsWith('+') && !d.sec.includes('/') && d.sec !== 'xdp'),
];

export interface SectionProgramType {
  type: number;
  typeName: ProgTypeName;
  attachType?: number;
  attachTypeName?: string;
  xdpFrags: boolean;
  match: 'exact' | 'prefix' | 'legacy' | 'none';
}

function rule(sec: string, name: string): 'exact' | 'prefix' | undefined {
  if (sec.endsWith('/')) return name.startsWith(sec) ? 'prefix' : undefined;
  if (sec.endsWith('+')) {
    const base = sec.slice(0, -1);
    if (name === base) return 'exact';
    return name.startsWith(`${base}/`) ? 'prefix' : undefined;
  }
  return name === sec ? 'exact' : undefined;
}

function result(d: SecDef, match: SectionProgramType['match']): SectionProgramType {
  const r: SectionProgramType = { type: PROG_TYPE[d.type], typeName: d.type, xdpFrags: d.frags === true, match };
  if (d.attach !== undefined) {
    r.attachType = ATTACH[d.attach];
    r.attachTypeName = d.attach;
  }
  return r;
}

/** The program type libbpf would give a program in section `name` ('?' already stripped). */
export function programTypeForSection(name: string): SectionProgramType {
  for (const d of SEC_DEFS) {
    const m = rule(d.sec, name);
    if (m) return result(d, m);
  }
  for (const d of LEGACY_DEFS) if (name.startsWith(d.sec)) return result(d, 'legacy');
  return { type: 0, typeName: 'unspec', xdpFrags: false, match: 'none' };
}
