// Every subcommand, in the order `nicsim --help` lists them.
import type { Command } from './command.ts';

export const commands: Command[] = [];
