// BTF fix-ups a loader must do before using DATASECs (libbpf's btf_fixup_datasec): clang leaves a
// DATASEC's size and its variables' offsets as 0, so they are taken from the ELF section size and the
// variables' symbols. Global variables with hidden/internal visibility become static. Variables are
// then sorted by offset. Returns a new Btf; the parsed one is left untouched.

import type { Btf, BtfType, DatasecType } from '../btf/types.ts';
import { InputError } from '../errors.ts';
import type { ElfFile } from './file.ts';
import { STB, STT, STV } from './types.ts';
import type { ElfSymbol } from './types.ts';

export function fixupDatasecs(btf: Btf, elf: ElfFile, btfOffset: number): Btf {
  const objects = new Map<string, ElfSymbol>();
  for (const s of elf.symbols) {
    if (s.type !== STT.OBJECT || (s.bind !== STB.GLOBAL && s.bind !== STB.WEAK)) continue;
    if (!objects.has(s.name)) objects.set(s.name, s);
  }
  const types: BtfType[] = btf.types.slice();
  const fail = (t: DatasecType, msg: string) =>
    new InputError('elf.bad_btf_datasec', `DATASEC [${t.id}] '${t.name}': ${msg}`, { file: elf.file, section: '.BTF', offset: btfOffset });

  for (const t of btf.types) {
    if (t.kind !== 'datasec') continue;
    let size = t.size;
    let vars = t.vars.map((v) => ({ ...v }));
    if (t.name !== '.kconfig' && t.name !== '.ksyms') {
      const fixOffsets = size === 0;
      if (fixOffsets) {
        const sec = elf.sections.find((s) => s.index !== 0 && s.name === t.name);
        if (!sec || sec.size === 0) throw fail(t, `no ELF section '${t.name}' with a size to take the DATASEC size from`);
        size = sec.size;
      }
      for (const v of vars) {
        const vt = types[v.type];
        if (!vt || vt.kind !== 'var') throw fail(t, `member type [${v.type}] is not a VAR`);
        if (vt.linkage === 'static' || vt.linkage === 'extern') continue;
        const sym = objects.get(vt.name);
        if (!sym) throw fail(t, `no ELF symbol for variable '${vt.name}'`);
        if (fixOffsets) v.offset = sym.value;
        if (sym.visibility === STV.HIDDEN || sym.visibility === STV.INTERNAL) {
          types[vt.id] = { ...vt, linkage: 'static' };
        }
      }
    }
    vars = vars.sort((a, b) => a.offset - b.offset);
    types[t.id] = { ...t, size, vars };
  }
  return { ...btf, types };
}
