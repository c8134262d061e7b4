/**
 * How a training session's end is recorded (the status machine of shared/run-status.ts): what the trainer
 * reported, read against why the lab asked it to end.
 */
import type { TrainOutcome } from '../training/context';
import { stepWord, type RunStatus } from '../../shared/run-record';
import type { Optimizer } from '../../shared/training-config';

/** Why a session is being ended early. */
export type Ending =
  | { kind: 'user'; action: 'pause' | 'stop' }
  | { kind: 'reshare' }
  | { kind: 'quit' };

export type SessionSettlement = { relaunch: true } | { relaunch: false; status: RunStatus; reason: string };

/** `optimizer` words the reason: ES stops at a generation, Adam at an iteration. */
export function settleSession(outcome: TrainOutcome, ending: Ending | null, closing: boolean, optimizer: Optimizer = 'es'): SessionSettlement {
  // same slot, new share: straight back to training
  if (ending?.kind === 'reshare' && outcome.status === 'paused' && !closing) return { relaunch: true };
  let status: RunStatus = outcome.status;
  let reason = outcome.reason;
  if (ending?.kind === 'user' && (status === 'paused' || status === 'stopped')) {
    status = ending.action === 'pause' ? 'paused' : 'stopped';
    reason = `${ending.action === 'pause' ? 'paused' : 'stopped'} by the user at ${stepWord(optimizer)} ${outcome.generation}`;
  } else if ((ending?.kind === 'quit' || (ending?.kind === 'reshare' && closing)) && status === 'paused') {
    reason = `paused when the lab closed, at ${stepWord(optimizer)} ${outcome.generation}; resume to continue`;
  } else if (status === 'paused' && !ending) {
    status = 'failed';
    reason = `the trainer ended the session unasked (${reason})`;
  }
  return { relaunch: false, status, reason };
}
