// What the safety verifier proved about each memory access of a program, in the form the translator
// uses: the region the pointer points into on every path that reaches the pc (offload/verifier facts,
// InsnFacts.mem, joined over every non-speculative state). With a proof the translator drops the
// region dispatch (which region does the pointer's tag name?) and checks the access against that one
// region's bounds only; the bounds checks stay, so an access whose proof were wrong (a verifier bug)
// still stays inside the region it was proved for and never leaves the device's arena. Without
// proofs (an unverified program, a pc the verifier never reached) every access is checked in full.
import type { ProgramFacts } from '../../offload/verifier/index.ts';

/** The region of one access's pointer on every verified path: the context, the packet, the stack, map `map`'s values. */
export type AccessProof = { region: 'ctx' } | { region: 'packet' } | { region: 'stack' } | { region: 'map'; map: number };

/** Per pc of a program (undefined: nothing proved, the access is checked in full). */
export type AccessProofs = readonly (AccessProof | undefined)[];

const CTX: AccessProof = { region: 'ctx' };
const PACKET: AccessProof = { region: 'packet' };
const STACK: AccessProof = { region: 'stack' };

/**
 * The access proofs of a verified program from its facts. A map value of an inner map's template
 * (facts.innerMaps) lives in whichever map the outer one holds: not proved.
 */
export function accessProofs(facts: ProgramFacts): AccessProof[] {
  const inner = new Set(facts.innerMaps.map((m) => m.index));
  const out: AccessProof[] = [];
  facts.insns.forEach((f, pc) => {
    const m = f?.mem;
    if (!m || m.types.length === 0) return;
    const r = f.regs[m.reg];
    // The context pointer only unmodified (offset 0 on every visit, as the verifier demands of any
    // ctx access): its fields are then read without the interpreter's checks, which cannot fail.
    const ctxUnmodified = !!r && r.offMin === 0 && r.offMax === 0 && r.varOff.value === 0n && r.varOff.mask === 0n;
    const p = proofOf(m.types, m.mapIndex, inner, ctxUnmodified);
    if (p) out[pc] = p;
  });
  return out;
}

function proofOf(types: readonly string[], mapIndex: number | null, inner: ReadonlySet<number>, ctxUnmodified: boolean): AccessProof | undefined {
  // data_meta pointers are packet pointers too: both index the one packet region [data_meta, data_end).
  if (types.every((t) => t === 'pkt' || t === 'pkt_meta')) return PACKET;
  if (types.length !== 1) return undefined;
  switch (types[0]) {
    case 'ctx':
      return ctxUnmodified ? CTX : undefined;
    case 'fp':
      return STACK;
    case 'map_value':
      return mapIndex !== null && mapIndex >= 0 && !inner.has(mapIndex) ? { region: 'map', map: mapIndex } : undefined;
    default:
      return undefined;
  }
}
