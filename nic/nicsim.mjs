#!/usr/bin/env node
// Entry point of the `nicsim` command: registers the TypeScript loader (tsx) relative to this
// package, then hands over to the CLI written in TypeScript.
import { register } from 'tsx/esm/api';

// A closed pipe (`nicsim ... | head`) ends the output quietly, like other command-line tools.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

register();
const { main } = await import('./cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
