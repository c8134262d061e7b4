/**
 * Training workers run at below-normal OS priority, so that on a machine whose every core trains (the lab's
 * normal state), the window (Electron's renderer, or the browser on `nca-lab serve`) and the lab's own process
 * still get the CPU the moment they need it: the UI stays responsive and training loses next to nothing (it
 * takes every cycle nobody else wants). Wraps any WorkerSpawner (fork or Electron's utilityProcess).
 */
import { constants, setPriority } from 'node:os';
import type { WorkerSpawner } from './spawners';

export const TRAINING_WORKER_PRIORITY = constants.priority.PRIORITY_BELOW_NORMAL;

export function lowPrioritySpawner(inner: WorkerSpawner, priority = TRAINING_WORKER_PRIORITY): WorkerSpawner {
  return (info) => {
    const handle = inner(info);
    let done = false;
    const lower = () => {
      const pid = handle.pid;
      if (done || pid === undefined) return;
      done = true;
      try {
        setPriority(pid, priority);
      } catch {
        // the process is gone already, or the platform refuses: it just keeps its priority
      }
    };
    lower();
    // utility processes get their pid once started: try again on the first message (their 'ready')
    if (!done) handle.onMessage(lower);
    return handle;
  };
}
