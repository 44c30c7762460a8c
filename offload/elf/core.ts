// CO-RE relocations (.BTF.ext core_relo). They ask the loader to rewrite an instruction using the
// running kernel's BTF (field offsets, type existence, enum values). nicsim has no kernel BTF, so they
// are reported as unsupported, by kind, type and access path. The one kind that needs no kernel is
// resolved: TYPE_ID_LOCAL (bpf_core_type_id_local), whose answer is the object's own type id.

import type { CoreReloRecord, ExtSection } from '../btf/ext.ts';
import { describe } from '../btf/resolve.ts';
import type { Btf } from '../btf/types.ts';
import { InputError } from '../errors.ts';
import type { ElfFile } from './file.ts';
import type { ElfFunction } from './functions.ts';
import { functionAt } from './functions.ts';

export type CoreAction =
  | { kind: 'patch'; insn: number; value: number; record: CoreReloRecord }
  | { kind: 'unsupported'; insn: number; code: string; message: string; record: CoreReloRecord };

export function collectCoreRelos(
  elf: ElfFile,
  btf: Btf,
  sections: ExtSection<CoreReloRecord>[],
  funcs: ElfFunction[],
): Map<ElfFunction, CoreAction[]> {
  const out = new Map<ElfFunction, CoreAction[]>();
  for (const s of sections) {
    const sec = elf.sections.find((x) => x.index !== 0 && x.name === s.section);
    if (!sec) continue; // libbpf ignores records for sections that do not exist
    for (const r of s.records) {
      const loc = { file: elf.file, section: '.BTF.ext', offset: r.fileOffset };
      if (r.insnOff % 8 !== 0) throw new InputError('btf.bad_core_relo', `CO-RE relocation for '${s.section}' at byte ${r.insnOff} is not instruction-aligned`, loc);
      const fn = functionAt(funcs, sec.index, r.insnOff / 8);
      if (!fn) continue;
      if (r.typeId >= btf.types.length) throw new InputError('btf.bad_core_relo', `CO-RE relocation refers to type [${r.typeId}], which does not exist`, loc);
      const insn = r.insnOff / 8 - fn.sectionPc;
      const list = out.get(fn) ?? [];
      out.set(fn, list);
      if (r.kind === 'type_id_local') {
        list.push({ kind: 'patch', insn, value: r.typeId, record: r });
        continue;
      }
      const what = describe(btf, r.typeId);
      const path = r.access === '0' ? '' : ` (access path ${r.access})`;
      list.push({
        kind: 'unsupported',
        insn,
        code: 'elf.unsupported_core_relo',
        message: `CO-RE relocation '${r.kind}' against '${what}'${path} in '${fn.name}' is not supported: nicsim has no kernel BTF to resolve it against`,
        record: r,
      });
    }
  }
  return out;
}

/**
 * Applies a resolved CO-RE value to one instruction (libbpf's bpf_core_patch_insn for the kinds
 * nicsim resolves): ALU with an immediate gets imm = value; lddw gets the 64-bit value.
 */
export function patchCoreInsn(code: Uint8Array, at: number, value: number, where: () => InputError): void {
  const op = code[at]!;
  const cls = op & 0x07;
  const dv = new DataView(code.buffer, code.byteOffset, code.byteLength);
  if ((cls === 0x04 || cls === 0x07) && (op & 0x08) === 0) {
    dv.setInt32(at + 4, value, true);
    return;
  }
  if (op === 0x18 && at + 16 <= code.length) {
    dv.setInt32(at + 4, value, true);
    dv.setInt32(at + 12, 0, true);
    return;
  }
  throw where();
}
