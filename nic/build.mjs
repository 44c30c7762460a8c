#!/usr/bin/env node
// Compiles nicsim to JavaScript so that `nicsim` starts without compiling TypeScript (tsx costs ~0.6 s
// per start). `npm install` runs it (the `prepare` script), as does `npm run build`:
//     node nic/build.mjs [--outdir DIR]        (default: dist/, gitignored)
// Every entry point of nic/entries.json becomes DIR/<name>.js; code they share goes to DIR/chunk-*.js,
// and each command is its own chunk, loaded when it runs (nic/cli/registry.ts). npm packages stay outside
// the bundle except yaml and ajv (bundled: loading them as CommonJS packages costs more than parsing
// them). DIR/build.json lists the source files of the build; nic/nicsim.mjs compares their times with
// the build's to notice a stale build.
//
// Files keep their meaning of `import.meta.url`: in a bundle it would name the bundle, so each source
// file's `import.meta.url` is rewritten to its own location in the source tree (profiles, examples and
// fixtures are found relative to the sources). `__NICSIM_OUTPUT_URL__` is the bundle's own URL
// (nic/entry.ts uses it to find the compiled workers).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const args = process.argv.slice(2);
const at = args.indexOf('--outdir');
const outdir = at >= 0 && args[at + 1] ? resolve(args[at + 1]) : join(ROOT, 'dist');

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  // `npm install --omit=dev` has no esbuild: nicsim then runs from the TypeScript sources.
  console.error('nicsim build: esbuild is not installed (a devDependency); nicsim will run from the TypeScript sources');
  process.exit(0);
}

const entries = JSON.parse(readFileSync(join(ROOT, 'nic/entries.json'), 'utf8'));
const toPosix = (p) => p.split(sep).join('/');

/** Rewrites `import.meta.url` of project sources to the source file's own URL, relative to the output. */
const sourceUrls = {
  name: 'nicsim-source-urls',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (a) => {
      if (a.path.includes(`${sep}node_modules${sep}`)) return undefined;
      let text = readFileSync(a.path, 'utf8');
      const rel = toPosix(relative(outdir, a.path));
      text = text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`);
      text = text.replaceAll('__NICSIM_OUTPUT_URL__', 'import.meta.url');
      return { contents: text, loader: 'ts' };
    });
  },
};

/**
 * Project JSON files (the recorded kfunc table, 185 KB) become `JSON.parse('...')` of a string rather
 * than an object literal: V8 scans a string and parses JSON several times faster than it parses the
 * same data as JavaScript, and every start of a command that loads the table pays for it.
 */
const jsonAsParse = {
  name: 'nicsim-json-parse',
  setup(build) {
    build.onLoad({ filter: /\.json$/ }, (a) => {
      if (a.path.includes(`${sep}node_modules${sep}`)) return undefined;
      const text = JSON.stringify(JSON.parse(readFileSync(a.path, 'utf8')));
      return { contents: `export default JSON.parse(${JSON.stringify(text)});`, loader: 'js' };
    });
  },
};

const started = Date.now();
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
const result = await esbuild.build({
  absWorkingDir: ROOT,
  entryPoints: Object.fromEntries(Object.entries(entries).map(([name, src]) => [name, join(ROOT, src)])),
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Whitespace and syntax only: names stay readable in messages and stack traces (NICSIM_DEBUG).
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  external: ['piscina', 'cli-progress', 'tsx', 'esbuild', 'vitest', 'fast-check'],
  define: { __NICSIM_COMPILED__: 'true' },
  // Bundled CommonJS packages (yaml, ajv) call require(); ES modules have none of their own.
  banner: { js: "import { createRequire as __nicsimRequire } from 'node:module'; const require = __nicsimRequire(import.meta.url);" },
  plugins: [sourceUrls, jsonAsParse],
  metafile: true,
  logLevel: 'warning',
});
const inputs = Object.keys(result.metafile.inputs)
  .filter((p) => !p.includes('node_modules/'))
  .map((p) => toPosix(relative(ROOT, resolve(ROOT, p))))
  .sort();
writeFileSync(join(outdir, 'build.json'), JSON.stringify({ built: started, entries, inputs }, null, 1) + '\n');
