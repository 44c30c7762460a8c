// The BTF parser against bpftool's dump of every fixture (every kind clang emits for them, plus a
// hand-built blob for the kinds C fixtures do not produce), and the resolution helpers against sizes
// the kernel reported for map keys and values.

import { describe, expect, it } from 'vitest';
import { formatBtf } from '../../offload/btf/dump.ts';
import { parseBtf } from '../../offload/btf/parse.ts';
import { describe as describeType, findByNameKind, findMember, sizeOf, skipModsAndTypedefs } from '../../offload/btf/resolve.ts';
import type { Btf } from '../../offload/btf/types.ts';
import { isNicsimError } from '../../offload/errors.ts';
import { parseElf, sectionData, sectionByName } from '../../offload/elf/file.ts';
import { kernelRecord, objectBytes, truthText, WITH_BTF } from './helpers.ts';

function btfOf(name: string) {
  const elf = parseElf(objectBytes(name), `${name}.o`);
  const s = sectionByName(elf, '.BTF')!;
  return parseBtf(sectionData(elf, s.index).bytes, { file: `${name}.o`, offset: s.offset });
}

describe('BTF parser', () => {
  it.each(WITH_BTF)('%s.o: every type matches `bpftool btf dump file`', (name) => {
    expect(formatBtf(btfOf(name).btf)).toBe(truthText(name, 'btf'));
  });

  it('covers every BTF kind across the fixtures and the synthetic blob', () => {
    const kinds = new Set<string>();
    for (const n of WITH_BTF) for (const t of btfOf(n).btf.types) kinds.add(t.kind);
    for (const t of synthetic().btf.types) kinds.add(t.kind);
    expect([...kinds].sort()).toEqual([
      'array', 'const', 'datasec', 'decl_tag', 'enum', 'enum64', 'float', 'func', 'func_proto', 'fwd', 'int', 'ptr',
      'restrict', 'struct', 'type_tag', 'typedef', 'union', 'var', 'void', 'volatile',
    ]);
  });

  it('decodes a hand-built blob with the kinds the C fixtures lack', () => {
    // Types built by hand, expected values written from the encoding rules in btf.rst.
    expect(formatBtf(synthetic().btf)).toBe(
      [
        "[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
        "[2] FWD 'later' fwd_kind=union",
        "[3] ENUM64 'e64' encoding=SIGNED size=8 vlen=2",
        "\t'MINUS' val=-2LL",
        "\t'BIG' val=4294967296LL",
        "[4] FLOAT 'float' size=4",
        "[5] TYPE_TAG 'user' type_id=1",
        "[6] DECL_TAG 'tag' type_id=1 component_idx=-1",
        "[7] RESTRICT '(anon)' type_id=8",
        "[8] PTR '(anon)' type_id=1",
        '',
      ].join('\n'),
    );
  });
});

describe('BTF resolution', () => {
  const maps = btfOf('maps').btf;
  const rec = kernelRecord('maps');

  it('sizes of map key and value types equal the sizes libbpf and the kernel used', () => {
    let checked = 0;
    for (const m of rec.libbpf.maps ?? []) {
      if (m.btf_key_type_id) {
        expect(sizeOf(maps, m.btf_key_type_id), `${m.name} key`).toBe(m.key_size);
        checked++;
      }
      if (m.btf_value_type_id && !m.name.includes('.')) {
        expect(sizeOf(maps, m.btf_value_type_id), `${m.name} value`).toBe(m.value_size);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(15);
  });

  it('struct layout: members, offsets, modifiers', () => {
    const fk = findByNameKind(maps, 'flow_key', 'struct')!;
    expect(fk.size).toBe(16); // 4+4+2+2+1, padded to 4
    expect(findMember(maps, fk.id, 'dport')?.bitsOffset).toBe(80);
    expect(findMember(maps, fk.id, 'proto')?.bitsOffset).toBe(96);
    expect(findMember(maps, fk.id, 'nope')).toBeUndefined();
    const cfg = maps.types.find((t) => t.kind === 'var' && t.name === 'cfg_port')!;
    const under = skipModsAndTypedefs(maps, (cfg as { type: number }).type);
    expect(under.kind).toBe('int');
    expect(describeType(maps, (cfg as { type: number }).type)).toBe('const volatile __u32');
    expect(sizeOf(maps, cfg.id)).toBe(4);
  });

  it('unsized types are an InputError, not a crash', () => {
    const proto = maps.types.find((t) => t.kind === 'func_proto')!;
    expect(() => sizeOf(maps, proto.id)).toThrowError(/has no size/);
    expect(() => sizeOf(maps, 0)).toThrowError(/has no size/);
    try {
      sizeOf(maps, maps.types.length + 5);
    } catch (e) {
      expect(isNicsimError(e) && e.code).toBe('btf.bad_type_ref');
    }
  });

  it('cyclic typedef chains are reported', () => {
    const btf: Btf = {
      stringsSize: 1,
      types: [
        { kind: 'void', id: 0, name: '' },
        { kind: 'typedef', id: 1, name: 'a', type: 2 },
        { kind: 'typedef', id: 2, name: 'b', type: 1 },
      ],
    };
    expect(() => sizeOf(btf, 1)).toThrowError(/too deep or cyclic/);
    expect(() => skipModsAndTypedefs(btf, 1)).toThrowError(/too deep or cyclic/);
  });
});

/** A .BTF blob encoded by hand. */
function synthetic() {
  const strs = ['', 'int', 'later', 'e64', 'MINUS', 'BIG', 'float', 'user', 'tag'];
  const strOff = new Map<string, number>();
  let s = '';
  for (const x of strs) {
    strOff.set(x, s.length);
    s += `${x}\0`;
  }
  const words: number[] = [];
  const info = (kind: number, vlen: number, kflag = 0) => ((kflag << 31) | (kind << 24) | vlen) >>> 0;
  const n = (x: string) => strOff.get(x)!;
  words.push(n('int'), info(1, 0), 4, (1 << 24) | 32); // [1] INT signed 32
  words.push(n('later'), info(7, 0, 1), 0); // [2] FWD union
  words.push(n('e64'), info(19, 2, 1), 8, n('MINUS'), 0xfffffffe, 0xffffffff, n('BIG'), 0, 1); // [3] ENUM64 signed
  words.push(n('float'), info(16, 0), 4); // [4] FLOAT
  words.push(n('user'), info(18, 0), 1); // [5] TYPE_TAG
  words.push(n('tag'), info(17, 0), 1, 0xffffffff); // [6] DECL_TAG component -1
  words.push(0, info(11, 0), 8); // [7] RESTRICT -> 8
  words.push(0, info(2, 0), 1); // [8] PTR -> int
  const typeBytes = new Uint8Array(new Uint32Array(words).buffer);
  const strBytes = new TextEncoder().encode(s);
  const hdr = new DataView(new ArrayBuffer(24));
  hdr.setUint16(0, 0xeb9f, true);
  hdr.setUint8(2, 1);
  hdr.setUint32(4, 24, true);
  hdr.setUint32(8, 0, true);
  hdr.setUint32(12, typeBytes.length, true);
  hdr.setUint32(16, typeBytes.length, true);
  hdr.setUint32(20, strBytes.length, true);
  const blob = new Uint8Array(24 + typeBytes.length + strBytes.length);
  blob.set(new Uint8Array(hdr.buffer), 0);
  blob.set(typeBytes, 24);
  blob.set(strBytes, 24 + typeBytes.length);
  return parseBtf(blob, { file: 'synthetic', offset: 0 });
}
