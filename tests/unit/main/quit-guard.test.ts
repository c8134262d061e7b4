/** The quit guard of the desktop app, driven the way Electron's `before-quit` would drive it. */
import { describe, expect, it } from 'vitest';
import { createQuitGuard, quitQuestion } from '../../../src/main/app/quit-guard';

function harness(active: string[], answer: boolean) {
  const log: string[] = [];
  let release!: () => void;
  const guard = createQuitGuard({
    activeRunIds: () => active,
    pauseAll: () => {
      log.push('pauseAll');
      return new Promise<void>((r) => (release = r));
    },
    confirm: async (n) => {
      log.push(`confirm ${n}`);
      return answer;
    },
    quit: () => log.push('quit'),
  });
  return { guard, log, release: () => release() };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('quit guard', () => {
  it('asks while runs train, pauses them all, then quits for real', async () => {
    const h = harness(['a', 'b'], true);
    expect(h.guard.onBeforeQuit()).toBe(false);
    expect(h.guard.state()).toBe('asking');
    expect(h.guard.onBeforeQuit()).toBe(false); // a second Cmd+Q while the dialog is open
    await tick();
    expect(h.log).toEqual(['confirm 2', 'pauseAll']);
    expect(h.guard.state()).toBe('pausing');
    h.release();
    await tick();
    expect(h.log).toEqual(['confirm 2', 'pauseAll', 'quit']);
    expect(h.guard.state()).toBe('done');
    expect(h.guard.onBeforeQuit()).toBe(true); // the real quit goes through
  });

  it('keeps training when the user says so, and asks again next time', async () => {
    const h = harness(['a'], false);
    expect(h.guard.onBeforeQuit()).toBe(false);
    await tick();
    expect(h.log).toEqual(['confirm 1']);
    expect(h.guard.state()).toBe('idle');
    expect(h.guard.onBeforeQuit()).toBe(false);
    await tick();
    expect(h.log).toEqual(['confirm 1', 'confirm 1']);
  });

  it('does not ask when nothing trains', async () => {
    const h = harness([], true);
    expect(h.guard.onBeforeQuit()).toBe(false);
    h.release();
    await tick();
    expect(h.log).toEqual(['pauseAll', 'quit']);
    expect(h.guard.onBeforeQuit()).toBe(true);
  });

  it('words the question for one run and for several', () => {
    expect(quitQuestion(1).message).toBe('1 run is training or waiting to train.');
    expect(quitQuestion(3).message).toBe('3 runs are training or waiting to train.');
    expect(quitQuestion(2).buttons).toEqual(['Pause and quit', 'Keep training']);
  });
});
