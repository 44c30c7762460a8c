// Spinlocks on shared memory. A lock is one Int32 word of a map's SharedArrayBuffer: 0 free, 1 held.
// Acquire is Atomics.compareExchange(0 -> 1) in a loop; release is Atomics.store(0). Atomics are
// sequentially consistent, so plain reads and writes made inside a critical section are visible to
// the next thread that takes the same lock. Critical sections are a few hundred instructions at most
// and never block, so spinning (with Atomics.wait as a short back-off after many failed attempts) is
// cheaper than parking a worker.

const SPINS_BEFORE_BACKOFF = 1 << 12;

export function lock(i32: Int32Array, word: number): void {
  if (Atomics.compareExchange(i32, word, 0, 1) === 0) return;
  let spins = 0;
  for (;;) {
    if (Atomics.load(i32, word) === 0 && Atomics.compareExchange(i32, word, 0, 1) === 0) return;
    if (++spins >= SPINS_BEFORE_BACKOFF) {
      // Sleep 0 ms while the word still reads 1: yields the thread without a wake-up protocol.
      // (Atomics.wait is not allowed on the main thread of a browser; Node allows it everywhere.)
      Atomics.wait(i32, word, 1, 0);
      spins = 0;
    }
  }
}

export function unlock(i32: Int32Array, word: number): void {
  Atomics.store(i32, word, 0);
}
