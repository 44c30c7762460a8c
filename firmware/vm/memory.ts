// The memory of one program run: a table of regions (stack, context, packet, map values, test
// memory). A pointer is a 64-bit value whose high word names the region (REGION_TAG + index) and
// whose low word is a byte offset inside it (the encoding and the region numbering: ../layout.ts);
// every access is checked against the region's bounds, so a hostile or unverified program can only
// ever fault, never touch memory outside its regions.

export const enum RegionKind {
  Plain = 0,
  /** struct xdp_md: loads are translated by the context handler. */
  Ctx = 1,
}

export interface Region {
  name: string;
  kind: RegionKind;
  u8: Uint8Array;
  dv: DataView;
  /** Int32 view of the same bytes (for Atomics); byteOffset must be 4-aligned. */
  i32: Int32Array;
  /** Accessible size in bytes (may be less than u8.length, e.g. the packet's data_end). */
  size: number;
  /** First accessible byte (e.g. the packet's headroom start); offsets below it fault. */
  start: number;
  writable: boolean;
}

export function makeRegion(name: string, u8: Uint8Array, writable: boolean, kind: RegionKind = RegionKind.Plain): Region {
  if (u8.byteOffset % 4 !== 0) throw new Error(`region ${name} is not 4-byte aligned`);
  return {
    name,
    kind,
    u8,
    dv: new DataView(u8.buffer, u8.byteOffset, u8.byteLength),
    i32: new Int32Array(u8.buffer, u8.byteOffset, u8.byteLength >> 2),
    size: u8.byteLength,
    start: 0,
    writable,
  };
}
