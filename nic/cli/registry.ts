// Every subcommand, in the order `nicsim --help` lists them: its name, the one-line summary the help
// prints, and how to load it. Commands load on demand, so a start-up pays only for the command it runs
// (`nicsim --help` loads none, the conformance plugin only the interpreter). Adding a command is one
// line here.
import type { Command } from './command.ts';

export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
}

export const commands: readonly CommandEntry[] = [
  { name: 'demo', summary: 'the bundled demo (npm start): verify, check and run an example on the virtual NIC', load: async () => (await import('./demo.ts')).demoCommand },
  { name: 'disasm', summary: 'disassemble the programs of an object file', load: async () => (await import('./disasm.ts')).disasmCommand },
  { name: 'test-run', summary: 'run an XDP program on one packet, like BPF_PROG_TEST_RUN', load: async () => (await import('./test-run.ts')).testRunCommand },
  { name: 'verify', summary: 'would the Linux verifier load this XDP program? verdict, failing pc, source line, reason', load: async () => (await import('./verify.ts')).verifyCommand },
  { name: 'check', summary: 'will an XDP program offload to a NIC? capability verdict per hardware profile', load: async () => (await import('./check.ts')).checkCommand },
  { name: 'run', summary: 'run an XDP program on the virtual NIC over a pcap or generated traffic', load: async () => (await import('./run.ts')).runCommand },
  { name: 'sweep', summary: 'modeled throughput versus cores and profiles (a run per point), as a table, CSV or HTML report', load: async () => (await import('./sweep.ts')).sweepCommand },
  { name: 'asm', summary: 'assemble BPF assembly (llvm or ubpf syntax) into instruction bytes', load: async () => (await import('./asm.ts')).asmCommand },
  { name: 'conformance-plugin', summary: 'run one program for the bpf_conformance runner (plugin protocol)', load: async () => (await import('./conformance-plugin.ts')).conformancePluginCommand },
];
