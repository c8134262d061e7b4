/** Runs `nca-lab train … --json` in a child process and SIGKILLs it once a progress event reaches `atGeneration`. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export async function trainThenKill(args: string[], atGeneration: number): Promise<{ runId: string; killedAt: number }> {
  const bin = join(__dirname, '../../bin/nca-lab.js');
  const child = spawn(process.execPath, [bin, 'train', ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let runId = '';
  let killedAt = 0;
  await new Promise<void>((resolve) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const line of lines) {
        const ev = JSON.parse(line);
        if (ev.event === 'run') runId = ev.runId;
        if (ev.event === 'progress' && ev.generation >= atGeneration && !killedAt) {
          killedAt = ev.generation;
          child.kill('SIGKILL');
        }
      }
    });
    child.on('exit', () => resolve());
  });
  return { runId, killedAt };
}
