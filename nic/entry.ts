// Where a build entry point lives at run time. nic/entries.json lists every file that is started on its
// own (the CLI, worker threads): nic/build.mjs compiles each to dist/<name>.js. Code that starts a worker
// asks entryUrl for the file instead of writing `new URL('./worker.ts', import.meta.url)`, so that the
// compiled CLI starts compiled workers and a run from source starts the TypeScript files.
import entries from './entries.json' with { type: 'json' };

/** Defined (true) by nic/build.mjs in the compiled output; absent when running from source. */
declare const __NICSIM_COMPILED__: boolean | undefined;
/** In the compiled output, nic/build.mjs makes this the URL of the bundle file (dist/<file>.js). */
declare const __NICSIM_OUTPUT_URL__: string;

const ROOT = new URL('../', import.meta.url);

/** True in the compiled CLI (dist/), false when running the TypeScript sources (tsx, vitest). */
export const compiled = typeof __NICSIM_COMPILED__ !== 'undefined' && __NICSIM_COMPILED__;

/** The file to start for the entry point whose source is `source` (a path from the repository root). */
export function entryUrl(source: string): URL {
  if (!compiled) return new URL(source, ROOT);
  const name = Object.entries(entries as Record<string, string>).find(([, src]) => src === source)?.[0];
  if (name === undefined) throw new Error(`${source} is not a build entry point: add it to nic/entries.json`);
  return new URL(`./${name}.js`, __NICSIM_OUTPUT_URL__);
}
