// Which map helpers a program may call on each map type (the verifier's
// check_map_func_compatibility), and what a lookup from a program returns. The verifier and the
// engines share this table; the map classes themselves accept every call.

import type { MapTypeName } from './constants.ts';

export interface MapCaps {
  /** bpf_map_lookup_elem allowed from programs. */
  lookup: boolean;
  /** bpf_map_update_elem / bpf_map_delete_elem allowed from programs. */
  update: boolean;
  delete: boolean;
  /** bpf_redirect_map target. */
  redirect: boolean;
  /** bpf_tail_call target. */
  tailCall: boolean;
  /** What a successful lookup points at. */
  lookupReturns: 'value' | 'percpu_value' | 'devmap_val' | 'xdp_sock' | 'inner_map' | 'none';
}

const c = (lookup: boolean, update: boolean, redirect: boolean, tailCall: boolean, lookupReturns: MapCaps['lookupReturns']): MapCaps => ({
  lookup, update, delete: update, redirect, tailCall, lookupReturns,
});

export const MAP_CAPS: Readonly<Record<MapTypeName, MapCaps>> = {
  hash: c(true, true, false, false, 'value'),
  array: c(true, true, false, false, 'value'),
  percpu_hash: c(true, true, false, false, 'percpu_value'),
  percpu_array: c(true, true, false, false, 'percpu_value'),
  lru_hash: c(true, true, false, false, 'value'),
  lru_percpu_hash: c(true, true, false, false, 'percpu_value'),
  lpm_trie: c(true, true, false, false, 'value'),
  prog_array: c(false, false, false, true, 'none'),
  devmap: c(true, false, true, false, 'devmap_val'),
  devmap_hash: c(true, false, true, false, 'devmap_val'),
  cpumap: c(false, false, true, false, 'none'),
  xskmap: c(true, false, true, false, 'xdp_sock'),
  array_of_maps: c(true, false, false, false, 'inner_map'),
  hash_of_maps: c(true, false, false, false, 'inner_map'),
  perf_event_array: c(false, false, false, false, 'none'),
  ringbuf: c(false, false, false, false, 'none'),
};
