// Stack slot liveness (the kernel's path-insensitive live stack analysis, kernel/bpf/liveness.c,
// simplified): the walk records, per instruction, which slots of the executing function's own frame
// it read and which whole slots it always overwrote; a backward dataflow over each function's CFG
// gives the slots that may still be read before being overwritten. Finished checkpoints forget dead
// slots (clean_func_state), which lets states that differ only in dead stack data prune each other.
// Reads of a caller's frame through a pointer are covered by treating every bpf-to-bpf call and
// callback-calling helper as reading all of the caller's slots.
import { HELPER_PROTOS } from '../../../firmware/helpers/protos.ts';
import { isPseudoCall, successors } from '../cfg/raw.ts';
import type { RawInsn } from '../../isa/index.ts';

const ALL = -1;

export class StackLiveness {
  /** Slots read (spi bits 0-31 / 32-63). */
  private readLo: Int32Array;
  private readHi: Int32Array;
  /** Slots every visit overwrote completely. */
  private mustLo: Int32Array;
  private mustHi: Int32Array;
  private writeSeen: Uint8Array;
  private liveLo: Int32Array;
  private liveHi: Int32Array;
  private succ: number[][];
  private dirty = true;
  /** Writes of the instruction being verified. */
  curLo = 0;
  curHi = 0;

  constructor(
    raws: RawInsn[],
    isSlot: (i: number) => boolean,
  ) {
    const n = raws.length;
    this.readLo = new Int32Array(n);
    this.readHi = new Int32Array(n);
    this.mustLo = new Int32Array(n);
    this.mustHi = new Int32Array(n);
    this.writeSeen = new Uint8Array(n);
    this.liveLo = new Int32Array(n);
    this.liveHi = new Int32Array(n);
    this.succ = raws.map((r, i) => (isSlot(i) ? successors(r, i).filter((s) => s >= 0 && s < n) : []));
    for (let i = 0; i < n; i++) {
      if (!isSlot(i)) continue;
      const r = raws[i]!;
      // Calls into code that may read the caller's frame through pointers.
      const cb = r.code === 0x85 && r.src === 0 && HELPER_PROTOS[r.imm]?.callback;
      if (isPseudoCall(r) || cb) {
        this.readLo[i] = ALL;
        this.readHi[i] = ALL;
      }
    }
  }

  /** The instruction at pc read own-frame stack bytes [minOff, maxOff) (negative offsets). */
  markRead(pc: number, minOff: number, maxOff: number): void {
    if (maxOff <= minOff) return;
    const lo = Math.max(0, Math.floor((-maxOff) / 8));
    const hi = Math.min(63, Math.floor((-minOff - 1) / 8));
    let changed = false;
    for (let spi = lo; spi <= hi; spi++) {
      if (spi < 32) {
        const b = 1 << spi;
        if (!(this.readLo[pc]! & b)) {
          this.readLo[pc]! |= b;
          changed = true;
        }
      } else {
        const b = 1 << (spi - 32);
        if (!(this.readHi[pc]! & b)) {
          this.readHi[pc]! |= b;
          changed = true;
        }
      }
    }
    if (changed) this.dirty = true;
  }

  /** The instruction being verified overwrote all 8 bytes of own-frame slot spi. */
  markWrite(spi: number): void {
    if (spi < 32) this.curLo |= 1 << spi;
    else if (spi < 64) this.curHi |= 1 << (spi - 32);
  }

  beginInsn(): void {
    this.curLo = 0;
    this.curHi = 0;
  }

  /** End of a visit of a store instruction: the must-write set is the intersection over visits. */
  commitWrites(pc: number): void {
    if (!this.writeSeen[pc]) {
      this.writeSeen[pc] = 1;
      this.mustLo[pc] = this.curLo;
      this.mustHi[pc] = this.curHi;
      if (this.curLo | this.curHi) this.dirty = true;
      return;
    }
    const lo = this.mustLo[pc]! & this.curLo;
    const hi = this.mustHi[pc]! & this.curHi;
    if (lo !== this.mustLo[pc] || hi !== this.mustHi[pc]) {
      this.mustLo[pc] = lo;
      this.mustHi[pc] = hi;
      this.dirty = true;
    }
  }

  private compute(): void {
    const n = this.succ.length;
    const liveLo = this.liveLo;
    const liveHi = this.liveHi;
    liveLo.fill(0);
    liveHi.fill(0);
    let changed = true;
    while (changed) {
      changed = false;
      for (let i = n - 1; i >= 0; i--) {
        let outLo = 0;
        let outHi = 0;
        for (const s of this.succ[i]!) {
          outLo |= liveLo[s]!;
          outHi |= liveHi[s]!;
        }
        const inLo = this.readLo[i]! | (outLo & ~this.mustLo[i]!);
        const inHi = this.readHi[i]! | (outHi & ~this.mustHi[i]!);
        if (inLo !== liveLo[i] || inHi !== liveHi[i]) {
          liveLo[i] = inLo;
          liveHi[i] = inHi;
          changed = true;
        }
      }
    }
    this.dirty = false;
  }

  /** Is own-frame slot spi possibly read at or after pc? */
  alive(pc: number, spi: number): boolean {
    if (this.dirty) this.compute();
    if (spi >= 64) return true;
    return spi < 32 ? (this.liveLo[pc]! & (1 << spi)) !== 0 : (this.liveHi[pc]! & (1 << (spi - 32))) !== 0;
  }
}
