import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { processStartToken, processState, thisProcess } from '../../../../src/services/resources/process-identity';

describe('processState', () => {
  it('this process is alive; a process that has exited but is not yet reaped (a zombie) is gone', async () => {
    expect(processState(thisProcess())).toBe('alive');
    // the shell becomes `sleep 30`, which never reaps its own child: `sleep 0.3` exits and stays a zombie meanwhile
    const sh = spawn('sh', ['-c', 'sleep 0.3 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = Number(await new Promise<string>((resolve) => sh.stdout.once('data', (d) => resolve(String(d).trim()))));
      // wait for the state the test is about (the child has exited), not for an amount of time
      for (;;) {
        const state = await import('node:fs').then((fs) => fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
        if (state.slice(state.lastIndexOf(')') + 2).startsWith('Z')) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(processState({ pid, host: hostname(), start: processStartToken(pid) })).toBe('gone');
      expect(processState({ pid: sh.pid!, host: hostname(), start: processStartToken(sh.pid!) })).toBe('alive');
    } finally {
      sh.kill('SIGKILL');
    }
  });
});
