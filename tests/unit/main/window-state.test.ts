import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_WINDOW_STATE,
  fitToDisplays,
  loadWindowState,
  saveWindowState,
} from '../../../src/main/app/window-state';

let workspace: string;
beforeEach(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'nca-lab-window-'));
});
afterEach(async () => {
  await rm(workspace, { recursive: true, force: true });
});

describe('window state in settings.json', () => {
  it('gives the defaults when nothing was saved', async () => {
    expect(loadWindowState(workspace)).toEqual(DEFAULT_WINDOW_STATE);
  });

  it('saves and restores the bounds, keeping the other settings', async () => {
    await writeFile(join(workspace, 'settings.json'), JSON.stringify({ theme: 'light', workers: 4 }));
    saveWindowState(workspace, { x: 40, y: 30, width: 1000, height: 700, maximized: true });
    expect(loadWindowState(workspace)).toEqual({ x: 40, y: 30, width: 1000, height: 700, maximized: true });
    const settings = JSON.parse(await readFile(join(workspace, 'settings.json'), 'utf8'));
    expect(settings).toEqual({ theme: 'light', workers: 4, window: { x: 40, y: 30, width: 1000, height: 700, maximized: true } });
  });

  it('ignores a malformed entry when loading and never overwrites a settings file it cannot read', async () => {
    await writeFile(join(workspace, 'settings.json'), JSON.stringify({ window: { width: 'wide' } }));
    expect(loadWindowState(workspace)).toEqual(DEFAULT_WINDOW_STATE);
    await writeFile(join(workspace, 'settings.json'), '{ "theme": "li');
    expect(loadWindowState(workspace)).toEqual(DEFAULT_WINDOW_STATE);
    expect(() => saveWindowState(workspace, { width: 900, height: 600, maximized: false })).toThrow(
      'settings.json is not a JSON object; the window size was not saved',
    );
    expect(await readFile(join(workspace, 'settings.json'), 'utf8')).toBe('{ "theme": "li');
  });
});

describe('fitToDisplays', () => {
  const laptop = { x: 0, y: 0, width: 1440, height: 875 };
  const external = { x: 1440, y: 0, width: 2560, height: 1415 };

  it('keeps a position that is on a display', () => {
    const s = { x: 1600, y: 100, width: 1280, height: 820, maximized: false };
    expect(fitToDisplays(s, [laptop, external])).toEqual(s);
  });

  it('drops the position of a window left on an unplugged display, so it is centred', () => {
    const s = { x: 1600, y: 100, width: 1280, height: 820, maximized: false };
    expect(fitToDisplays(s, [laptop])).toEqual({ width: 1280, height: 820, maximized: false });
  });

  it('shrinks a window larger than every display, and enlarges one below the minimum', () => {
    expect(fitToDisplays({ width: 5000, height: 3000, maximized: false }, [laptop])).toEqual({ width: 1440, height: 875, maximized: false });
    expect(fitToDisplays({ width: 200, height: 100, maximized: false }, [laptop])).toEqual({ width: 800, height: 560, maximized: false });
  });

  it('drops a position whose title bar is only a sliver on screen', () => {
    // 20 px of the title bar visible at the left edge: not enough to grab
    expect(fitToDisplays({ x: -1260, y: 10, width: 1280, height: 800, maximized: false }, [laptop]).x).toBeUndefined();
    expect(fitToDisplays({ x: -1000, y: 10, width: 1280, height: 800, maximized: false }, [laptop]).x).toBe(-1000);
  });
});
