// Every subcommand, in the order `nicsim --help` lists them.
import type { Command } from './command.ts';
import { testRunCommand } from './test-run.ts';

export const commands: Command[] = [testRunCommand];
