// The nfp atomic-counter rule (`offload.memory.atomic_counters_exclusive`): the firmware keeps
// atomically-added map-value words in its own byte order, so a 4-byte word of a map value is either
// read plainly or used as an atomic counter, never both, and bpf_map_update_elem() must store zero
// into counter words. The driver tracks a use per 4-byte word of each map (nfp_bpf_map_mark_used)
// in verification order; nicsim walks the reachable instructions in pc order.
// Difference from the driver: offsets here include the pointer's fixed offset (reg->off); the driver
// uses only the variable part (var_off.value), which misplaces words behind `ptr += const`.
import { HELPER_IDS } from '../../firmware/helpers/names.ts';
import type { RuleContext } from './context.ts';

type Use = 'read' | 'atomic';

// Sparse per-word state: a map's value can be up to 4 GiB (value_size is a u32), only the words the
// program touches are kept.
interface Words {
  count: number;
  use: Map<number, Use>;
  nonZeroUpdate: Set<number>;
}

/** The stack a bpf_map_update_elem value can come from (MAX_BPF_STACK). */
const MAX_STACK = 512;

export function checkAtomicCounters(ctx: RuleContext): void {
  if (!ctx.profile.offload.memory.atomic_counters_exclusive) return;
  const maps = new Map<number, Words>();
  const words = (m: number): Words | undefined => {
    const spec = ctx.spec.maps[m];
    if (!spec) return undefined;
    let w = maps.get(m);
    if (!w) {
      w = { count: Math.ceil(spec.valueSize / 4), use: new Map(), nonZeroUpdate: new Set() };
      maps.set(m, w);
    }
    return w;
  };
  const key = 'offload.memory.atomic_counters_exclusive';
  const rule = 'a 4-byte map value word is either read or an atomic counter, and map_update_elem must write 0 into counters';

  for (const pc of ctx.reachable) {
    const insn = ctx.slots[pc]!;
    if (insn.kind === 'ldx' || insn.kind === 'load_acquire' || insn.kind === 'atomic') {
      const use: Use = insn.kind === 'atomic' ? 'atomic' : 'read';
      const ptr = ctx.facts.reg(pc, insn.kind === 'atomic' ? insn.dst : insn.sreg);
      if (!ptr || !ptr.kinds.includes('map_value') || !ptr.varConstEveryVisit || ptr.offMin !== ptr.offMax) continue;
      const varValues = ptr.varValues ?? (ptr.var.mask === 0n ? [ptr.var.value] : []);
      for (const m of ptr.maps) {
        const w = words(m);
        if (!w) continue;
        for (const v of varValues) {
          const off = ptr.offMin + Number(BigInt.asIntN(64, v)) + insn.off;
          for (let i = 0; i < insn.size; i += 4 - ((off + i) % 4)) {
            const word = Math.floor((off + i) / 4);
            if (word < 0 || word >= w.count) continue;
            const old = w.use.get(word);
            if (old !== undefined && old !== use) {
              ctx.report({ code: 'mem.atomic_counter', pc, key, value: true, rule, text: `map ${ctx.spec.maps[m]!.name} value word at offset ${off + i} is used as ${old} and as ${use}`, nfp: `map value use type conflict ${old} vs ${use} off: ${off + i}`, map: ctx.spec.maps[m]!.name });
              continue;
            }
            if (use === 'atomic' && w.nonZeroUpdate.has(word)) {
              ctx.report({ code: 'mem.atomic_counter', pc, key, value: true, rule, text: `map ${ctx.spec.maps[m]!.name} counter at offset ${off + i} may have been written non-zero by map_update_elem`, nfp: `atomic counter in map value may already be initialized to non-zero value off: ${off + i}`, map: ctx.spec.maps[m]!.name });
              continue;
            }
            w.use.set(word, use);
          }
        }
      }
    } else if (insn.kind === 'call' && insn.callee === 'helper' && insn.imm === HELPER_IDS.map_update_elem && ctx.facts.stackZero) {
      const r1 = ctx.facts.reg(pc, 1);
      const r3 = ctx.facts.reg(pc, 3);
      if (!r1 || !r3 || !r3.kinds.includes('stack') || r3.var.mask !== 0n || r3.offMin !== r3.offMax) continue;
      const base = r3.offMin + Number(BigInt.asIntN(64, r3.var.value));
      for (const m of r1.maps) {
        const w = words(m);
        const spec = ctx.spec.maps[m];
        if (!w || !spec) continue;
        // the value is read from the stack: only bytes inside it can be non-zero writes
        const end = Math.min(spec.valueSize, Math.max(0, -base), MAX_STACK);
        for (let i = 0; i < end; i++) {
          if (ctx.facts.stackZero(pc, base + i, 1) === true) continue;
          const word = Math.floor(i / 4);
          if (w.use.get(word) === 'atomic') {
            const soff = -(base + i) - 1;
            ctx.report({ code: 'mem.atomic_counter', pc, key, value: true, rule, text: `map_update_elem may write a non-zero value into counter word ${word} of map ${spec.name}`, nfp: `value at offset ${i}/${soff} may be non-zero, bpf_map_update_elem() is required to initialize atomic counters to zero to avoid offload endian issues`, map: spec.name });
            break;
          }
          w.nonZeroUpdate.add(word);
        }
      }
    }
  }
}
