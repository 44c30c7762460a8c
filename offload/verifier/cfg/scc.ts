// Strongly connected components of the intraprocedural CFG (compute_scc). Instructions on a loop
// get a non-zero SCC id; the explorer uses them to know when a loop's checkpoints may still
// receive precision marks from paths not yet explored (bpf_scc_visit).
import type { RawInsn } from '../../isa/index.ts';
import { successors } from './raw.ts';

/** SCC id per slot (0 = not on any loop). Iterative Tarjan. */
export function computeSccs(raws: RawInsn[], isSlot: (i: number) => boolean): Int32Array {
  const n = raws.length;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const scc = new Int32Array(n);
  const stack: number[] = [];
  const succ: number[][] = raws.map((r, i) => (isSlot(i) ? successors(r, i).filter((s) => s >= 0 && s < n) : []));
  let next = 0;
  let sccId = 0;
  for (let root = 0; root < n; root++) {
    if (!isSlot(root) || index[root] !== -1) continue;
    const work: [number, number][] = [[root, 0]];
    while (work.length) {
      const top = work[work.length - 1]!;
      const v = top[0];
      if (top[1] === 0) {
        index[v] = low[v] = next++;
        stack.push(v);
        onStack[v] = 1;
      }
      const ss = succ[v]!;
      if (top[1] < ss.length) {
        const w = ss[top[1]++]!;
        if (index[w] === -1) work.push([w, 0]);
        else if (onStack[w]) low[v] = Math.min(low[v]!, index[w]!);
        continue;
      }
      work.pop();
      if (work.length) {
        const p = work[work.length - 1]![0];
        low[p] = Math.min(low[p]!, low[v]!);
      }
      if (low[v] === index[v]) {
        const members: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = 0;
          members.push(w);
        } while (w !== v);
        const loop = members.length > 1 || succ[v]!.includes(v);
        if (loop) {
          sccId++;
          for (const m of members) scc[m] = sccId;
        }
      }
    }
  }
  return scc;
}
