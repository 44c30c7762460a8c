// The BPF instruction set: one opcode table (opcodes.ts) and everything derived from it.
export * from './ir.ts';
export * from './opcodes.ts';
export { decodeInsn, decodeProgram, checkTargets, rawAt, type RawInsn, type DecodeOptions } from './decode.ts';
export { encodeInsn, encodeProgram, fieldsOf } from './encode.ts';
export { disasm, disasmUbpf, shex, type DisasmOptions } from './disasm.ts';
export { assemble, assembleBytes, dataSection, type AsmOptions, type AsmSyntax } from './asm.ts';
