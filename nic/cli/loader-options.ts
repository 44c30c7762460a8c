// The loader's options, shared by every command that loads an object (verify, check, test-run, run):
//   --map-size NAME=N     bpf_map__set_max_entries before load
//   --set NAME=VALUE      a global variable's initial value (.rodata `const volatile` configuration,
//                         .data, .bss) by its BTF name, as a libbpf skeleton sets it before load
// and, after them, the kernel's refusal of a map left with max_entries 0. A command spreads
// `loaderOptions` into its options and calls `prepareObject(spec, loaderSettings(ctx))`; `nicsim run`
// can do the same with its own parsed values (`parseLoaderSettings(mapSizes, sets)`).
import { UsageError } from '../../offload/errors.ts';
import { checkMapSizes, setGlobal, setMaxEntries } from '../../offload/elf/configure.ts';
import type { ObjectSpec } from '../../offload/elf/index.ts';
import { type CommandContext, type OptionSpec, strs } from './command.ts';

export const loaderOptions: Record<string, OptionSpec> = {
  'map-size': { type: 'string', multiple: true, arg: 'MAP=N', help: "set a map's max_entries before load (libbpf's bpf_map__set_max_entries)" },
  set: { type: 'string', multiple: true, arg: 'NAME=VALUE', help: 'set a global variable (.rodata const volatile, .data, .bss) before load, as a skeleton does' },
};

export interface LoaderSettings {
  mapSizes: [name: string, entries: number][];
  globals: [name: string, value: string][];
}

function pair(opt: string, s: string): [string, string] {
  const i = s.indexOf('=');
  if (i <= 0 || i === s.length - 1) throw new UsageError(`--${opt} takes NAME=VALUE, not '${s}'`);
  return [s.slice(0, i), s.slice(i + 1)];
}

/** Parses `--map-size` and `--set` values (syntax only; names and ranges are checked against the object). */
export function parseLoaderSettings(mapSizes: readonly string[], sets: readonly string[]): LoaderSettings {
  return {
    mapSizes: mapSizes.map((s) => {
      const [name, n] = pair('map-size', s);
      if (!/^\d+$/.test(n)) throw new UsageError(`--map-size ${name}: '${n}' is not a number of entries`);
      return [name, Number(n)];
    }),
    globals: sets.map((s) => pair('set', s)),
  };
}

export function loaderSettings(ctx: CommandContext): LoaderSettings {
  return parseLoaderSettings(strs(ctx, 'map-size'), strs(ctx, 'set'));
}

/** Applies the settings in order, then refuses a map still at max_entries 0 as the kernel does. */
export function prepareObject(spec: ObjectSpec, s: LoaderSettings): ObjectSpec {
  let out = spec;
  for (const [name, n] of s.mapSizes) out = setMaxEntries(out, name, n);
  for (const [name, v] of s.globals) out = setGlobal(out, name, v);
  checkMapSizes(out);
  return out;
}
