// The simulated conntrack table and its seed file: parsing (bad input is an InputError naming the file
// and the entry), lookups from both directions, the kernel's status rules (values hand-derived from
// nf_ct_change_status_common, and the kernel-recorded ct_alloc_flow cases in runs.test.ts), and a table
// that persists across the packets of one run.
import { describe, expect, it } from 'vitest';
import { changeStatus, IPS, parseConntrack } from '../../firmware/kfuncs/conntrack.ts';
import { InputError } from '../../offload/errors.ts';
import { runObject } from './helpers.ts';

const seed = (x: unknown) => parseConntrack(JSON.stringify(x), 'ct.json');

describe('conntrack table', () => {
  it('parses IPv4 and IPv6 entries and finds them from either direction', () => {
    const t = seed([
      { proto: 'tcp', src: '10.0.0.1', dst: '10.0.0.2', sport: 1000, dport: 80 },
      { proto: 'udp', src: '2001:db8::1', dst: '2001:db8::2', sport: 53, dport: 5353, zone: 3, status: IPS.SEEN_REPLY },
    ]);
    const a = (s: string) => Uint8Array.from(s.split('.').map(Number));
    expect(t.find(0, 4, 6, { src: a('10.0.0.1'), dst: a('10.0.0.2'), sport: 1000, dport: 80 })?.dir).toBe(0);
    expect(t.find(0, 4, 6, { src: a('10.0.0.2'), dst: a('10.0.0.1'), sport: 80, dport: 1000 })?.dir).toBe(1);
    expect(t.find(0, 4, 17, { src: a('10.0.0.1'), dst: a('10.0.0.2'), sport: 1000, dport: 80 })).toBeUndefined();
    expect(t.dump()[1]).toMatchObject({ proto: 'udp', src: '2001:db8:0:0:0:0:0:1', zone: 3, status: IPS.SEEN_REPLY | IPS.CONFIRMED });
  });

  it('refuses bad seed files with the file and the entry', () => {
    const bad = (x: string, re: RegExp) => {
      const e = (() => {
        try {
          parseConntrack(x, 'ct.json');
        } catch (err) {
          return err;
        }
        return null;
      })();
      expect(e).toBeInstanceOf(InputError);
      expect((e as InputError).message).toMatch(re);
      expect((e as InputError).message).toMatch(/ct\.json/);
    };
    bad('{', /not JSON/);
    bad('{}', /JSON list/);
    bad('[{"proto":"icmp","src":"1.1.1.1","dst":"1.1.1.2","sport":1,"dport":2}]', /entry 0: proto/);
    bad('[{"proto":"tcp","src":"1.1.1.300","dst":"1.1.1.2","sport":1,"dport":2}]', /bad IPv4/);
    bad('[{"proto":"tcp","src":"1.1.1.1","dst":"::1","sport":1,"dport":2}]', /different families/);
    bad('[{"proto":"tcp","src":"1.1.1.1","dst":"1.1.1.2","sport":70000,"dport":2}]', /port/);
    const dup = '{"proto":"tcp","src":"1.1.1.1","dst":"1.1.1.2","sport":1,"dport":2}';
    bad(`[${dup}, {"proto":"tcp","src":"1.1.1.2","dst":"1.1.1.1","sport":2,"dport":1}]`, /entry 1: the same connection/);
  });

  it('status changes follow nf_ct_change_status_common', () => {
    const e = seed([{ proto: 'tcp', src: '1.1.1.1', dst: '1.1.1.2', sport: 1, dport: 2 }]).entries[0]!;
    expect(e.status).toBe(IPS.CONFIRMED);
    expect(changeStatus(e, 0)).toBe(-16); // CONFIRMED cannot be cleared
    expect(changeStatus(e, IPS.CONFIRMED | IPS.SEEN_REPLY | IPS.SRC_NAT)).toBe(0);
    expect(e.status).toBe(IPS.CONFIRMED | IPS.SEEN_REPLY); // SRC_NAT is unchangeable: ignored
    expect(changeStatus(e, IPS.CONFIRMED)).toBe(-16); // SEEN_REPLY can only be set
  });

  it('entries a program inserts persist across the packets of a run (--repeat)', () => {
    // ct_alloc_flow inserts its tuple, then tries a second insertion of the same tuple (res[16]: 1 = refused)
    const pkt = Buffer.alloc(96);
    pkt.set([6, 0, 0, 0, 0, 8], 14); // TCP, set_status(0), change_status(CONFIRMED)
    pkt.set([198, 18, 9, 1, 198, 18, 9, 2, 0x9c, 0x40, 0, 80], 20);
    const t = seed([]);
    const r = runObject('test/fixtures/kfuncs/progs/ct_alloc_flow.o', { program: 'ct_alloc_flow', dataIn: pkt, repeat: 2, conntrack: t });
    const out = Buffer.from(r.data_out, 'hex');
    expect(out[64]).toBe(1); // the second run's allocation worked ...
    expect(out[65]).toBe(0); // ... but its insertion found the first run's entry (EEXIST)
    expect(t.entries.length).toBe(1);
    expect(r.conntrack).toEqual([{ proto: 'tcp', src: '198.18.9.1', dst: '198.18.9.2', sport: 40000, dport: 80, zone: 0, status: IPS.CONFIRMED, timeout_ms: expect.any(Number), by_program: true }]);
  });
});
