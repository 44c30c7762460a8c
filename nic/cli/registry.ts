// Every subcommand, in the order `nicsim --help` lists them.
import { asmCommand } from './asm.ts';
import { checkCommand } from './check.ts';
import type { Command } from './command.ts';
import { conformancePluginCommand } from './conformance-plugin.ts';
import { demoCommand } from './demo.ts';
import { disasmCommand } from './disasm.ts';
import { runCommand } from './run.ts';
import { testRunCommand } from './test-run.ts';
import { verifyCommand } from './verify.ts';

export const commands: Command[] = [demoCommand, disasmCommand, testRunCommand, verifyCommand, checkCommand, runCommand, asmCommand, conformancePluginCommand];
