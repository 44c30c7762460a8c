// The shape of a nicsim subcommand. Commands are data: the dispatcher in main.ts parses options with
// node:util parseArgs from this description, prints `--help` from it, and maps errors to exit codes.
import type { ExitCode } from '../../offload/errors.ts';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Shown in --help, e.g. "FILE". */
  arg?: string;
  help: string;
  default?: string | boolean;
}

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whole standard input (only commands that read it call this). */
  stdin(): Promise<string>;
}

export interface CommandContext {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
  io: Io;
  /** Convenience: print a line on stdout / stderr. */
  out(line?: string): void;
  err(line?: string): void;
}

/** A command's options and implementation; its name and summary are in registry.ts. */
export interface Command {
  /** Synopsis lines after "usage: nicsim ". */
  usage: string[];
  description?: string;
  options: Record<string, OptionSpec>;
  positionals: { min: number; max: number };
  /** When true, arguments that look like options are kept as positionals (conformance plugin). */
  lenientArgs?: boolean;
  run(ctx: CommandContext): Promise<ExitCode>;
}

/** Typed accessors for parsed option values. */
export function str(ctx: CommandContext, name: string): string | undefined {
  const v = ctx.values[name];
  return typeof v === 'string' ? v : undefined;
}
export function strs(ctx: CommandContext, name: string): string[] {
  const v = ctx.values[name];
  return Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : [];
}
export function flag(ctx: CommandContext, name: string): boolean {
  return ctx.values[name] === true;
}
