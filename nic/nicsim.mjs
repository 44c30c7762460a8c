#!/usr/bin/env node
// Entry point of the `nicsim` command. Runs the compiled CLI (dist/nicsim.js, which nic/build.mjs builds
// on `npm install` and `npm run build`). When dist/ is missing or a source file changed after the build,
// it says so on stderr and runs the TypeScript sources through tsx instead (slower start, same result);
// NICSIM_FROM_SOURCE=1 runs the sources without the note.
import { readFileSync, statSync } from 'node:fs';

// the start of nicsim's own code, for `--timing` (nic/cli/timing.ts: ENTRY_MARK)
performance.mark('nicsim:entry');

// A closed pipe (`nicsim ... | head`) ends the output quietly, like other command-line tools.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

const ROOT = new URL('../', import.meta.url);
const DIST = new URL('dist/', ROOT);
// Paths as strings: 200-odd stats of source files run at every start, and URL objects for each cost
// several times the stats themselves.
const ROOT_PATH = decodeURIComponent(ROOT.pathname);

/** Why dist/ cannot be used, or undefined when it is current. */
function staleReason() {
  let build;
  try {
    build = JSON.parse(readFileSync(`${ROOT_PATH}dist/build.json`, 'utf8'));
  } catch {
    return 'dist/ is missing';
  }
  for (const input of build.inputs) {
    const st = statSync(ROOT_PATH + input, { throwIfNoEntry: false });
    if (st === undefined) return `${input} is gone since the build`;
    if (st.mtimeMs > build.built) return `${input} changed after the build`;
  }
  return undefined;
}

const fromSource = process.env.NICSIM_FROM_SOURCE === '1';
const reason = fromSource ? 'NICSIM_FROM_SOURCE=1' : staleReason();
let main;
if (reason === undefined) {
  if (process.env.NICSIM_DEBUG) process.setSourceMapsEnabled(true);
  ({ main } = await import(new URL('nicsim.js', DIST).href));
} else {
  if (!fromSource) process.stderr.write(`nicsim: ${reason}; running from the TypeScript sources (run \`npm run build\` for a fast start)\n`);
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('./cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
