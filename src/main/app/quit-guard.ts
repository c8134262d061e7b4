/**
 * Quitting while runs train (closing the app asks, then stops them cleanly, so no training is lost): the
 * first quit is held back, the user is asked, and on "Pause and quit" every run is paused (each writes a
 * checkpoint first) before the app really quits. No Electron import: main/index.ts wires it to `before-quit`
 * and the window's `close`, and the unit test drives it with fakes.
 */
import { counted } from '../../shared/words';

export interface QuitGuardOptions {
  /** runs training or waiting to train */
  activeRunIds(): string[];
  /** pauses them all and resolves when every session has ended */
  pauseAll(): Promise<unknown>;
  /** asks the user; true to pause the runs and quit */
  confirm(activeRuns: number): Promise<boolean>;
  /** quits for real (app.quit(): `before-quit` fires again and is let through) */
  quit(): void;
}

export type QuitGuardState = 'idle' | 'asking' | 'pausing' | 'done';

export interface QuitGuard {
  /** for `before-quit`: returns true when the quit may go ahead now, false when it was held back */
  onBeforeQuit(): boolean;
  state(): QuitGuardState;
}

export function createQuitGuard(options: QuitGuardOptions): QuitGuard {
  let state: QuitGuardState = 'idle';
  const finish = async () => {
    state = 'pausing';
    try {
      await options.pauseAll();
    } catch (err) {
      console.error('nca-lab: pausing the runs before quitting failed:', err);
    } finally {
      state = 'done';
      options.quit();
    }
  };
  return {
    state: () => state,
    onBeforeQuit() {
      if (state === 'done') return true;
      if (state !== 'idle') return false; // already asking or pausing: one quit at a time
      const active = options.activeRunIds().length;
      if (active === 0) {
        // nothing trains: still let the manager settle (it refuses new runs from now on), without asking
        void finish();
        return false;
      }
      state = 'asking';
      void options.confirm(active).then(
        (ok) => {
          if (ok) void finish();
          else state = 'idle';
        },
        () => {
          state = 'idle';
        },
      );
      return false;
    },
  };
}

/** The question, in words: one place, so the dialog and its test agree. */
export function quitQuestion(activeRuns: number): { message: string; detail: string; buttons: [string, string] } {
  const runs = counted(activeRuns, 'run');
  return {
    message: `${runs} ${activeRuns === 1 ? 'is' : 'are'} training or waiting to train.`,
    detail: 'Quitting pauses them: each writes a checkpoint first, so nothing is lost. Resume them from the Runs view when you open NCA Lab again.',
    buttons: ['Pause and quit', 'Keep training'],
  };
}
