// What the pcap and pcapng readers share: the chunked source they read, the end-of-file state, and
// the CaptureReader plumbing built on their next() (the reused-cursor and copying iterators, the
// buffer size, close).
import { copyingIterator, type CursorFrame, cursorIterator, type Frame } from './frame.ts';
import type { ChunkSource } from './source.ts';

export abstract class ChunkedReader {
  protected done = false;

  protected constructor(protected readonly src: ChunkSource) {}

  /** The next packet as the reader's reused CursorFrame (valid until the next call), or null at the end. */
  abstract next(): CursorFrame | null;

  /** Ends the file: the source is closed, next() returns null from now on. */
  protected finish(): null {
    this.done = true;
    this.src.close();
    return null;
  }

  [Symbol.iterator](): IterableIterator<Frame> {
    return cursorIterator(() => this.next(), () => this.close());
  }

  copies(): IterableIterator<Frame> {
    return copyingIterator(() => this.next(), () => this.close());
  }

  get bufferBytes(): number {
    return this.src.buf.length;
  }

  close(): void {
    this.finish();
  }
}
