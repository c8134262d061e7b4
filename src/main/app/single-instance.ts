/**
 * One lab per user: a second start (a double-click on the icon) focuses the running window instead of opening
 * a second process over the same workspace, whose runs and checkpoints one process must own.
 */
import { app } from 'electron';

/** Returns false when another instance holds the lock: the caller quits. */
export function claimSingleInstance(onSecondInstance: () => void): boolean {
  if (!app.requestSingleInstanceLock()) return false;
  app.on('second-instance', onSecondInstance);
  return true;
}
