/** Training workers start at below-normal priority (the window keeps the CPU it needs while every core trains). */
import { spawn } from 'node:child_process';
import { constants, getPriority } from 'node:os';
import { describe, expect, it } from 'vitest';
import { lowPrioritySpawner } from '../../../../src/services/workers/worker-priority';
import type { WorkerHandle, WorkerSpawner } from '../../../../src/services/workers/spawners';

/** A stand-in worker: a sleeping child process, or one whose pid appears only with its first message. */
function sleeper(pidLater = false): { spawner: WorkerSpawner; kill(): void; emit(): void } {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)'], { stdio: 'ignore' });
  let listener: (() => void) | null = null;
  let started = !pidLater;
  const handle = {
    get pid() {
      return started ? child.pid : undefined;
    },
    send() {},
    onMessage(l: () => void) {
      listener = l;
    },
    onExit() {},
    kill() {
      child.kill();
    },
    outputTail: () => '',
  } as unknown as WorkerHandle;
  return {
    spawner: () => handle,
    kill: () => child.kill(),
    emit: () => {
      started = true;
      listener?.();
    },
  };
}

describe('lowPrioritySpawner', () => {
  it('lowers a forked worker at once', () => {
    const s = sleeper();
    try {
      const h = lowPrioritySpawner(s.spawner)({ slot: 0 });
      expect(getPriority(h.pid!)).toBe(constants.priority.PRIORITY_BELOW_NORMAL);
    } finally {
      s.kill();
    }
  });

  it('lowers a utility process once it has a pid (at its first message)', () => {
    const s = sleeper(true);
    try {
      const h = lowPrioritySpawner(s.spawner)({ slot: 0 });
      expect(h.pid).toBeUndefined();
      s.emit();
      expect(getPriority(h.pid!)).toBe(constants.priority.PRIORITY_BELOW_NORMAL);
    } finally {
      s.kill();
    }
  });
});
