// Bounded memory regions: map values and keys, packet data, helper memory. check_mem_region_access
// tries the smallest and largest offset the pointer may have; the packet variant also records the
// program's max_pkt_offset.
import type { MapSpec } from '../../elf/index.ts';
import { T } from '../domain/reg.ts';
import { BPF_MAX_VAR_OFF } from './stack.ts';
import type { Env } from './env.ts';
import { curRegs } from './regs.ts';
import { findSpinLock } from './btfmap.ts';

/** BPF_F_RDONLY_PROG / BPF_F_WRONLY_PROG */
const RDONLY_PROG = 1 << 7;
const WRONLY_PROG = 1 << 8;

/** map_flags as the kernel holds them: DEVMAP(_HASH) are created read-only for programs. */
export function mapFlags(map: MapSpec): number {
  return map.flags | (map.type === 14 || map.type === 25 ? RDONLY_PROG : 0) | (map.readonly ? RDONLY_PROG : 0);
}

export function mapOf(env: Env, idx: number): MapSpec {
  return env.prog.maps[idx]!;
}

/** __check_mem_access */
export function checkMemAccessRaw(env: Env, regno: number, off: number, size: number, memSize: number, zeroOk: boolean): boolean {
  const sizeOk = size > 0 || (size === 0 && zeroOk);
  if (off >= 0 && sizeOk && off + size <= memSize) return true;
  const reg = curRegs(env)[regno]!;
  switch (reg.type) {
    case T.MAP_KEY:
      env.verbose(`invalid access to map key, key_size=${memSize} off=${off} size=${size}`);
      break;
    case T.MAP_VALUE:
      env.verbose(`invalid access to map value, value_size=${memSize} off=${off} size=${size}`);
      break;
    case T.PKT:
    case T.PKT_META:
    case T.PKT_END:
      env.verbose(`invalid access to packet, off=${off} size=${size}, R${regno}(id=${reg.id},off=${off},r=${memSize})`);
      break;
    default:
      env.verbose(`invalid access to memory, mem_size=${memSize >>> 0} off=${off} size=${size}`);
  }
  return false;
}

/** check_mem_region_access: `off` is the instruction offset plus the register's fixed offset. */
export function checkMemRegion(env: Env, regno: number, off: number, size: number, memSize: number, zeroOk: boolean): void {
  const reg = curRegs(env)[regno]!;
  const smin = reg.smin;
  if (smin < 0n) {
    const sum = BigInt(off) + smin;
    if (smin === -(1n << 63n) || sum !== BigInt.asIntN(32, sum) || sum < 0n)
      env.fail('EACCES', `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  }
  if (!checkMemAccessRaw(env, regno, Number(smin) + off, size, memSize, zeroOk))
    env.fail('EACCES', `R${regno} min value is outside of the allowed memory range`);
  if (reg.umax >= BigInt(BPF_MAX_VAR_OFF))
    env.fail('EACCES', `R${regno} unbounded memory access, make sure to bounds check any such access`);
  if (!checkMemAccessRaw(env, regno, Number(reg.umax) + off, size, memSize, zeroOk))
    env.fail('EACCES', `R${regno} max value is outside of the allowed memory range`);
}

/** check_map_access_type: read-only / write-only maps. `off` includes the register's fixed offset. */
export function checkMapAccessType(env: Env, regno: number, off: number, size: number, t: 'read' | 'write'): void {
  const reg = curRegs(env)[regno]!;
  const map = mapOf(env, reg.map);
  const canWrite = !(mapFlags(map) & RDONLY_PROG);
  const canRead = !(map.flags & WRONLY_PROG);
  if (t === 'write' && !canWrite)
    env.fail('EACCES', `write into map forbidden, value_size=${map.valueSize} off=${Number(reg.smin) + off} size=${size}`);
  if (t === 'read' && !canRead)
    env.fail('EACCES', `read from map forbidden, value_size=${map.valueSize} off=${Number(reg.smin) + off} size=${size}`);
}

/** Offset of the struct bpf_spin_lock in a map value, or -1 (from the map's BTF value type). */
export function spinLockOffset(env: Env, map: MapSpec): number {
  return findSpinLock(env.prog.mapBtf, map);
}

/** check_map_access: the value's bounds, and no direct access to special fields (bpf_spin_lock). */
export function checkMapAccess(env: Env, regno: number, off: number, size: number, zeroOk: boolean, direct: boolean): void {
  const reg = curRegs(env)[regno]!;
  const map = mapOf(env, reg.map);
  checkMemRegion(env, regno, off, size, map.valueSize, zeroOk);
  const lockOff = spinLockOffset(env, map);
  if (lockOff < 0) return;
  const lo = Number(reg.smin) + off;
  const hi = Number(reg.umax) + off + size;
  if (lo < lockOff + 4 && lockOff < hi) {
    void direct;
    env.fail('EACCES', 'bpf_spin_lock cannot be accessed directly by load/store');
  }
}

/**
 * check_packet_access: `off` includes the register's fixed offset. The proven range covers the
 * fixed part only (a variable offset gets a new id and range 0), so only `off` is checked.
 */
export function checkPacketAccess(env: Env, regno: number, off: number, size: number, zeroOk: boolean): void {
  const reg = curRegs(env)[regno]!;
  if (reg.smin < 0n) env.fail('EACCES', `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  if (reg.range < 0) env.fail('EINVAL', `R${regno} offset is outside of the packet`);
  if (!checkMemAccessRaw(env, regno, off, size, reg.range, zeroOk)) env.fail('EACCES', `R${regno} offset is outside of the packet`);
  const maxOff = off + Number(reg.umax) + size - 1;
  if (maxOff > env.maxPktOffset) env.maxPktOffset = maxOff;
}
