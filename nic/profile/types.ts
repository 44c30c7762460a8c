// The TypeScript shape of a loaded profile: schema.ts after extends are merged and ajv has filled
// in every default, so every key is present. `null` means "no limit" where the schema allows it.
// Key meanings, units and the capability rule each one feeds: configs/README.md.
import type { HelperName } from '../../firmware/helpers/names.ts';
import type { MapFlagName, MapTypeName } from './map-types.ts';
import type { XdpMetadataOp } from '../../firmware/kfuncs/rx-meta.ts';
import type { AccessSize, AtomicOp, InsnClass, ProfileKind, XdpAction, XdpMdField } from './vocab.ts';

export interface Widths {
  w: boolean;
  dw: boolean;
}

export type SizeCounts = Record<AccessSize, number>;

export interface HelperRestrictions {
  /** The map argument must be one of these types (empty: any type the profile supports). */
  map_types: MapTypeName[];
  /** Key/value arguments must point to the stack at a constant, 4-byte-aligned offset. */
  args_on_stack: boolean;
  /** perf_event_output: accepted flags argument. */
  flags: 'any' | 'current_cpu';
  /** adjust_head/adjust_tail: largest growth in bytes that succeeds (null: kernel limits). */
  max_grow: number | null;
  /** NIC instructions per call (overrides translation.call_helper). */
  nic_instructions?: number;
  note?: string;
}

export interface Cores {
  count: number;
  threads_per_core: number;
  clock_mhz: number;
  word_bits: 32 | 64;
  issue_width: number;
}

/** Receive side: RSS queues and their rings (nic/device). */
export interface Rx {
  queues: number;
  ring_depth: number;
  /** 40-byte Toeplitz key as hex, or null for the Microsoft key. */
  rss_key: string | null;
  /** Indirection table (bucket -> queue), or null for i mod queues over 128 entries. */
  indirection: number[] | null;
  /** The driver's xdp_metadata_ops (the XDP metadata kfuncs it implements). */
  xdp_metadata: XdpMetadataOp[];
  /** The NIC strips the outer 802.1Q tag into the descriptor (rx-vlan-offload). */
  vlan_strip: boolean;
}

export interface Stack {
  bytes: number;
  frame_align: number;
  call_frame_overhead: number;
  callee_saved_bytes: number;
}

export type Translation = Record<InsnClass, number> & {
  ldx: SizeCounts;
  stx: SizeCounts;
  st: SizeCounts;
  intro: number;
  outro: number;
  padding: number;
  subprog_support: number;
  packing_ratio: number;
};

export interface Isa {
  alu32: boolean;
  alu64: boolean;
  jmp32: boolean;
  mul: { supported: boolean; max_operand: number | null; negative_imm64: boolean };
  div: { supported: boolean; divisor: 'any' | 'constant'; max_operand: number | null; negative_imm: boolean };
  mod: boolean;
  sdiv: boolean;
  smod: boolean;
  movsx: boolean;
  ldsx: boolean;
  end: { to_be: boolean; to_le: boolean };
  bswap: boolean;
  gotol: boolean;
  atomics: Record<AtomicOp, Widths> & { targets: ('stack' | 'map_value')[] };
  may_goto: boolean;
  /** true: every kfunc the kernel lets XDP call; false: none; a list: only these (by name). */
  kfuncs: boolean | string[];
  load_acquire: boolean;
  store_release: boolean;
  bpf_calls: boolean;
  tail_calls: boolean;
  legacy_packet_loads: boolean;
}

export interface RegionFlags {
  stack: boolean;
  packet: boolean;
  map_value: boolean;
}

export interface Memory {
  store: RegionFlags;
  store_imm: RegionFlags;
  stack_variable_offset: boolean;
  map_value_variable_offset: boolean;
  mixed_pointer_types: boolean;
  atomic_counters_exclusive: boolean;
}

export interface Helpers {
  default: 'allow' | 'deny';
  supported: Partial<Record<HelperName, HelperRestrictions>>;
  unsupported: HelperName[];
}

export interface Maps {
  types: MapTypeName[];
  neutral_types: MapTypeName[];
  max_maps: number | null;
  max_entries: number | null;
  max_entries_by_type: Partial<Record<MapTypeName, number>>;
  total_elements: number | null;
  max_key_size: number | null;
  max_value_size: number | null;
  max_element_size: number | null;
  element_size: 'exact' | 'round8';
  memory_bytes: number | null;
  allowed_flags: MapFlagName[];
}

export type Actions = Record<XdpAction | 'other', XdpAction>;

export interface Ctx {
  read: XdpMdField[];
  write: XdpMdField[];
  access_sizes: (1 | 2 | 4 | 8)[];
}

export interface Offload {
  instruction_memory: number;
  /** How programs reach the device: the kernel's device-bound offload path, or the device's own loader. */
  loader: 'kernel' | 'device';
  stack: Stack;
  packet_bytes: number | null;
  /** Whose driver messages capability findings reproduce (`nfp`: the Linux nfp driver's texts). */
  driver_messages: 'none' | 'nfp';
  partial: { allowed: boolean };
  translation: Translation;
  isa: Isa;
  memory: Memory;
  helpers: Helpers;
  maps: Maps;
  actions: Actions;
  ctx: Ctx;
}

export interface Calibration {
  workload: string;
  mpps: number;
  packet_bytes: number;
  cores: number;
  source: string;
}

export interface Cost {
  cpi: number;
  cycles: Partial<Record<InsnClass | 'ldx' | 'stx' | 'st', number>>;
  memory_latency: { stack: number; ctx: number; packet: number; map_value: number };
  helper_cycles: Partial<Record<HelperName | 'default', number>>;
  per_packet_cycles: number;
  /** Extra cycles per packet by the action the device carried out. */
  action_cycles: { drop: number; pass: number; tx: number; redirect: number; aborted: number };
  calibration: Calibration[];
}

export interface Host {
  cores: number;
  clock_mhz: number;
  cpi: number;
  per_packet_cycles: number;
  pass_overhead_ns: number;
  call_ns: number;
  pcie: { latency_ns: number; bandwidth_gbps: number };
  line_rate_gbps: number;
}

export interface Profile {
  name: string;
  description: string;
  kind: ProfileKind;
  executes: boolean;
  cores: Cores;
  rx: Rx;
  offload: Offload;
  cost: Cost;
  host: Host;
}

/** A loaded profile with where it came from. */
export interface LoadedProfile {
  profile: Profile;
  /** Absolute path of the file that was loaded. */
  file: string;
  /** Files merged to make it, base first, ending with `file`. */
  chain: string[];
}
