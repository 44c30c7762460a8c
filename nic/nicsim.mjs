#!/usr/bin/env node
// Entry point of the `nicsim` command: registers the TypeScript loader (tsx) relative to this
// package, then hands over to the CLI written in TypeScript.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
