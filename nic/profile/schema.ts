// The JSON Schema of a hardware profile (draft 2020-12 subset that ajv compiles). It is the single
// source of truth for the format: ajv enforces it (validate.ts), configs/schema.json is this object
// written out (test/profile/schema.test.ts keeps them equal), and configs/README.md documents every key.
//
// Defaults are what the Linux kernel accepts for an XDP program running in a host driver, so a
// profile only writes down where its hardware differs. ajv fills them in (`useDefaults`), which is
// why the Profile type (types.ts) has every key present.
import { HELPER_NAMES } from '../../firmware/helpers/names.ts';
import { allKfuncs } from '../../offload/btf/kfuncs.ts';
import { XDP_METADATA_OPS } from '../../firmware/kfuncs/rx-meta.ts';
import { MAP_FLAG_NAMES, MAP_TYPE_NAMES } from './map-types.ts';
import {
  ACCESS_SIZES,
  ATOMIC_OPS,
  INSN_CLASSES,
  PROFILE_KINDS,
  XDP_ACTIONS,
  XDP_MD_FIELDS,
} from './vocab.ts';

type Schema = Record<string, unknown>;

const U32_MAX = 0xffffffff;

function obj(properties: Record<string, Schema>, required: string[] = [], extra: Schema = {}): Schema {
  return { type: 'object', additionalProperties: false, properties, required, ...extra };
}
/** An object whose defaults ajv fills in even when the whole object is missing. */
function section(properties: Record<string, Schema>, required: string[] = [], extra: Schema = {}): Schema {
  return { ...obj(properties, required, extra), default: {} };
}
function int(description: string, def?: number, min = 0, max?: number): Schema {
  return { type: 'integer', minimum: min, ...(max !== undefined ? { maximum: max } : {}), description, ...(def !== undefined ? { default: def } : {}) };
}
function intOrNull(description: string, def: number | null = null, min = 0, max?: number): Schema {
  return { type: ['integer', 'null'], minimum: min, ...(max !== undefined ? { maximum: max } : {}), description, default: def };
}
function num(description: string, def?: number, exclusiveMin = true): Schema {
  return { type: 'number', ...(exclusiveMin ? { exclusiveMinimum: 0 } : { minimum: 0 }), description, ...(def !== undefined ? { default: def } : {}) };
}
function bool(description: string, def: boolean): Schema {
  return { type: 'boolean', description, default: def };
}
function enumOf(ref: string, description: string, def?: string): Schema {
  return { $ref: `#/$defs/${ref}`, description, ...(def !== undefined ? { default: def } : {}) };
}
function listOf(ref: string, description: string, def: readonly unknown[]): Schema {
  return { type: 'array', items: { $ref: `#/$defs/${ref}` }, uniqueItems: true, description, default: [...def] };
}

const widths = (def: boolean) =>
  obj({ w: bool('32-bit form allowed', def), dw: bool('64-bit form allowed', def) }, [], { default: { w: def, dw: def } });

const helperRestrictions = obj({
  map_types: listOf('mapType', 'the map argument must be one of these types (empty: any type the profile supports)', []),
  args_on_stack: bool('key (and value) pointer arguments must point to the stack at a constant, 4-byte-aligned offset', false),
  flags: { enum: ['any', 'current_cpu'], description: 'perf_event_output: which flags argument values are accepted', default: 'any' },
  max_grow: intOrNull('xdp_adjust_head/xdp_adjust_tail: largest growth in bytes that succeeds; larger fails at run time with -EINVAL (null: kernel limits)', null, 0),
  nic_instructions: int('NIC instructions one call translates to (overrides translation.call_helper)', undefined, 0),
  note: { type: 'string', description: 'free text: where the restriction comes from' },
});

export const profileSchema: Schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://nicsim.invalid/profile.schema.json',
  title: 'nicsim hardware profile',
  $defs: {
    helperName: { enum: [...HELPER_NAMES] },
    kfuncName: { enum: allKfuncs().filter((k) => k.xdp).map((k) => k.name) },
    mapType: { enum: [...MAP_TYPE_NAMES] },
    mapFlag: { enum: [...MAP_FLAG_NAMES] },
    xdpAction: { enum: [...XDP_ACTIONS] },
    ctxField: { enum: [...XDP_MD_FIELDS] },
    region: { enum: ['stack', 'map_value'] },
    accessBytes: { enum: [1, 2, 4, 8] },
    kind: { enum: [...PROFILE_KINDS] },
  },
  ...obj(
    {
      name: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]*$', description: 'identifier shown in reports' },
      description: { type: 'string', minLength: 1, description: 'one paragraph: what hardware this is' },
      extends: { type: 'string', minLength: 1, description: 'path of the base profile, relative to this file' },
      kind: enumOf('kind', 'where the XDP program runs: offload (translated for NIC cores), native (NIC SoC runs eBPF), driver (host CPU)'),
      executes: bool('the real device runs programs (false: it only checks and stores them, like netdevsim)', true),
      cores: section(
        {
          count: int('cores that run the program (the same program is copied to each)', undefined, 1),
          threads_per_core: int('hardware threads (contexts) per core that process packets', 1, 1),
          clock_mhz: num('core clock in MHz'),
          word_bits: { enum: [32, 64], description: 'native register width', default: 64 },
          issue_width: int('instructions issued per cycle (VLIW lanes)', 1, 1),
        },
        ['count', 'clock_mhz'],
      ),
      rx: section({
        queues: int('RX queues: RSS spreads received packets over them; queue q is served by core q mod cores', 1, 1),
        ring_depth: int('descriptors per RX ring: packets waiting for their core; a packet arriving at a full ring is dropped by the NIC', 1024, 1),
        rss_key: { type: ['string', 'null'], pattern: '^([0-9a-fA-F]{2}){40}$', description: 'Toeplitz key, 40 bytes as hex (null: the Microsoft verification key most NICs ship)', default: null },
        indirection: { type: ['array', 'null'], items: { type: 'integer', minimum: 0 }, minItems: 1, description: 'RSS indirection table: hash bucket -> queue (null: 128 entries, entry i = i mod queues)', default: null },
        xdp_metadata: {
          type: 'array',
          items: { enum: [...XDP_METADATA_OPS] },
          uniqueItems: true,
          description: "the driver's xdp_metadata_ops (bpf_xdp_metadata_rx_timestamp / _rx_hash / _rx_vlan_tag); a metadata kfunc whose op is missing returns -EOPNOTSUPP; [] = none (a device-bound load of a program calling them fails with EOPNOTSUPP)",
          default: [],
        },
        vlan_strip: bool('the NIC strips the outer 802.1Q tag into the descriptor (ethtool rx-vlan-offload): programs see the frame without it, bpf_xdp_metadata_rx_vlan_tag reports it', false),
      }),
      offload: section({
        instruction_memory: int('NIC instructions one program may occupy (after translation)', 1_000_000, 1),
        loader: {
          enum: ['kernel', 'device'],
          description:
            "how programs reach the device (kind: offload): kernel = the kernel's device-bound offload path (prog_ifindex; kernel/bpf/offload.c refuses every map type but ARRAY and HASH with EINVAL, and the program is verified as loaded for a device); device = the device's own toolchain/loader (hXDP, DPUs): the profile's own lists decide",
          default: 'kernel',
        },
        stack: section({
          bytes: int('stack bytes available to the program, all frames together', 512),
          frame_align: int('each frame is rounded up to a multiple of this many bytes', 32, 1),
          call_frame_overhead: int('bytes a bpf-to-bpf callee frame adds (return address)', 0),
          callee_saved_bytes: int('bytes a callee frame adds when the callee writes r6-r9', 0),
        }),
        packet_bytes: intOrNull('largest packet offset + 1 the program may touch (null: no device limit)', null),
        driver_messages: {
          enum: ['none', 'nfp'],
          description: 'whose verifier/kernel-log messages capability findings reproduce: none (nicsim wording) or nfp (the Linux nfp driver)',
          default: 'none',
        },
        partial: section({
          allowed: bool('unsupported instructions may stay on some paths; packets reaching them are punted to the host program', false),
        }),
        translation: section({
          // imm_wide and zext are extras on top of an instruction's class: none unless the profile says so.
          ...Object.fromEntries(INSN_CLASSES.map((c) => [c, c === 'imm_wide' || c === 'zext' ? int(`extra NIC instructions per ${c === 'imm_wide' ? 'wide 32-bit immediate half' : 'zero-extended 32-bit result'}`, 0) : int(`NIC instructions per ${c} instruction`, 1)])),
          ldx: widthsCounts('NIC instructions per load (LDX) by size'),
          stx: widthsCounts('NIC instructions per register store (STX) by size'),
          st: widthsCounts('NIC instructions per immediate store (ST) by size'),
          intro: int('NIC instructions of the program prologue', 0),
          outro: int('NIC instructions of the program epilogue (return-code dispatch)', 0),
          padding: int('NIC instructions of padding after the program (prefetch window)', 0),
          subprog_support: int('NIC instructions added once when a subprogram saves r6-r9 (push/pop routines)', 0),
          packing_ratio: num('translated instructions per instruction-memory word (VLIW bundling); 1 = one per word', 1),
        }),
        isa: section({
          alu32: bool('BPF_ALU class (32-bit arithmetic)', true),
          alu64: bool('BPF_ALU64 class (64-bit arithmetic)', true),
          jmp32: bool('BPF_JMP32 class conditional jumps', true),
          mul: section({
            supported: bool('BPF_MUL', true),
            max_operand: intOrNull('largest proven unsigned value of either operand (null: any)', null),
            negative_imm64: bool('ALU64 MUL by a negative (sign-extended) immediate', true),
          }),
          div: section({
            supported: bool('BPF_DIV (unsigned)', true),
            divisor: { enum: ['any', 'constant'], description: 'register divisors: any value, or only ones the verifier proves constant', default: 'any' },
            max_operand: intOrNull('largest proven unsigned value of dividend and divisor (null: any)', null),
            negative_imm: bool('DIV by a negative immediate', true),
          }),
          mod: bool('BPF_MOD (unsigned modulo)', true),
          sdiv: bool('signed divide (BPF_DIV with off=1, cpu v4)', true),
          smod: bool('signed modulo (BPF_MOD with off=1, cpu v4)', true),
          movsx: bool('sign-extending MOV (BPF_MOV with off=8/16/32, cpu v4)', true),
          ldsx: bool('sign-extending loads (BPF_MEMSX, cpu v4)', true),
          end: section({
            to_be: bool('BPF_ALU | BPF_END | BPF_TO_BE (htobe/be*toh)', true),
            to_le: bool('BPF_ALU | BPF_END | BPF_TO_LE (htole/le*toh)', true),
          }),
          bswap: bool('BPF_ALU64 | BPF_END unconditional byte swap (cpu v4)', true),
          gotol: bool('BPF_JMP32 | BPF_JA long jump (cpu v4)', true),
          atomics: section({
            ...Object.fromEntries(ATOMIC_OPS.map((op) => [op, widths(true)])),
            targets: listOf('region', 'memory an atomic may operate on', ['stack', 'map_value']),
          }),
          load_acquire: bool('load-acquire (BPF_ATOMIC with imm BPF_LOAD_ACQ, Linux 6.15)', true),
          store_release: bool('store-release (BPF_ATOMIC with imm BPF_STORE_REL, Linux 6.15)', true),
          may_goto: bool('may_goto (BPF_JMP | BPF_JCOND, the can_loop loop budget, Linux 6.9)', true),
          kfuncs: {
            anyOf: [{ type: 'boolean' }, { type: 'array', items: { $ref: '#/$defs/kfuncName' }, uniqueItems: true }],
            description: 'calls of kernel functions (BPF_CALL with src_reg=2): true every kfunc the kernel lets XDP call, false none, or the list of kfuncs the device implements',
            default: true,
          },
          bpf_calls: bool('bpf-to-bpf calls (BPF_CALL with src_reg=1)', true),
          tail_calls: bool('tail_call helper / PROG_ARRAY maps', true),
          legacy_packet_loads: bool('LD_ABS / LD_IND (the kernel refuses them in XDP programs anyway)', false),
        }),
        memory: section({
          store: section(Object.fromEntries(['stack', 'packet', 'map_value'].map((r) => [r, bool(`STX into ${r}`, true)]))),
          store_imm: section(Object.fromEntries(['stack', 'packet', 'map_value'].map((r) => [r, bool(`ST (immediate) into ${r}`, true)]))),
          stack_variable_offset: bool('stack accesses through a pointer whose offset is not a known constant', true),
          map_value_variable_offset: bool('map value accesses at an offset that is not a known constant', true),
          mixed_pointer_types: bool('one load/store instruction may access different pointer types on different paths', true),
          atomic_counters_exclusive: bool('a 4-byte map-value word used by an atomic add must not be read plainly, and map_update_elem must write 0 there', false),
        }),
        helpers: section({
          default: { enum: ['allow', 'deny'], description: 'allow: every helper the kernel lets XDP call; deny: only helpers in `supported`', default: 'allow' },
          supported: {
            type: 'object',
            propertyNames: { $ref: '#/$defs/helperName' },
            additionalProperties: helperRestrictions,
            description: 'helper name (without bpf_) -> restrictions',
            default: {},
          },
          unsupported: listOf('helperName', 'helpers the hardware lacks (wins over `supported` and `default`)', []),
        }),
        maps: section({
          types: listOf('mapType', 'map types the device can hold', MAP_TYPE_NAMES.filter((t) => t !== 'unspec')),
          neutral_types: listOf('mapType', 'map types a program may use without placing them on the device (kernel: offload-neutral)', []),
          max_maps: intOrNull('maps per device (null: no limit)'),
          max_entries: intOrNull('max_entries of one map (null: no limit)', null, 0, U32_MAX),
          max_entries_by_type: {
            type: 'object',
            propertyNames: { $ref: '#/$defs/mapType' },
            additionalProperties: { type: 'integer', minimum: 0, maximum: U32_MAX },
            description: 'per-type override of max_entries',
            default: {},
          },
          total_elements: intOrNull('max_entries summed over all maps on the device (null: no budget)'),
          max_key_size: intOrNull('key bytes (null: kernel limit)'),
          max_value_size: intOrNull('value bytes (null: kernel limit)'),
          max_element_size: intOrNull('key + value bytes, measured per `element_size` (null: no limit)'),
          element_size: { enum: ['exact', 'round8'], description: 'exact: key+value; round8: round_up(key,8)+round_up(value,8)', default: 'exact' },
          memory_bytes: intOrNull('bytes of map memory on the device (null: unknown/unlimited)'),
          allowed_flags: listOf('mapFlag', 'map_flags bits a device map may set (empty: flags must be 0)', MAP_FLAG_NAMES),
        }),
        actions: section({
          ...Object.fromEntries(XDP_ACTIONS.map((a) => [a, enumOf('xdpAction', `what the hardware does for XDP_${a.toUpperCase()}`, a)])),
          other: enumOf('xdpAction', 'what the hardware does for return codes above XDP_REDIRECT', 'aborted'),
        }),
        ctx: section({
          read: listOf('ctxField', 'xdp_md fields the program may read', XDP_MD_FIELDS),
          write: listOf('ctxField', 'xdp_md fields the program may write', []),
          access_sizes: listOf('accessBytes', 'access widths (bytes) allowed on ctx fields', [4]),
        }),
      }),
      cost: section({
        cpi: num('cycles per NIC instruction for classes without an entry in `cycles`', 1),
        cycles: {
          type: 'object',
          additionalProperties: false,
          properties: Object.fromEntries([...INSN_CLASSES, 'ldx', 'stx', 'st'].map((c) => [c, num(`cycles per ${c} instruction, memory latency excluded`, undefined, false)])),
          description: 'per-class cycle overrides',
          default: {},
        },
        memory_latency: section({
          stack: num('cycles per stack access', 1, false),
          ctx: num('cycles per ctx field access', 1, false),
          packet: num('cycles per packet access', 1, false),
          map_value: num('cycles per map value access', 1, false),
        }),
        helper_cycles: {
          type: 'object',
          propertyNames: { anyOf: [{ $ref: '#/$defs/helperName' }, { const: 'default' }] },
          additionalProperties: { type: 'number', minimum: 0 },
          description: 'cycles per helper call by name; `default` for the others',
          default: { default: 50 },
        },
        per_packet_cycles: num('fixed cycles per packet outside the program (receive, dispatch, transmit)', 0, false),
        action_cycles: section({
          drop: num('extra cycles per dropped packet (buffer recycling)', 0, false),
          pass: num('extra cycles per packet handed to the host (descriptor, DMA to host memory)', 0, false),
          tx: num('extra cycles per packet sent back out of the port (TX descriptor, DMA out)', 0, false),
          redirect: num('extra cycles per redirected packet (target lookup, TX on another port)', 0, false),
          aborted: num('extra cycles per aborted packet', 0, false),
        }),
        calibration: {
          type: 'array',
          description: 'published measurements to calibrate the cost model against',
          default: [],
          items: obj(
            {
              workload: { type: 'string', description: 'program or benchmark name' },
              mpps: num('measured million packets per second'),
              packet_bytes: int('packet size of the measurement', 64, 1),
              cores: int('cores used', 1, 1),
              source: { type: 'string', description: 'where the number is published' },
            },
            ['workload', 'mpps', 'source'],
          ),
        },
      }),
      host: section({
        cores: int('host cores running the XDP/stack path', 1, 1),
        clock_mhz: num('host core clock in MHz', 3600),
        cpi: num('host cycles per BPF instruction (JITed)', 1),
        per_packet_cycles: num('host driver cycles per packet around the XDP program', 150, false),
        pass_overhead_ns: num('extra nanoseconds per packet handed to the network stack (XDP_PASS)', 13.3, false),
        call_ns: num('nanoseconds per helper/function call', 1.3, false),
        pcie: section({
          latency_ns: num('one-way PCIe latency NIC<->host in ns', 900, false),
          bandwidth_gbps: num('usable PCIe bandwidth in Gbit/s', 63),
        }),
        line_rate_gbps: num('port line rate in Gbit/s', 10),
      }),
    },
    ['name', 'description', 'kind', 'cores'],
  ),
};

function widthsCounts(description: string): Schema {
  return section(Object.fromEntries(ACCESS_SIZES.map((s) => [s, int(`${description}: ${s}`, 1)])), [], { description });
}
