// Runs the nicsim CLI in-process with captured streams.
import { main } from '../../nic/cli/main.ts';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

export async function cli(argv: string[], stdin = ''): Promise<CliResult> {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), stdin: async () => stdin });
  return { code, out, err };
}

export const root = new URL('../../', import.meta.url).pathname;
