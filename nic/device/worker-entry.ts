// Which file the core workers load. The worker's TypeScript (worker.ts and what it imports) is bundled
// once per process with esbuild (tsx's own dependency) into one ES module in the OS temp directory,
// named by a hash of its text, so a worker thread starts without a TypeScript loader; if bundling is
// not possible, workers load worker.mjs, which registers tsx in the thread (slower start-up).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The unbundled worker (registers tsx in its thread). */
export const FALLBACK_WORKER = new URL('./worker.mjs', import.meta.url).href;
let cached: string | null = null;

export async function workerFile(): Promise<string> {
  if (cached !== null) return cached;
  try {
    const esbuild = await import('esbuild');
    const r = await esbuild.build({
      entryPoints: [fileURLToPath(new URL('./worker.ts', import.meta.url))],
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      write: false,
      logLevel: 'silent',
    });
    const text = r.outputFiles[0]!.text;
    const dir = join(tmpdir(), 'nicsim-workers');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `worker-${createHash('sha256').update(text).digest('hex').slice(0, 16)}.mjs`);
    if (!existsSync(file)) {
      const part = `${file}.${process.pid}.tmp`;
      writeFileSync(part, text);
      renameSync(part, file);
    }
    cached = pathToFileURL(file).href;
  } catch {
    cached = FALLBACK_WORKER;
  }
  return cached;
}
