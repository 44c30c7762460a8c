// The kernel's LRU lists (kernel/bpf/bpf_lru_list.c) over shared memory, node for node, so that a
// sequence of operations evicts the same keys as Linux does.
//
// Every element of an LRU hash map is a node. Nodes live on lists, which are circular doubly linked
// lists of Int32 node indexes (list heads are extra "pseudo nodes" after the real ones, like a
// kernel list_head embedded in its owner):
//   - common LRU (default): one global list with ACTIVE, INACTIVE and FREE heads, plus per CPU a
//     local FREE list and a local PENDING list. A CPU takes nodes from its local free list; when it
//     is empty it flushes its pending nodes into the global list, rotates the global list and moves
//     `target_free` nodes (free ones first, else shrunk from the inactive tail, evicting their keys)
//     to its local free list; when even that fails it steals a free or pending node from the CPUs in
//     round-robin order. New nodes wait on the local pending list until the next flush.
//   - BPF_F_NO_COMMON_LRU: one ACTIVE/INACTIVE/FREE list set per CPU holding max_entries / cpus
//     nodes; a CPU only ever evicts from its own list, PERCPU_FREE_TARGET (4) nodes at a time.
// Rotation: when the inactive list is shorter than the active one, the active tail is scanned
// (referenced nodes go back to the active head, the others to the inactive head); then up to
// nr_scans inactive nodes from `next_inactive_rotation` backwards are scanned and referenced ones are
// moved to the active head. Shrinking evicts unreferenced nodes from the inactive tail; if none, one
// node is evicted regardless of its reference bit (inactive list first, else active).
// The reference bit is set by lookups from programs (not by host lookups) and cleared on every move.
//
// Node words: prev, next, type, ref, cpu, (pad). List control per list: lock, count[ACTIVE],
// count[INACTIVE], next_inactive_rotation. Local list control per CPU: lock, next_steal.
//
// Zeroed memory is the populated state (bpf_lru_populate): the words prev, next, type, cpu,
// next_inactive_rotation and next_steal are stored XOR their value right after populate, which is
// arithmetic in the node index (every node on its list's FREE list in index order, heads pointing
// at themselves). So a map of millions of nodes costs nothing until its nodes are used: no init
// pass, and pages of never-used nodes are never touched.
// Lock order (as in the kernel): local list lock -> global/per-CPU list lock -> hash bucket lock
// (taken by the eviction callback); the hash table never takes an LRU lock while holding a bucket.

import { lock, unlock } from './sync.ts';

export const LRU_ACTIVE = 0;
export const LRU_INACTIVE = 1;
export const LRU_FREE = 2;
export const LRU_LOCAL_FREE = 3;
export const LRU_LOCAL_PENDING = 4;

export const NODE_WORDS = 6;
const PREV = 0;
const NEXT = 1;
const TYPE = 2;
export const REF = 3;
const CPU = 4;

const LIST_WORDS = 4; // lock, count active, count inactive, next_inactive_rotation
const LOCAL_WORDS = 2; // lock, next_steal

const LOCAL_FREE_TARGET = 128;
const LOCAL_NR_SCANS = LOCAL_FREE_TARGET;
const PERCPU_FREE_TARGET = 4;
const PERCPU_NR_SCANS = PERCPU_FREE_TARGET;

/** Removes the node's element from the hash table if it is linked there (htab_lru_map_delete_node). */
export type DeleteFromHtab = (node: number) => boolean;

export class LruLists {
  private readonly nLists: number;
  private readonly nodes: number; // word index of node 0
  private readonly ctl: number; // word index of list control blocks
  private readonly lctl: number; // word index of local list control blocks
  private readonly heads: number; // node index of the first list head
  private readonly nrScans: number;
  private readonly targetFree: number;
  /** Nodes per list set after populate (all of them for the common LRU). */
  private readonly per: number;

  /** Int32 words needed for `nElems` nodes. */
  static words(nElems: number, cpus: number, percpu: boolean): number {
    const nLists = percpu ? cpus : 1;
    const nHeads = nLists * 3 + (percpu ? 0 : cpus * 2);
    return (nElems + nHeads) * NODE_WORDS + nLists * LIST_WORDS + (percpu ? 0 : cpus * LOCAL_WORDS);
  }

  constructor(
    private readonly i32: Int32Array,
    wordBase: number,
    private readonly nElems: number,
    private readonly cpus: number,
    readonly percpu: boolean,
    private readonly del: DeleteFromHtab,
  ) {
    this.nLists = percpu ? cpus : 1;
    this.nodes = wordBase;
    this.heads = nElems;
    const nHeads = this.nLists * 3 + (percpu ? 0 : cpus * 2);
    this.ctl = wordBase + (nElems + nHeads) * NODE_WORDS;
    this.lctl = this.ctl + this.nLists * LIST_WORDS;
    this.nrScans = percpu ? PERCPU_NR_SCANS : LOCAL_NR_SCANS;
    this.targetFree = Math.min(Math.max(Math.floor(Math.floor(nElems / cpus) / 2), 1), LOCAL_FREE_TARGET);
    this.per = percpu ? Math.floor(nElems / cpus) : nElems;
    if (percpu && this.per * cpus !== nElems) throw new Error(`per-CPU LRU of ${nElems} nodes is not a multiple of ${cpus} CPUs`);
  }

  // ---------------------------------------------------------------- populated state (zero memory)
  /** prev (f = PREV) or next (f = NEXT) of node or head n right after populate. */
  private initLink(n: number, f: number): number {
    const per = this.per;
    if (n < this.nElems) {
      const l = Math.floor(n / per);
      const lo = l * per;
      const free = this.heads + l * 3 + LRU_FREE;
      if (f === NEXT) return n > lo ? n - 1 : free;
      return n < lo + per - 1 ? n + 1 : free;
    }
    const h = n - this.heads;
    if (h < this.nLists * 3 && h % 3 === LRU_FREE) {
      const lo = Math.floor(h / 3) * per;
      return f === NEXT ? lo + per - 1 : lo;
    }
    return n;
  }
  private initCpu(n: number): number {
    return this.percpu ? Math.floor(n / this.per) : 0;
  }

  // ---------------------------------------------------------------- word access
  private w(n: number, f: number): number {
    return this.nodes + n * NODE_WORDS + f;
  }
  private prev(n: number): number {
    return this.i32[this.nodes + n * NODE_WORDS + PREV]! ^ this.initLink(n, PREV);
  }
  private next(n: number): number {
    return this.i32[this.nodes + n * NODE_WORDS + NEXT]! ^ this.initLink(n, NEXT);
  }
  private setPrev(n: number, v: number): void {
    this.i32[this.nodes + n * NODE_WORDS + PREV] = v ^ this.initLink(n, PREV);
  }
  private setNext(n: number, v: number): void {
    this.i32[this.nodes + n * NODE_WORDS + NEXT] = v ^ this.initLink(n, NEXT);
  }
  private type(n: number): number {
    return this.i32[this.nodes + n * NODE_WORDS + TYPE]! ^ LRU_FREE;
  }
  private setType(n: number, t: number): void {
    this.i32[this.w(n, TYPE)] = t ^ LRU_FREE;
  }
  private cpuOf(n: number): number {
    return this.i32[this.w(n, CPU)]! ^ this.initCpu(n);
  }
  private setCpu(n: number, c: number): void {
    this.i32[this.w(n, CPU)] = c ^ this.initCpu(n);
  }
  private ref(n: number): boolean {
    return this.i32[this.w(n, REF)] !== 0;
  }
  private clearRef(n: number): void {
    this.i32[this.w(n, REF)] = 0;
  }
  private head(list: number, t: number): number {
    return this.heads + list * 3 + t;
  }
  private localHead(cpu: number, t: number): number {
    return this.heads + this.nLists * 3 + cpu * 2 + (t - LRU_LOCAL_FREE);
  }
  private rot(list: number): number {
    return this.i32[this.ctl + list * LIST_WORDS + 3]! ^ this.head(list, LRU_INACTIVE);
  }
  private setRot(list: number, n: number): void {
    this.i32[this.ctl + list * LIST_WORDS + 3] = n ^ this.head(list, LRU_INACTIVE);
  }
  private stealWord(cpu: number): number {
    return this.lctl + cpu * LOCAL_WORDS + 1;
  }
  private count(list: number, t: number): number {
    return this.i32[this.ctl + list * LIST_WORDS + 1 + t]!;
  }
  private countAdd(list: number, t: number, d: number): void {
    if (t < 2) this.i32[this.ctl + list * LIST_WORDS + 1 + t] += d;
  }
  private lockList(list: number): void {
    lock(this.i32, this.ctl + list * LIST_WORDS);
  }
  private unlockList(list: number): void {
    unlock(this.i32, this.ctl + list * LIST_WORDS);
  }
  private lockLocal(cpu: number): void {
    lock(this.i32, this.lctl + cpu * LOCAL_WORDS);
  }
  private unlockLocal(cpu: number): void {
    unlock(this.i32, this.lctl + cpu * LOCAL_WORDS);
  }

  // ---------------------------------------------------------------- list primitives (list.h)
  private listDel(n: number): void {
    const p = this.prev(n);
    const x = this.next(n);
    this.setNext(p, x);
    this.setPrev(x, p);
  }
  /** list_add: insert right after `h` (at the head). */
  private listAdd(n: number, h: number): void {
    const x = this.next(h);
    this.setNext(h, n);
    this.setPrev(n, h);
    this.setNext(n, x);
    this.setPrev(x, n);
  }
  private listMove(n: number, h: number): void {
    this.listDel(n);
    this.listAdd(n, h);
  }
  private empty(h: number): boolean {
    return this.next(h) === h;
  }

  // ---------------------------------------------------------------- setup
  /** bpf_lru_populate: nothing to do, zeroed memory already is that state (see the header). */
  init(): void {}

  // ---------------------------------------------------------------- public operations
  /** Marks a node referenced (lookups from programs). */
  setRef(n: number): void {
    const i = this.w(n, REF);
    if (this.i32[i] === 0) this.i32[i] = 1;
  }

  /** A free node for `cpu`, evicting keys if needed; -1 if none (the kernel's -ENOMEM). */
  popFree(cpu: number): number {
    return this.percpu ? this.percpuPopFree(cpu) : this.commonPopFree(cpu);
  }

  /** Returns a node whose element was unlinked (or never linked) to the free lists. */
  pushFree(n: number): void {
    if (this.percpu) {
      const l = this.cpuOf(n);
      this.lockList(l);
      this.move(l, n, LRU_FREE);
      this.unlockList(l);
      return;
    }
    const t = this.type(n);
    if (t === LRU_FREE || t === LRU_LOCAL_FREE) return; // the kernel WARNs and ignores
    if (t === LRU_LOCAL_PENDING) {
      const c = this.cpuOf(n);
      this.lockLocal(c);
      if (this.type(n) === LRU_LOCAL_PENDING) {
        this.setType(n, LRU_LOCAL_FREE);
        this.clearRef(n);
        this.listMove(n, this.localHead(c, LRU_LOCAL_FREE));
        this.unlockLocal(c);
        return;
      }
      this.unlockLocal(c);
    }
    this.lockList(0);
    this.move(0, n, LRU_FREE);
    this.unlockList(0);
  }

  /**
   * Consistency check (tests, debugging; call while no other thread uses the map): every list is a
   * well-formed circle, every node is on exactly one list matching its type, counts agree.
   * Returns the number of nodes per type, or throws.
   */
  audit(): number[] {
    const byType = [0, 0, 0, 0, 0];
    const seen = new Uint8Array(this.nElems);
    const walk = (h: number, t: number, list: number) => {
      let n = this.next(h);
      let len = 0;
      for (let guard = 0; n !== h; guard++) {
        if (guard > this.nElems || n < 0 || n >= this.nElems) throw new Error(`LRU list ${t} of ${list} is broken at ${n}`);
        if (this.prev(this.next(n)) !== n) throw new Error(`LRU node ${n}: next.prev != self`);
        if (seen[n]) throw new Error(`LRU node ${n} is on two lists`);
        if (this.type(n) !== t) throw new Error(`LRU node ${n} has type ${this.type(n)} on list ${t}`);
        seen[n] = 1;
        byType[t]!++;
        len++;
        n = this.next(n);
      }
      if (t < 2 && this.count(list, t) !== len) throw new Error(`LRU list ${list} count[${t}] ${this.count(list, t)} != ${len}`);
    };
    for (let l = 0; l < this.nLists; l++) for (let t = 0; t < 3; t++) walk(this.head(l, t), t, l);
    if (!this.percpu) {
      for (let c = 0; c < this.cpus; c++) {
        walk(this.localHead(c, LRU_LOCAL_FREE), LRU_LOCAL_FREE, c);
        walk(this.localHead(c, LRU_LOCAL_PENDING), LRU_LOCAL_PENDING, c);
      }
    }
    const total = byType.reduce((a, b) => a + b, 0);
    if (total !== this.nElems) throw new Error(`LRU lists hold ${total} of ${this.nElems} nodes`);
    return byType;
  }

  // ---------------------------------------------------------------- moves within one list set
  private moveToFree(l: number, n: number, freeHead: number, tgt: number): void {
    if (n === this.rot(l)) this.setRot(l, this.prev(n));
    this.countAdd(l, this.type(n), -1);
    this.setType(n, tgt);
    this.listMove(n, freeHead);
  }

  private moveIn(l: number, n: number, tgt: number): void {
    this.countAdd(l, tgt, 1);
    this.setType(n, tgt);
    this.clearRef(n);
    this.listMove(n, this.head(l, tgt));
  }

  private move(l: number, n: number, tgt: number): void {
    const t = this.type(n);
    if (t !== tgt) {
      this.countAdd(l, t, -1);
      this.countAdd(l, tgt, 1);
      this.setType(n, tgt);
    }
    this.clearRef(n);
    if (n === this.rot(l)) this.setRot(l, this.prev(n));
    this.listMove(n, this.head(l, tgt));
  }

  private rotateActive(l: number): void {
    const active = this.head(l, LRU_ACTIVE);
    const first = this.next(active);
    let i = 0;
    for (let n = this.prev(active); n !== active;) {
      const tmp = this.prev(n);
      this.move(l, n, this.ref(n) ? LRU_ACTIVE : LRU_INACTIVE);
      if (++i === this.nrScans || n === first) break;
      n = tmp;
    }
  }

  private rotateInactive(l: number): void {
    const inactive = this.head(l, LRU_INACTIVE);
    if (this.empty(inactive)) return;
    let last = this.next(this.rot(l));
    if (last === inactive) last = this.next(last);
    let cur = this.rot(l);
    let nxt = inactive;
    let i = 0;
    while (i < this.nrScans) {
      if (cur === inactive) {
        cur = this.prev(cur);
        continue;
      }
      nxt = this.prev(cur);
      if (this.ref(cur)) this.move(l, cur, LRU_ACTIVE);
      if (cur === last) break;
      cur = nxt;
      i++;
    }
    this.setRot(l, nxt);
  }

  private rotate(l: number): void {
    if (this.count(l, LRU_INACTIVE) < this.count(l, LRU_ACTIVE)) this.rotateActive(l);
    this.rotateInactive(l);
  }

  private shrinkInactive(l: number, target: number, freeHead: number, tgtType: number): number {
    const inactive = this.head(l, LRU_INACTIVE);
    let shrunk = 0;
    let i = 0;
    for (let n = this.prev(inactive); n !== inactive;) {
      const tmp = this.prev(n);
      if (this.ref(n)) {
        this.move(l, n, LRU_ACTIVE);
      } else if (this.del(n)) {
        this.moveToFree(l, n, freeHead, tgtType);
        if (++shrunk === target) break;
      }
      if (++i === this.nrScans) break;
      n = tmp;
    }
    return shrunk;
  }

  private shrink(l: number, target: number, freeHead: number, tgtType: number): number {
    const got = this.shrinkInactive(l, target, freeHead, tgtType);
    if (got) return got;
    const inactive = this.head(l, LRU_INACTIVE);
    const force = this.empty(inactive) ? this.head(l, LRU_ACTIVE) : inactive;
    for (let n = this.prev(force); n !== force;) {
      const tmp = this.prev(n);
      if (this.del(n)) {
        this.moveToFree(l, n, freeHead, tgtType);
        return 1;
      }
      n = tmp;
    }
    return 0;
  }

  // ---------------------------------------------------------------- per-CPU lists
  private percpuPopFree(cpu: number): number {
    const l = cpu;
    this.lockList(l);
    this.rotate(l);
    const free = this.head(l, LRU_FREE);
    if (this.empty(free)) this.shrink(l, PERCPU_FREE_TARGET, free, LRU_FREE);
    let n = -1;
    if (!this.empty(free)) {
      n = this.next(free);
      this.clearRef(n);
      this.move(l, n, LRU_INACTIVE);
    }
    this.unlockList(l);
    return n;
  }

  // ---------------------------------------------------------------- common LRU
  private localPopFree(c: number): number {
    const h = this.localHead(c, LRU_LOCAL_FREE);
    const n = this.next(h);
    if (n === h) return -1;
    this.listDel(n);
    return n;
  }

  private localAddPending(c: number, cpu: number, n: number): void {
    this.setCpu(n, cpu);
    this.setType(n, LRU_LOCAL_PENDING);
    this.clearRef(n);
    this.listAdd(n, this.localHead(c, LRU_LOCAL_PENDING));
  }

  private localPopPending(c: number): number {
    const h = this.localHead(c, LRU_LOCAL_PENDING);
    for (let force = 0; force < 2; force++) {
      for (let n = this.prev(h); n !== h; n = this.prev(n)) {
        if ((force || !this.ref(n)) && this.del(n)) {
          this.listDel(n);
          return n;
        }
      }
    }
    return -1;
  }

  private localFlush(c: number): void {
    const h = this.localHead(c, LRU_LOCAL_PENDING);
    for (let n = this.prev(h); n !== h;) {
      const tmp = this.prev(n);
      this.moveIn(0, n, this.ref(n) ? LRU_ACTIVE : LRU_INACTIVE);
      n = tmp;
    }
  }

  private popFreeToLocal(c: number): void {
    this.lockList(0);
    this.localFlush(c);
    this.rotate(0);
    const free = this.head(0, LRU_FREE);
    const localFree = this.localHead(c, LRU_LOCAL_FREE);
    let nfree = 0;
    for (let n = this.next(free); n !== free;) {
      const tmp = this.next(n);
      this.moveToFree(0, n, localFree, LRU_LOCAL_FREE);
      if (++nfree === this.targetFree) break;
      n = tmp;
    }
    if (nfree < this.targetFree) this.shrink(0, this.targetFree - nfree, localFree, LRU_LOCAL_FREE);
    this.unlockList(0);
  }

  private commonPopFree(cpu: number): number {
    this.lockLocal(cpu);
    let n = this.localPopFree(cpu);
    if (n < 0) {
      this.popFreeToLocal(cpu);
      n = this.localPopFree(cpu);
    }
    if (n >= 0) this.localAddPending(cpu, cpu, n);
    this.unlockLocal(cpu);
    if (n >= 0) return n;

    const stealWord = this.stealWord(cpu);
    const first = this.i32[stealWord]! ^ cpu; // stored XOR its populated value, the CPU itself
    let steal = first;
    do {
      this.lockLocal(steal);
      n = this.localPopFree(steal);
      if (n < 0) n = this.localPopPending(steal);
      this.unlockLocal(steal);
      steal = (steal + 1) % this.cpus;
    } while (n < 0 && steal !== first);
    this.i32[stealWord] = steal ^ cpu;
    if (n >= 0) {
      this.lockLocal(cpu);
      this.localAddPending(cpu, cpu, n);
      this.unlockLocal(cpu);
    }
    return n;
  }
}
