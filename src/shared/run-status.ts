/**
 * The run status machine: which statuses a run may move between, and which user actions each status allows.
 * RunManager enforces it (an illegal request is an Error that says why and what is possible instead); the
 * renderer uses the same table to enable its buttons, so a button is never offered for a refused action.
 *
 *   queued ──▶ running ──▶ finished | failed | stopped | paused        (the trainer ends a session)
 *     │  ▲       │
 *     │  └───────┼── paused, stopped, failed, interrupted  (resume: back into the queue)
 *     ▼          ▼
 *   paused    interrupted  (the lab found it `running` at start-up: crash, kill, power loss)
 */
import type { RunStatus } from './run-record';

export type RunAction = 'resume' | 'pause' | 'stop' | 'delete' | 'fork';

/** Every status a run may move to from each status. */
export const RUN_TRANSITIONS: Readonly<Record<RunStatus, readonly RunStatus[]>> = {
  queued: ['running', 'paused', 'stopped'],
  running: ['paused', 'stopped', 'finished', 'failed', 'interrupted'],
  paused: ['queued', 'running', 'stopped'],
  stopped: ['queued', 'running'],
  finished: [],
  failed: ['queued', 'running'],
  interrupted: ['queued', 'running', 'stopped'],
};

/** The statuses each user action applies to (fork also needs a checkpoint; delete refuses a running run). */
export const RUN_ACTIONS: Readonly<Record<RunAction, readonly RunStatus[]>> = {
  resume: ['paused', 'stopped', 'failed', 'interrupted'],
  pause: ['queued', 'running'],
  stop: ['queued', 'running', 'paused', 'interrupted'],
  delete: ['queued', 'paused', 'stopped', 'finished', 'failed', 'interrupted'],
  fork: ['queued', 'running', 'paused', 'stopped', 'finished', 'failed', 'interrupted'],
};

/** Statuses in which a run holds (or waits for) a training slot. */
export const ACTIVE_STATUSES: readonly RunStatus[] = ['queued', 'running'];

export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return RUN_TRANSITIONS[from].includes(to);
}

export function actionAllowed(action: RunAction, status: RunStatus): boolean {
  return RUN_ACTIONS[action].includes(status);
}

/** Why `action` is refused for a run in `status`, in words for the user; null when it is allowed. */
export function actionRefusal(action: RunAction, status: RunStatus): string | null {
  if (actionAllowed(action, status)) return null;
  const verb = { resume: 'resumed', pause: 'paused', stop: 'stopped', delete: 'deleted', fork: 'forked' }[action];
  const hint: Partial<Record<RunStatus, string>> = {
    finished: 'it reached its stop condition; fork it from a checkpoint to train further',
    running: action === 'delete' ? 'stop it first' : action === 'resume' ? 'it is already training' : '',
    queued: action === 'resume' ? 'it is already waiting for a training slot' : '',
    paused: action === 'pause' ? 'it is already paused' : '',
    stopped: action === 'pause' ? 'it is not training; resume it to continue' : action === 'stop' ? 'it is already stopped' : '',
    failed: 'resume it to continue from its last good checkpoint',
    interrupted: action === 'pause' ? 'it is not training; resume it to continue from its last checkpoint' : '',
  };
  const why = hint[status];
  return `a ${status} run cannot be ${verb}${why ? `: ${why}` : ''} (${verb} applies to ${RUN_ACTIONS[action].join(', ')} runs)`;
}
