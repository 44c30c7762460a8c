#!/usr/bin/env python3
"""Records the capture-file fixtures of test/fixtures/traffic/ and what tshark reports about them.

Files written by real tools (Wireshark 4.0's text2pcap, editcap, mergecap):
  basic.pcapng        text2pcap, default pcapng (one IDB, if_tsresol = 9)
  le-us.pcap          text2pcap -F pcap (little-endian, microseconds)
  le-ns.pcap          editcap -F nsecpcap basic.pcapng (little-endian, nanoseconds)
  snap64.pcap         editcap -F pcap -s 64 (snaplen 64, cap_len < len)
  rawip.pcap          text2pcap -F pcap -l 101 (LINKTYPE_RAW, IP without Ethernet)
  two-ifaces.pcapng   mergecap -F pcapng le-ns.pcap rawip.pcap (two IDBs of different link types)
  sections.pcapng     cat basic.pcapng crafted.pcapng (several sections, tool-made then crafted)
No tool writes big-endian pcap or pcapng, Simple Packet Blocks, or if_tsresol other than 6/9, so this
script writes those itself (byte-swapped copies and crafted.pcapng); their truth is still tshark's
reading of them:
  be-us.pcap, be-ns.pcap  le-us.pcap / le-ns.pcap with every header field byte-swapped
  crafted.pcapng      section 1 big-endian: IDB 0 (Ethernet, default 10^-6, snaplen 128), IDB 1 (raw IP,
                      if_tsresol 10^-3, if_tsoffset 1000 s), EPBs on both, an ISB, an NRB, a custom block,
                      an unknown block type, SPBs (one cut at IDB 0's snaplen), an obsolete Packet Block;
                      section 2 little-endian: IDBs with if_tsresol 2^-20, 2^-10, 10^-12, 10^-9 with
                      if_tsoffset -5 s, and EPBs on each.
Files written by nicsim itself (test/traffic/samples.ts; regression snapshots, named *.snapshot.*):
  gen.snapshot.pcap, gen.snapshot.pcapng   generated traffic (every protocol, 8% malformed) via both writers
  rewrite-be-us.snapshot.pcap              sections.pcapng's frames through the big-endian microsecond writer
  gen.snapshot.pcap.expert.json            tshark's expert findings per frame, checksums checked
For each fixture F: F.tshark.json = per-frame section, interface id, time_epoch, len, cap_len and the
bytes (tshark -r F -T json -x), plus per-interface encapsulation and ticks per second (capinfos), and
truncation.tshark.json = how many frames tshark reads from prefixes of some fixtures.

Usage: python3 test/traffic/record-fixtures.py   (needs tshark, text2pcap, editcap, mergecap, capinfos;
apt-get install -y tshark). No root needed.
"""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'traffic')


def run(args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def ipv4(proto, payload, src=b'\x0a\x00\x00\x01', dst=b'\x0a\x00\x00\x02', ttl=64, frag=0):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), 0x1234, frag, ttl, proto, 0, src, dst)
    h = h[:10] + struct.pack('!H', csum(h)) + h[12:]
    return h + payload


def udp4(sport, dport, data, src=b'\x0a\x00\x00\x01', dst=b'\x0a\x00\x00\x02'):
    u = struct.pack('!HHHH', sport, dport, 8 + len(data), 0) + data
    ph = src + dst + struct.pack('!BBH', 0, 17, len(u))
    c = csum(ph + u) or 0xffff
    return ipv4(17, u[:6] + struct.pack('!H', c) + u[8:], src, dst)


def eth(ethertype, payload, dst=b'\x02\x00\x00\x00\x00\x02', src=b'\x02\x00\x00\x00\x00\x01'):
    return dst + src + struct.pack('!H', ethertype) + payload


def frames():
    """(seconds, nanoseconds, Ethernet frame) of the tool-made fixtures: a mix of protocols and sizes."""
    out = []
    t = 1700000000
    out.append((t, 123456789, eth(0x0806, bytes.fromhex('0001080006040001020000000001c0a80001000000000000c0a80002'))))
    out.append((t, 500000000, eth(0x0800, udp4(1234, 53, b'hello world'))))
    out.append((t + 1, 1, eth(0x0800, udp4(40000, 4789, bytes(range(256)) * 5))))
    out.append((t + 1, 999999999, eth(0x8100, struct.pack('!HH', 0x0064, 0x0800) + udp4(5, 6, b'vlan'))))
    out.append((t + 2, 250000, eth(0x86dd, bytes.fromhex('6000000000083a40') + bytes(15) + b'\x01' + bytes(15) + b'\x02' + bytes.fromhex('8000f7ff00000000'))))
    out.append((t + 3, 42, eth(0x0800, ipv4(1, bytes.fromhex('0800f7ff00000000') + bytes(1400)))))
    out.append((t + 3, 43, eth(0x88a8, struct.pack('!HH', 0x0010, 0x8100) + struct.pack('!HH', 0x0020, 0x0800) + udp4(7, 8, bytes(18)))))
    out.append((t + 4, 0, eth(0x0800, udp4(9, 10, b'x'))[:60]))
    return out


def hexdump_input(fr, ip_only=False):
    lines = []
    for sec, ns, data in fr:
        if ip_only:
            data = data[14:]
            if data[:1] not in (b'\x45', b'\x60'):
                continue
        lines.append('%d.%09d %s' % (sec, ns, data.hex()))
    return '\n'.join(lines) + '\n'


T2P = ['text2pcap', '-q', '-r', r'^(?<time>[0-9.]+) (?<data>[0-9a-fA-F]+)$', '-t', '%s.%f']


def swap_pcap(src, dst):
    """Byte-swaps a little-endian pcap (file header and record headers) into a big-endian one."""
    b = open(src, 'rb').read()
    magic, vmaj, vmin, zone, sig, snap, net = struct.unpack('<IHHiIII', b[:24])
    out = bytearray(struct.pack('>IHHiIII', magic, vmaj, vmin, zone, sig, snap, net))
    p = 24
    while p < len(b):
        s, f, cap, orig = struct.unpack('<IIII', b[p:p + 16])
        out += struct.pack('>IIII', s, f, cap, orig) + b[p + 16:p + 16 + cap]
        p += 16 + cap
    open(dst, 'wb').write(out)


class Ng:
    """A minimal pcapng block writer in either byte order, for what no tool writes."""

    def __init__(self, le):
        self.e = '<' if le else '>'
        self.b = bytearray()

    def opt(self, code, val):
        return struct.pack(self.e + 'HH', code, len(val)) + val + b'\0' * (-len(val) % 4)

    def block(self, btype, body):
        body = body + b'\0' * (-len(body) % 4)
        n = 12 + len(body)
        self.b += struct.pack(self.e + 'II', btype, n) + body + struct.pack(self.e + 'I', n)

    def shb(self):
        self.block(0x0A0D0D0A, struct.pack(self.e + 'IHHq', 0x1A2B3C4D, 1, 0, -1) + self.opt(4, b'record-fixtures.py') + self.opt(0, b''))

    def idb(self, linktype, snaplen, opts=b''):
        self.block(1, struct.pack(self.e + 'HHI', linktype, 0, snaplen) + opts + (self.opt(0, b'') if opts else b''))

    def epb(self, iface, ts, data, orig=None):
        self.block(6, struct.pack(self.e + 'IIIII', iface, ts >> 32, ts & 0xffffffff, len(data), orig or len(data)) + data)

    def spb(self, orig, data):
        self.block(3, struct.pack(self.e + 'I', orig) + data)

    def pb(self, iface, ts, data):
        self.block(2, struct.pack(self.e + 'HHIIII', iface, 0, ts >> 32, ts & 0xffffffff, len(data), len(data)) + data)


def crafted(path):
    fr = [f[2] for f in frames()]
    big = Ng(False)
    big.shb()
    big.idb(1, 128, big.opt(2, b'eth-be'))
    big.idb(101, 0, big.opt(9, b'\x03') + big.opt(14, struct.pack('>q', 1000)))
    big.epb(0, 1700000000_000001, fr[1])
    big.epb(1, 1700000000_123, fr[1][14:])
    big.block(5, struct.pack('>III', 0, 0, 0) + big.opt(0, b''))                       # ISB
    big.block(4, struct.pack('>HH', 1, 9) + b'\x0a\x00\x00\x01name\0' + b'\0' * 3 + struct.pack('>HH', 0, 0))  # NRB
    big.block(0x00000BAD, struct.pack('>I', 32473) + b'custom block data')          # custom block
    big.block(0x12345678, b'an unknown block type')
    big.spb(len(fr[1]), fr[1])
    big.spb(len(fr[2]), fr[2][:128])                                                # cut at snaplen 128
    big.pb(0, 1700000005_000000, fr[0])
    big.epb(0, 1700000006_000000, fr[7], orig=100)
    little = Ng(True)
    little.shb()
    little.idb(1, 0, little.opt(9, b'\x94'))                                         # 2^-20 s
    little.idb(1, 0, little.opt(9, b'\x8a'))                                         # 2^-10 s
    little.idb(1, 0, little.opt(9, b'\x0c'))                                         # 10^-12 s
    little.idb(1, 65535, little.opt(9, b'\x09') + little.opt(14, struct.pack('<q', -5)))
    little.epb(0, 1700000000 * (1 << 20) + 123457, fr[3])
    little.epb(1, 1700000000 * (1 << 10) + 1023, fr[4])
    little.epb(2, 10000000_123456789_012, fr[5])                                 # 10^7 s in ps fits 64 bits
    little.epb(3, 1700000000_999999999, fr[6])
    little.epb(0, 1700000001 * (1 << 20) + 1, fr[7])
    open(path, 'wb').write(bytes(big.b) + bytes(little.b))


def tshark_view(path):
    js = json.loads(run(['tshark', '-r', path, '-T', 'json', '-x']).stdout or '[]')
    out = []
    for pkt in js:
        lay = pkt['_source']['layers']
        fr = lay['frame']
        raw = lay.get('frame_raw', [''])[0]
        out.append({
            'number': int(fr['frame.number']),
            'section': int(fr.get('frame.section_number', '1')),
            'interface_id': int(fr.get('frame.interface_id', '0')),
            'time_epoch': fr.get('frame.time_epoch'),  # absent for Simple Packet Blocks (no timestamp)
            'len': int(fr['frame.len']),
            'cap_len': int(fr['frame.cap_len']),
            'hex': raw,
            # absent for records that are not packets (a pcapng custom block is shown as a record)
            'encap_type': int(fr['frame.encap_type']) if 'frame.encap_type' in fr else None,
        })
    ifaces = []
    cur = None
    count = None
    for line in run(['capinfos', path]).stdout.splitlines():
        m = re.match(r'^Number of interfaces in file: (\d+)', line)
        if m:
            count = int(m.group(1))
        if re.match(r'^Interface #\d+ info:', line):
            cur = {}
            ifaces.append(cur)
        elif cur is not None:
            m = re.match(r'^\s+(Encapsulation|Capture length|Time ticks per second) = (.*)$', line)
            if m:
                cur[m.group(1)] = m.group(2)
    # capinfos 4.0 repeats the interface list once per section; the first `count` entries are the file's.
    return {'frames': out, 'interfaces': ifaces[:count]}


def truncation_view(name, path, cuts):
    data = open(path, 'rb').read()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for cut in cuts:
            p = os.path.join(tmp, 'cut')
            open(p, 'wb').write(data[:cut])
            r = subprocess.run(['tshark', '-r', p, '-T', 'fields', '-e', 'frame.number'], capture_output=True, text=True)
            n = len([l for l in r.stdout.splitlines() if l.strip()])
            err = ' '.join(l for l in r.stderr.splitlines() if 'Running as user' not in l).strip().replace(p, 'PREFIX')
            rows.append({'file': name, 'cut': cut, 'frames': n, 'exit': r.returncode, 'stderr': err})
    return rows


def main():
    for tool in ('tshark', 'text2pcap', 'editcap', 'mergecap', 'capinfos'):
        if not shutil.which(tool):
            sys.exit(f'{tool} not found: apt-get install -y tshark')
    version = run(['tshark', '--version']).stdout.splitlines()[0]
    os.makedirs(OUT, exist_ok=True)
    os.environ['TZ'] = 'UTC'
    with tempfile.TemporaryDirectory() as tmp:
        eth_in = os.path.join(tmp, 'eth.txt')
        ip_in = os.path.join(tmp, 'ip.txt')
        open(eth_in, 'w').write(hexdump_input(frames()))
        open(ip_in, 'w').write(hexdump_input(frames(), ip_only=True))
        o = lambda n: os.path.join(OUT, n)
        # Relative input names (cwd = tmp): text2pcap writes the input's name into the SHB comment.
        run(T2P + ['-N', 'text2pcap-eth', 'eth.txt', o('basic.pcapng')], cwd=tmp)
        run(T2P + ['-F', 'pcap', 'eth.txt', o('le-us.pcap')], cwd=tmp)
        run(['editcap', '-F', 'nsecpcap', o('basic.pcapng'), o('le-ns.pcap')])
        run(['editcap', '-F', 'pcap', '-s', '64', o('basic.pcapng'), o('snap64.pcap')])
        run(T2P + ['-F', 'pcap', '-l', '101', 'ip.txt', o('rawip.pcap')], cwd=tmp)
        run(['mergecap', '-F', 'pcapng', '-w', o('two-ifaces.pcapng'), o('le-ns.pcap'), o('rawip.pcap')])
        swap_pcap(o('le-us.pcap'), o('be-us.pcap'))
        swap_pcap(o('le-ns.pcap'), o('be-ns.pcap'))
        crafted(o('crafted.pcapng'))
        open(o('sections.pcapng'), 'wb').write(open(o('basic.pcapng'), 'rb').read() + open(o('crafted.pcapng'), 'rb').read())
    subprocess.run(['npx', 'tsx', os.path.join(ROOT, 'test', 'traffic', 'samples.ts'), OUT], check=True, cwd=ROOT)
    expert = run(['tshark', '-r', os.path.join(OUT, 'gen.snapshot.pcap'), '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE',
                  '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.analyze_sequence_numbers:FALSE', '-T', 'fields', '-E', 'separator=|',
                  '-e', 'frame.number', '-e', 'frame.protocols', '-e', '_ws.expert.severity', '-e', '_ws.malformed', '-e', '_ws.expert.message']).stdout
    rows = []
    for line in expert.splitlines():
        n, protos, sev, mal, msg = (line.split('|') + [''] * 5)[:5]
        rows.append({'number': int(n), 'protocols': protos, 'severity': [int(x) for x in sev.split(',') if x],
                     'malformed': mal != '', 'messages': [m for m in msg.split(',') if m]})
    with open(os.path.join(OUT, 'gen.snapshot.pcap.expert.json'), 'w') as f:
        json.dump({'tool': version, 'command': 'tshark -r gen.snapshot.pcap -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE '
                   '-o udp.check_checksum:TRUE -o tcp.analyze_sequence_numbers:FALSE -T fields -e frame.number -e frame.protocols '
                   '-e _ws.expert.severity -e _ws.malformed -e _ws.expert.message', 'frames': rows}, f, indent=1)
        f.write('\n')
    names = ['gen.snapshot.pcap', 'gen.snapshot.pcapng', 'rewrite-be-us.snapshot.pcap', 'basic.pcapng', 'le-us.pcap', 'le-ns.pcap', 'snap64.pcap', 'rawip.pcap', 'two-ifaces.pcapng',
             'be-us.pcap', 'be-ns.pcap', 'crafted.pcapng', 'sections.pcapng']
    for n in names:
        view = tshark_view(os.path.join(OUT, n))
        view = {'file': n, 'tool': version, 'command': f'tshark -r {n} -T json -x; capinfos {n}', **view}
        with open(os.path.join(OUT, n + '.tshark.json'), 'w') as f:
            json.dump(view, f, indent=1)
            f.write('\n')
    rows = []
    for n in ('le-us.pcap', 'crafted.pcapng'):
        size = os.path.getsize(os.path.join(OUT, n))
        cuts = sorted(set([0, 3, 23, 24, 30, 39, 40, 100, 200, size // 2, size - 70, size - 5, size - 1] + list(range(size - 300, size, 37))))
        rows += truncation_view(n, os.path.join(OUT, n), [c for c in cuts if 0 <= c < size])
    with open(os.path.join(OUT, 'truncation.tshark.json'), 'w') as f:
        json.dump({'tool': version, 'command': 'tshark -r PREFIX -T fields -e frame.number', 'cuts': rows}, f, indent=1)
        f.write('\n')
    print(f'{len(names)} fixtures and their tshark views in {OUT}')


if __name__ == '__main__':
    main()
