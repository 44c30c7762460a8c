// `nicsim conformance-plugin --serve PORT`: the conformance plugin as a long-running process, so that
// the bpf_conformance runner, which starts its plugin once per test, pays for a small client
// (test/kernel/conformance-plugin-client.sh, bash's /dev/tcp) instead of a Node start per test.
// Every request is answered exactly as a plugin process would answer it (the same dispatcher and
// command, fresh state per request): its exit code, its stdout and its stderr.
// Protocol, one request per connection on 127.0.0.1:
//   request:  "N\n", then N argument lines (the plugin's arguments), then "L\n" and L bytes of stdin
//   reply:    "CODE\n", then stdout and stderr, each flattened to one line, "\n"-terminated
import { createServer, type Socket } from 'node:net';
import { Exit, InputError } from '../../offload/errors.ts';
import type { CommandContext, Io } from './command.ts';

/** At most this much of a request (the largest ELF object the runner writes is a few KB). */
const MAX_REQUEST = 16 << 20;

interface Request {
  args: string[];
  stdin: string;
}

/** A whole request from what arrived so far, or undefined while it is incomplete. */
function parseRequest(buf: Buffer): Request | undefined {
  let at = 0;
  const line = (): string | undefined => {
    const nl = buf.indexOf(10, at);
    if (nl < 0) return undefined;
    const s = buf.toString('utf8', at, nl);
    at = nl + 1;
    return s;
  };
  const n = line();
  if (n === undefined) return undefined;
  if (!/^\d+$/.test(n) || Number(n) > 64) throw new InputError('plugin.request', `bad request: argument count '${n}'`);
  const args: string[] = [];
  for (let i = 0; i < Number(n); i++) {
    const a = line();
    if (a === undefined) return undefined;
    args.push(a);
  }
  const len = line();
  if (len === undefined) return undefined;
  if (!/^\d+$/.test(len)) throw new InputError('plugin.request', `bad request: stdin length '${len}'`);
  if (buf.length < at + Number(len)) return undefined;
  return { args, stdin: buf.toString('utf8', at, at + Number(len)) };
}

const oneLine = (s: string) => s.replace(/\r?\n$/, '').replace(/\r?\n/g, ' ');

/** Answers one request through the dispatcher, as `nicsim conformance-plugin ARGS < STDIN` would. */
async function answer(req: Request): Promise<string> {
  const { main } = await import('./main.ts');
  let out = '';
  let err = '';
  const io: Io = { stdout: (t) => void (out += t), stderr: (t) => void (err += t), stdin: async () => req.stdin };
  const code = await main(['conformance-plugin', ...req.args], io);
  return `${code}\n${oneLine(out)}\n${oneLine(err)}\n`;
}

function onConnection(sock: Socket): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  sock.on('error', () => sock.destroy());
  sock.on('data', (d: Buffer) => {
    if (done) return;
    chunks.push(d);
    size += d.length;
    let req: Request | undefined;
    try {
      if (size > MAX_REQUEST) throw new InputError('plugin.request', `request larger than ${MAX_REQUEST} bytes`);
      req = parseRequest(Buffer.concat(chunks, size));
    } catch (e) {
      done = true;
      sock.end(`${Exit.badInput}\n\n${(e as Error).message}\n`);
      return;
    }
    if (!req) return;
    done = true;
    void answer(req).then(
      (reply) => sock.end(reply),
      (e: unknown) => sock.end(`${Exit.internal}\n\ninternal error: ${(e as Error)?.message ?? String(e)}\n`),
    );
  });
}

/** Listens on 127.0.0.1:port (0: any free port), prints the port on stdout, runs until killed. */
export async function servePlugin(ctx: CommandContext, port: number): Promise<never> {
  const server = createServer(onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  ctx.out(`${typeof addr === 'object' && addr ? addr.port : port}`);
  return new Promise<never>(() => {});
}
