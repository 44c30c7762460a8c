// Fuzz targets of the hostile-input campaign (issue 13): for each parser (ELF/BTF loader, decoder,
// assembler, profile loader, verifier) a seed corpus from the repository, a fast-check arbitrary of
// mutated inputs and a `run` that feeds one input through nicsim's public entry points. The property
// every target states: whatever the input, nicsim either succeeds or throws one of its typed errors
// (NicsimError, exit 1/2/3), never an untyped exception (exit 4). The verifier target states two more:
// exploration stays within the kernel's 1,000,001 processed instructions, and a program it accepts
// never faults in the bounds-checked interpreter (a fault would be a false accept).
// The capture target (pcap / pcapng readers of nic/traffic) reads every packet of a mutated capture.
// Used by test/fuzz/worker.ts (the timed campaign, test/campaigns/fuzz.ts) and by the smoke test.
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { objdumpText } from '../../offload/disasm/llvm.ts';
import { annotateProgram } from '../../offload/disasm/annotated.ts';
import { loadObject, type ObjectSpec, type ProgramSpec } from '../../offload/elf/index.ts';
import { isNicsimError } from '../../offload/errors.ts';
import { assembleBytes, decodeProgram, disasm, disasmUbpf } from '../../offload/isa/index.ts';
import { BPF_COMPLEXITY_LIMIT_INSNS, verifyProgram } from '../../offload/verifier/index.ts';
import { loadProfile } from '../../nic/profile/index.ts';
import { loadForRun } from '../../nic/runtime/load.ts';
import { openCapture } from '../../nic/traffic/index.ts';
import { main } from '../../nic/cli/main.ts';
import { fuzzObject, fuzzProgram, rawXdpProgram, readFuzzFixture } from '../verifier/fuzz-fixture.ts';
import { testRun } from '../../nic/runtime/test-run.ts';

const root = new URL('../../', import.meta.url).pathname;

/** Something nicsim must never do with any input: an untyped exception, or a broken property. */
export class PropertyViolation extends Error {
  constructor(
    readonly kind: 'untyped' | 'bound' | 'false-accept',
    message: string,
  ) {
    super(message);
  }
}

export interface Target {
  name: string;
  /** Inputs as bytes (text targets are UTF-8). */
  arbitrary(): fc.Arbitrary<Uint8Array>;
  /** Feeds one input through nicsim; throws (or rejects with) PropertyViolation when a property breaks. */
  run(input: Uint8Array): void | Promise<void>;
}

/** Runs `f`; typed errors are fine, anything else is a violation. */
function typed(stage: string, f: () => void): boolean {
  try {
    f();
    return true;
  } catch (e) {
    if (e instanceof PropertyViolation) throw e;
    if (isNicsimError(e)) return false;
    const err = e as Error;
    throw new PropertyViolation('untyped', `${stage}: ${err?.constructor?.name ?? 'throw'}: ${err?.message ?? String(e)}\n${(err?.stack ?? '').split('\n').slice(1, 5).join('\n')}`);
  }
}

// ---- mutation of seed inputs -------------------------------------------------------------------

const INTERESTING_32 = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

type Op =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; value: number }
  | { op: 'u32'; at: number; value: number }
  | { op: 'cut'; at: number }
  | { op: 'dup'; at: number; len: number; to: number }
  | { op: 'del'; at: number; len: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.nat(255) }),
  fc.record({ op: fc.constant('u32' as const), at: fc.nat(), value: fc.constantFrom(...INTERESTING_32) }),
  fc.record({ op: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('dup' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 64 }), to: fc.nat() }),
  fc.record({ op: fc.constant('del' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 64 }) }),
);

/** Applies byte-level mutations; positions are taken modulo the current length (`align`: u32 writes). */
export function mutate(seed: Uint8Array, ops: readonly Op[], align = 1): Uint8Array {
  let b = Uint8Array.from(seed);
  for (const o of ops) {
    if (b.length === 0) break;
    const at = o.at % b.length;
    switch (o.op) {
      case 'flip':
        b[at]! ^= 1 << o.bit;
        break;
      case 'set':
        b[at] = o.value;
        break;
      case 'u32': {
        const p = at - (at % align);
        if (p + 4 <= b.length) new DataView(b.buffer, b.byteOffset).setUint32(p, o.value, true);
        break;
      }
      case 'cut':
        b = b.slice(0, at);
        break;
      case 'dup': {
        const chunk = b.slice(at, at + o.len);
        const to = o.to % (b.length + 1);
        b = Uint8Array.from([...b.subarray(0, to), ...chunk, ...b.subarray(to)]);
        break;
      }
      case 'del':
        b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + o.len)]);
        break;
    }
  }
  return b;
}

/** Seeds mutated by 1..maxOps byte operations (shrinks towards the unmutated seed). */
function mutated(seeds: Uint8Array[], maxOps = 8, align = 1): fc.Arbitrary<Uint8Array> {
  return fc.tuple(fc.nat(seeds.length - 1), fc.array(opArb, { minLength: 1, maxLength: maxOps })).map(([i, ops]) => mutate(seeds[i]!, ops, align));
}

/** Text seeds mutated by line operations and by splicing in hostile tokens. */
function mutatedText(seeds: string[], tokens: string[]): fc.Arbitrary<Uint8Array> {
  const lineOp = fc.oneof(
    fc.record({ k: fc.constant('del' as const), at: fc.nat() }),
    fc.record({ k: fc.constant('dup' as const), at: fc.nat(), times: fc.integer({ min: 1, max: 50 }) }),
    fc.record({ k: fc.constant('token' as const), at: fc.nat(), col: fc.nat(), token: fc.constantFrom(...tokens) }),
    fc.record({ k: fc.constant('char' as const), at: fc.nat(), col: fc.nat(), ch: fc.constantFrom(',', ':', '-', ' ', '\t', '"', "'", '[', '{', '#', '%', '*', '&', '!', '|', '>', '\\', '0', '9') }),
  );
  return fc.tuple(fc.nat(seeds.length - 1), fc.array(lineOp, { minLength: 1, maxLength: 6 })).map(([i, ops]) => {
    const lines = seeds[i]!.split('\n');
    for (const o of ops) {
      if (!lines.length) break;
      const at = o.at % lines.length;
      const l = lines[at]!;
      if (o.k === 'del') lines.splice(at, 1);
      else if (o.k === 'dup') lines.splice(at, 0, ...Array<string>(o.times).fill(l));
      else {
        const col = o.col % (l.length + 1);
        lines[at] = l.slice(0, col) + (o.k === 'token' ? o.token : o.ch) + l.slice(col);
      }
    }
    return Buffer.from(lines.join('\n'));
  });
}

// ---- seed corpora ------------------------------------------------------------------------------

const files = (dir: string, ext: string) =>
  readdirSync(join(root, dir))
    .filter((f) => f.endsWith(ext))
    .sort()
    .map((f) => join(root, dir, f));

let objectsCache: { file: string; bytes: Uint8Array; spec: ObjectSpec }[] | undefined;
/** The example objects and the ELF fixtures, loaded once per process. */
function objects() {
  objectsCache ??= [...files('examples', '.o'), ...files('test/fixtures/elf', '.o')].map((file) => {
    const bytes = new Uint8Array(readFileSync(file));
    return { file, bytes, spec: loadObject(bytes, file, { allowUnsupported: true }) };
  });
  return objectsCache;
}

// ---- targets -----------------------------------------------------------------------------------

const elf: Target = {
  name: 'elf',
  arbitrary: () => mutated(objects().map((o) => o.bytes), 6, 4),
  run(input) {
    let spec: ObjectSpec | undefined;
    typed('loadObject', () => void (spec = loadObject(input, 'fuzz.o', { allowUnsupported: true })));
    typed('objdumpText', () => void objdumpText(input, 'fuzz.o'));
    if (!spec) return;
    for (const p of spec.programs) typed('annotateProgram', () => void annotateProgram(spec!, p));
  },
};

const decode: Target = {
  name: 'decode',
  arbitrary: () =>
    fc.oneof(
      fc.uint8Array({ maxLength: 256 }),
      mutated(
        objects()
          .flatMap((o) => o.spec.programs.map((p) => p.insns))
          .filter((b) => b.length > 0),
        8,
        8,
      ),
    ),
  run(input) {
    typed('decodeProgram', () => {
      for (const insn of decodeProgram(input, { loc: { file: 'fuzz' } })) {
        if (!insn) continue;
        disasm(insn);
        disasmUbpf(insn);
      }
    });
  },
};

let asmSeeds: string[] | undefined;
const asm: Target = {
  name: 'asm',
  arbitrary: () => {
    asmSeeds ??= [
      ...files('test/fixtures/conformance', '.data')
        .slice(0, 200)
        .map((f) => readFileSync(f, 'utf8')),
      ...objects()
        .slice(0, 4)
        .flatMap((o) => o.spec.programs.slice(0, 2).map((p) => annotateProgram(o.spec, p, { source: false }).join('\n'))),
    ];
    const tokens = ['%r11', '%r10', 'r11', 'r10', ' = ', '0x', '-0x80000000', '0xffffffffffffffff', '99999999999999999999', '-- asm', '--  asm', '-- result', 'lddw', 'goto +32767', 'call -1', 'label:', 'label', ',', ', ,', '(', ')', '*(u64 *)(', 'lock ', 'exit'];
    return mutatedText(asmSeeds, tokens);
  },
  run(input) {
    const text = Buffer.from(input).toString('utf8');
    typed('assemble llvm', () => void assembleBytes(text, { file: 'fuzz.s', syntax: 'llvm' }));
    typed('assemble ubpf', () => void assembleBytes(text, { file: 'fuzz.s', syntax: 'ubpf' }));
    typed('assemble detect', () => void assembleBytes(text, { file: 'fuzz.s' }));
  },
};

let profileDir: string | undefined;
const profile: Target = {
  name: 'profile',
  arbitrary: () => {
    const seeds = files('configs', '.yaml').map((f) => readFileSync(f, 'utf8'));
    const tokens = ['*nope', '&a ', '*a', '<<: *a', '!!binary ', '!!js/function ', 'extends: agilio-cx.yaml', 'extends: fuzz.yaml', 'extends: /dev/zero', ': ', '- ', '? ', '99999999999999999999', '-1', '1e309', '.nan', 'null', '~', '{', '[', '"\\u0000"', '\t'];
    return mutatedText(seeds, tokens);
  },
  run(input) {
    // profiles are files (extends is relative to the file): one scratch folder per process, next to
    // copies of the shipped profiles so that `extends:` can resolve
    if (!profileDir) {
      profileDir = mkdtempSync(join(tmpdir(), 'nicsim-fuzz-profile-'));
      for (const f of files('configs', '.yaml')) writeFileSync(join(profileDir, f.replace(/^.*\//, '')), readFileSync(f));
    }
    const file = join(profileDir, 'fuzz.yaml');
    writeFileSync(file, input);
    typed('loadProfile', () => void loadProfile(file));
  },
};

/** The verifier: mutated instructions of the example programs, verified against their own maps. */
const verifier: Target = {
  name: 'verifier',
  arbitrary: () => {
    const progs = objects().flatMap((o, oi) => o.spec.programs.filter((p) => p.typeName === 'xdp' && p.insns.length > 0).map((_p, pi) => [oi, pi] as const));
    return fc
      .tuple(fc.nat(progs.length - 1), fc.array(opArb, { minLength: 1, maxLength: 4 }), fc.constantFrom(0, 0, 0, 1, 2), fc.boolean(), fc.uint8Array({ minLength: 14, maxLength: 128 }))
      .map(([i, ops, level, unpriv, packet]) => {
        const [oi, pi] = progs[i]!;
        const p = objects()[oi]!.spec.programs.filter((q) => q.typeName === 'xdp' && q.insns.length > 0)[pi]!;
        const insns = mutate(p.insns, ops, 1);
        // input layout: object index, program index, log level, unprivileged, packet length, packet, insns
        return Uint8Array.from([oi, pi, level, unpriv ? 1 : 0, packet.length, ...packet, ...insns]);
      });
  },
  run(input) {
    if (input.length < 5) return;
    const [oi, pi, level, unpriv, plen] = input;
    const o = objects()[oi! % objects().length]!;
    const xdp = o.spec.programs.filter((q) => q.typeName === 'xdp' && q.insns.length > 0);
    if (!xdp.length) return;
    const base = xdp[pi! % xdp.length]!;
    const packet = input.subarray(5, 5 + plen!);
    const insns = input.subarray(5 + plen!);
    const prog: ProgramSpec = { ...base, insns: Uint8Array.from(insns) };
    const spec: ObjectSpec = { ...o.spec, programs: o.spec.programs.map((q) => (q === base ? prog : q)) };
    let result: ReturnType<typeof verifyProgram> | undefined;
    typed('verifyProgram', () => void (result = verifyProgram(spec, prog, { logLevel: (level! % 3) as 0 | 1 | 2, logSize: 1 << 20, unprivileged: (unpriv! & 1) === 1, facts: false })));
    if (!result) return;
    if (result.insnsProcessed > BPF_COMPLEXITY_LIMIT_INSNS + 1) throw new PropertyViolation('bound', `processed ${result.insnsProcessed} insns, beyond the kernel's limit`);
    if (Buffer.byteLength(result.log) >= 1 << 20) throw new PropertyViolation('bound', `log of ${Buffer.byteLength(result.log)} bytes beyond log_size`);
    if (!result.accepted || packet.length < 14 || prog.unsupported.length) return;
    // an accepted program must not fault in the bounds-checked interpreter
    typed('loadForRun', () => {
      const obj = loadForRun(spec, { cpus: 2 });
      try {
        testRun(obj, { program: prog.name, dataIn: packet });
      } catch (e) {
        if (isNicsimError(e) && e.code.startsWith('fault.') && e.code !== 'fault.helper' && e.code !== 'fault.tail_call')
          throw new PropertyViolation('false-accept', `accepted by the verifier, faults at run time: ${e.message}`);
        throw e;
      }
    });
  },
};

/**
 * The verifier on raw programs: mutations of the recorded random programs (test/fixtures/verifier/
 * fuzz.json.gz, whose maps the kernel script recreates). Accepted programs must not fault in the
 * interpreter; with NICSIM_FUZZ_ACCEPTED=FILE each accepted program's hex is appended to FILE, for
 * test/kernel/fuzz-kernel-check.py to load into the kernel (a program nicsim accepts and the kernel
 * refuses is a false accept).
 */
let rawFixture: { spec: ObjectSpec; seeds: Uint8Array[] } | undefined;
function raw() {
  if (!rawFixture) {
    const fx = readFuzzFixture(new URL('../fixtures/verifier/fuzz.json.gz', import.meta.url));
    rawFixture = { spec: fuzzObject(fx), seeds: fx.programs.slice(0, 1000).map(([hex]) => fuzzProgram(hex).insns) };
  }
  return rawFixture;
}
const verifierRaw: Target = {
  name: 'verifier-raw',
  arbitrary: () => fc.tuple(mutated(raw().seeds, 3, 1), fc.boolean()).map(([insns, unpriv]) => Uint8Array.from([unpriv ? 1 : 0, ...insns])),
  run(input) {
    if (!input.length) return;
    const { spec } = raw();
    const prog = rawXdpProgram(Uint8Array.from(input.subarray(1)));
    let result: ReturnType<typeof verifyProgram> | undefined;
    typed('verifyProgram', () => void (result = verifyProgram(spec, prog, { unprivileged: input[0] === 1, withoutBtf: true, facts: false })));
    if (!result) return;
    if (result.insnsProcessed > BPF_COMPLEXITY_LIMIT_INSNS + 1) throw new PropertyViolation('bound', `processed ${result.insnsProcessed} insns, beyond the kernel's limit`);
    if (!result.accepted) return;
    const dump = process.env.NICSIM_FUZZ_ACCEPTED;
    if (dump) appendFileSync(dump, `${input[0] === 1 ? 'unpriv' : 'root'} ${Buffer.from(input.subarray(1)).toString('hex')}\n`);
    typed('loadForRun', () => {
      const full: ObjectSpec = { ...spec, programs: [prog] };
      const obj = loadForRun(full, { cpus: 2 });
      try {
        testRun(obj, { program: prog.name, dataIn: new Uint8Array(64).fill(0x11) });
      } catch (e) {
        if (isNicsimError(e) && e.code.startsWith('fault.') && e.code !== 'fault.helper' && e.code !== 'fault.tail_call')
          throw new PropertyViolation('false-accept', `accepted by the verifier, faults at run time: ${e.message}`);
        throw e;
      }
    });
  },
};

let captureDir: string | undefined;
const capture: Target = {
  name: 'capture',
  arbitrary: () => {
    const seeds = [...files('test/fixtures/traffic', '.pcap'), ...files('test/fixtures/traffic', '.pcapng')].map((f) => new Uint8Array(readFileSync(f)));
    return mutated(seeds, 6, 4);
  },
  run(input) {
    captureDir ??= mkdtempSync(join(tmpdir(), 'nicsim-fuzz-capture-'));
    const file = join(captureDir, 'fuzz.pcap');
    writeFileSync(file, input);
    typed('openCapture', () => {
      const r = openCapture(file);
      try {
        let n = 0;
        while (r.next() !== null) {
          // the read buffer is bounded by the largest record, never by the file
          if (r.bufferBytes > 2 * input.length + (1 << 20)) throw new PropertyViolation('bound', `read buffer of ${r.bufferBytes} bytes for a ${input.length}-byte file`);
          if (++n > input.length) throw new PropertyViolation('bound', `more packets (${n}) than bytes in the file`);
        }
      } finally {
        r.close();
      }
    });
  },
};

/**
 * Every command end to end (nic/cli/main.ts, in process) on a mutated object: the exit status is
 * never 4, and the worker's heap limit bounds the memory any command may take for any input.
 */
let cliDir: string | undefined;
const cli: Target = {
  name: 'cli',
  arbitrary: () => fc.tuple(mutated(objects().slice(0, 13).map((o) => o.bytes), 4, 4), fc.nat(4)).map(([b, c]) => Uint8Array.from([c, ...b])),
  async run(input) {
    if (!input.length) return;
    cliDir ??= mkdtempSync(join(tmpdir(), 'nicsim-fuzz-cli-'));
    const obj = join(cliDir, 'fuzz.o');
    const pkt = join(cliDir, 'pkt.bin');
    writeFileSync(obj, input.subarray(1));
    writeFileSync(pkt, new Uint8Array(64).fill(0x45));
    const commands = [
      ['verify', obj, '--log-level', '2', '--log-size', '65536', '--json'],
      ['check', obj, '--profile', join(root, 'configs/agilio-cx.yaml'), '--json'],
      ['disasm', obj],
      ['disasm', obj, '--format', 'llvm'],
      ['test-run', obj, '--program', 'count_protocols', '--data-in', pkt, '--no-verify', '--json'],
    ];
    const argv = commands[input[0]! % commands.length]!;
    let err = '';
    const code = await main(argv, { stdout: () => undefined, stderr: (t) => void (err += t), stdin: async () => '' });
    if (code === 4) throw new PropertyViolation('untyped', `nicsim ${argv.join(' ')} exited 4: ${err}`);
  },
};

export const TARGETS: Target[] = [elf, decode, asm, profile, verifier, verifierRaw, capture, cli];

export function targetNamed(name: string): Target {
  const t = TARGETS.find((x) => x.name === name);
  if (!t) throw new Error(`unknown fuzz target '${name}' (targets: ${TARGETS.map((x) => x.name).join(', ')})`);
  return t;
}
