/**
 * The main window: sandboxed, context-isolated renderer with the preload as its only bridge, its size and
 * position restored from the workspace settings and saved again as they change.
 */
import { BrowserWindow, screen } from 'electron';
import { DEFAULT_WINDOW_STATE, MIN_WINDOW_SIZE, fitToDisplays, loadWindowState, saveWindowState, type WindowState } from './window-state';
import { messageOf } from '../../shared/validate';

export interface MainWindowOptions {
  workspace: string;
  /** out/preload/index.cjs */
  preload: string;
  /** app://lab/index.html, or the dev server's URL */
  url: string;
}

export async function createMainWindow(options: MainWindowOptions): Promise<BrowserWindow> {
  const saved = fitToDisplays(loadWindowState(options.workspace), screen.getAllDisplays().map((d) => d.workArea));
  const win = new BrowserWindow({
    ...(saved.x !== undefined && saved.y !== undefined ? { x: saved.x, y: saved.y } : {}),
    width: saved.width,
    height: saved.height,
    minWidth: MIN_WINDOW_SIZE.width,
    minHeight: MIN_WINDOW_SIZE.height,
    title: 'NCA Lab',
    // shown once painted, so the user never sees an empty white frame
    show: false,
    backgroundColor: '#f5f6f8',
    webPreferences: {
      preload: options.preload,
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
      webSecurity: true,
      spellcheck: false,
    },
  });
  if (saved.maximized) win.maximize();
  win.once('ready-to-show', () => win.show());
  rememberBounds(win, options.workspace);
  await win.loadURL(options.url);
  return win;
}

/** Saves the normal (un-maximised) bounds shortly after each move/resize and when the window closes. */
function rememberBounds(win: BrowserWindow, workspace: string): void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let last: WindowState = { ...DEFAULT_WINDOW_STATE };
  const capture = () => {
    if (win.isDestroyed() || win.isMinimized()) return;
    last = { ...win.getNormalBounds(), maximized: win.isMaximized() };
  };
  const save = () => {
    try {
      saveWindowState(workspace, last);
    } catch (err) {
      console.warn(`nca-lab: ${messageOf(err)}`);
    }
  };
  const schedule = () => {
    capture();
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, 500);
  };
  win.on('resize', schedule);
  win.on('move', schedule);
  win.on('maximize', schedule);
  win.on('unmaximize', schedule);
  win.on('close', () => {
    if (timer) clearTimeout(timer);
    capture();
    save();
  });
}
