// The files nicsim's writers produce for the committed tshark check (record-fixtures.py runs this
// file, then asks tshark about the result): generated traffic of SAMPLE_SPEC under SAMPLE_SEED as
// nanosecond pcap and as pcapng, and the frames of sections.pcapng rewritten as a big-endian
// microsecond pcap. They are regression snapshots of nicsim's own output (named *.snapshot.*); the
// truth about them is tshark's recorded reading.
//   npx tsx test/traffic/samples.ts DIR
import * as path from 'node:path';
import { generate, parseTrafficSpec } from '../../nic/traffic/generate.ts';
import { openCapture, PcapngWriter, PcapWriter } from '../../nic/traffic/index.ts';

export const SAMPLE_SPEC =
  'packets=160,flows=40,zipf=1.1,size=imix,ipv6=0.4,l4=tcp:1+udp:1+icmp:1,vlan=0.2,qinq=0.2,ipip=0.15,gre=0.15,vxlan=0.2,malformed=0.1';
export const SAMPLE_SEED = 7;
export const SAMPLES = ['gen.snapshot.pcap', 'gen.snapshot.pcapng', 'rewrite-be-us.snapshot.pcap'] as const;

export function writeSamples(dir: string, fixtures: string): void {
  const spec = parseTrafficSpec(SAMPLE_SPEC);
  const a = new PcapWriter(path.join(dir, SAMPLES[0]));
  const b = new PcapngWriter(path.join(dir, SAMPLES[1]));
  for (const f of generate(spec, SAMPLE_SEED)) {
    a.write(f);
    b.write(f);
  }
  a.close();
  b.close();
  const c = new PcapWriter(path.join(dir, SAMPLES[2]), { littleEndian: false, nanosecond: false });
  for (const f of openCapture(path.join(fixtures, 'sections.pcapng'))) c.write(f);
  c.close();
}

if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: npx tsx test/traffic/samples.ts DIR');
  writeSamples(dir, new URL('../fixtures/traffic/', import.meta.url).pathname);
}
