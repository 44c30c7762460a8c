// Locks on shared memory: a sequence lock in one Int32 word of a map's SharedArrayBuffer.
//
// The word counts modifications: even = free, odd = held by a writer. A writer takes the lock with
// Atomics.compareExchange(even -> even + 1) and releases it with Atomics.add(+1), so every critical
// section moves the count by 2. Readers that must not block writers (program lookups, like the
// kernel's RCU lookups) do not take the lock: they read the count (waiting while it is odd), read the
// structure with plain loads, and retry if the count changed meanwhile (readBegin / readRetry).
// Atomics are sequentially consistent, so everything a writer stored before releasing is visible to
// a reader or writer that observes the new count. Critical sections are short and never block;
// waiting spins, with a zero-timeout Atomics.wait as back-off after many failed attempts.

const SPINS_BEFORE_BACKOFF = 1 << 12;

function backoff(i32: Int32Array, word: number, v: number): void {
  Atomics.wait(i32, word, v, 0);
}

export function lock(i32: Int32Array, word: number): void {
  let spins = 0;
  for (;;) {
    const v = Atomics.load(i32, word);
    if ((v & 1) === 0 && Atomics.compareExchange(i32, word, v, v + 1) === v) return;
    if (++spins >= SPINS_BEFORE_BACKOFF) {
      backoff(i32, word, v);
      spins = 0;
    }
  }
}

export function unlock(i32: Int32Array, word: number): void {
  Atomics.add(i32, word, 1);
}

/** Starts an optimistic read: the (even) count to hand to readRetry. */
export function readBegin(i32: Int32Array, word: number): number {
  let v = Atomics.load(i32, word);
  let spins = 0;
  while (v & 1) {
    if (++spins >= SPINS_BEFORE_BACKOFF) {
      backoff(i32, word, v);
      spins = 0;
    }
    v = Atomics.load(i32, word);
  }
  return v;
}

/** True when a writer ran since readBegin returned `v`: what was read may be inconsistent. */
export function readRetry(i32: Int32Array, word: number, v: number): boolean {
  return Atomics.load(i32, word) !== v;
}
