/**
 * The main window's bounds, remembered across starts in the workspace settings file (`settings.json`, key
 * `window`). No Electron import: the window module passes the displays' work areas in, so the rules are unit
 * tested. Other keys of settings.json belong to other parts of the lab and are kept as they are.
 * Synchronous on purpose: the last save happens while the window closes, and an asynchronous write could be cut
 * off by the app quitting right after; the file is a few hundred bytes.
 */
import { readSettingsKey, writeSettingsKey } from '../../services/store/settings-file';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface WindowState {
  /** absent: let the system place (centre) the window */
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

export { SETTINGS_FILE } from '../../services/store/settings-file';
export const DEFAULT_WINDOW_STATE: WindowState = { width: 1280, height: 820, maximized: false };
export const MIN_WINDOW_SIZE = { width: 800, height: 560 };

/** Reads the saved state; a missing, unreadable or malformed entry gives the defaults (never an error at start). */
export function loadWindowState(workspace: string): WindowState {
  return parseWindowState(readSettingsKey(workspace, 'window')) || { ...DEFAULT_WINDOW_STATE };
}

export function parseWindowState(value: unknown): WindowState | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const finite = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n);
  if (!finite(v.width) || !finite(v.height) || v.width <= 0 || v.height <= 0) return null;
  const state: WindowState = { width: Math.round(v.width), height: Math.round(v.height), maximized: v.maximized === true };
  if (finite(v.x) && finite(v.y)) {
    state.x = Math.round(v.x);
    state.y = Math.round(v.y);
  }
  return state;
}

/**
 * Makes a saved state fit the displays attached now: a window whose title bar would be on no display (a monitor
 * was unplugged) loses its position and is centred; a window larger than the largest work area is shrunk.
 */
export function fitToDisplays(state: WindowState, workAreas: Rect[]): WindowState {
  if (workAreas.length === 0) return state;
  const maxWidth = Math.max(...workAreas.map((a) => a.width));
  const maxHeight = Math.max(...workAreas.map((a) => a.height));
  const fitted: WindowState = {
    width: clamp(state.width, Math.min(MIN_WINDOW_SIZE.width, maxWidth), maxWidth),
    height: clamp(state.height, Math.min(MIN_WINDOW_SIZE.height, maxHeight), maxHeight),
    maximized: state.maximized,
  };
  if (state.x !== undefined && state.y !== undefined) {
    // the top strip (title bar) must be reachable with the mouse: at least 40 px of it on some display
    const titleBar: Rect = { x: state.x, y: state.y, width: fitted.width, height: 32 };
    if (workAreas.some((area) => overlap(titleBar, area) >= 40 * 32)) {
      fitted.x = state.x;
      fitted.y = state.y;
    }
  }
  return fitted;
}

/** Saves the state into settings.json (key `window`), keeping every other key (settings-file.ts). */
export function saveWindowState(workspace: string, state: WindowState): void {
  writeSettingsKey(workspace, 'window', state, 'window size');
}

function overlap(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

function clamp(v: number, min: number, max: number): number {
  return Math.min(Math.max(v, min), max);
}
