/** Runs `nca-lab train|resume … --json` in a child process and SIGKILLs it once a progress event reaches a generation. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export interface KillResult {
  runId: string;
  /** the generation of the progress event that triggered the kill; 0 when the process ended first */
  killedAt: number;
  /** how the process ended: 'SIGKILL' when killed */
  signal: NodeJS.Signals | null;
}

/**
 * Spawns `nca-lab <argv> --json` and, once a progress event reaches `atGeneration`, waits `delayMs` more (so the
 * kill lands at an arbitrary point of the trainer's cycle: mid-generation, mid-append, mid-checkpoint) and sends
 * SIGKILL.
 */
export async function cliThenKill(argv: string[], atGeneration: number, delayMs = 0): Promise<KillResult> {
  const bin = join(__dirname, '../../../bin/nca-lab.js');
  const child = spawn(process.execPath, [bin, ...argv, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let runId = '';
  let killedAt = 0;
  const signal = await new Promise<NodeJS.Signals | null>((resolve) => {
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
          setTimeout(() => child.kill('SIGKILL'), delayMs);
        }
      }
    });
    child.on('exit', (_code, sig) => resolve(sig));
  });
  return { runId, killedAt: signal === 'SIGKILL' ? killedAt : 0, signal };
}

export async function trainThenKill(args: string[], atGeneration: number): Promise<{ runId: string; killedAt: number }> {
  return cliThenKill(['train', ...args], atGeneration);
}
