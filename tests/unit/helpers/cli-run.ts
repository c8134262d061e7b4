/** Runs the `nca-lab` CLI in this process and collects what it printed, line by line. */
import type { CommandIo } from '../../../src/cli/command';
import { main } from '../../../src/cli/index';

export async function runCli(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIo = { out: (l) => void out.push(l), err: (l) => void err.push(l) };
  const code = await main(argv, io);
  return { code, out, err };
}
