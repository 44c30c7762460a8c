// The conformance corpus as both engines' tests read it: the .data cases of test/fixtures/conformance
// and what test/kernel/record-conformance.py recorded for each from the kernel (kernel.json).
import { readdirSync, readFileSync } from 'node:fs';
import { dataSection } from '../../offload/isa/index.ts';

export const dir = new URL('../fixtures/conformance/', import.meta.url);
export interface Recorded {
  bytes: string;
  expected: string;
  kernel: { r0: string; mem: string } | { refused: string };
}
export const kernel = JSON.parse(readFileSync(new URL('kernel.json', dir), 'utf8')) as Record<string, Recorded>;
export const files = readdirSync(dir).filter((f) => f.endsWith('.data')).sort();
export const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** The `-- mem` section of a case as bytes (empty when it has none). */
export function memOf(text: string): Uint8Array {
  const sec = dataSection(text, 'mem');
  if (!sec) return new Uint8Array(0);
  const h = sec.text.replace(/#.*$/gm, '').replace(/\s+/g, '');
  return Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
}
