/**
 * Electron main: composes the small modules in app/ (docs/architecture.md: main is thin). Everything the lab does is
 * in LabService (src/services/lab), which has no Electron import; this file only wires it to a window.
 *
 *   nca-lab-desktop [--workspace DIR]     (else NCA_LAB_WORKSPACE, else the platform's data folder, as the CLI)
 */
import { app, BrowserWindow, dialog, utilityProcess } from 'electron';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LabService } from '../services/lab/lab-service';
import { packageVersion } from '../services/resources/package-paths';
import { utilityProcessSpawner } from '../services/workers/spawners';
import { resolveWorkspaceDir } from '../services/store/workspace-path';
import { registerLabIpc } from './app/ipc';
import { installAppMenu } from './app/menu';
import { APP_INDEX_URL, registerAppScheme, serveRenderer } from './app/protocol';
import { createQuitGuard, quitQuestion } from './app/quit-guard';
import { applySecurityPolicy, isAppUrl } from './app/security';
import { claimSingleInstance } from './app/single-instance';
import { createMainWindow } from './app/window';

// out/main/index.js → out/preload/index.cjs, out/renderer/ and the training worker out/worker/worker.js (built
// apart from main so that unpacking it from the asar unpacks none of main's code: electron-builder.yml)
const preload = fileURLToPath(new URL('../preload/index.cjs', import.meta.url));
const rendererDir = fileURLToPath(new URL('../renderer', import.meta.url));
const workerEntry = fileURLToPath(new URL('../worker/worker.js', import.meta.url));
const devServerUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined;
const workspace = resolveWorkspaceDir(flagValue(process.argv, '--workspace'));

// The packaged app ships resources/targets as extraResources (package.json "build"), outside the asar; the
// worker processes inherit this too.
if (app.isPackaged && !process.env.NCA_LAB_RESOURCES) process.env.NCA_LAB_RESOURCES = join(process.resourcesPath, 'resources');

let mainWindow: BrowserWindow | null = null;

registerAppScheme();

if (!claimSingleInstance(focusMainWindow)) {
  app.quit();
} else {
  app.whenReady().then(start).catch((err) => {
    console.error('nca-lab: could not start:', err);
    app.exit(1);
  });
}

async function start(): Promise<void> {
  mkdirSync(workspace, { recursive: true });
  applySecurityPolicy(devServerUrl);
  serveRenderer(rendererDir);
  installAppMenu(packageVersion());
  // training workers are Electron utility processes (Node inside Electron: no separate Node install needed)
  const lab = new LabService({ workspace, runs: { spawn: utilityProcessSpawner(utilityProcess, workerEntry) } });
  await lab.start();
  registerLabIpc(lab, (url) => isAppUrl(url, devServerUrl));
  guardQuit(lab);
  await openMainWindow();

  app.on('activate', () => {
    // macOS: clicking the dock icon with no window open opens one
    if (BrowserWindow.getAllWindows().length === 0) void openMainWindow();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
}

/** Quitting while runs train asks first, then pauses them (checkpoint first) before the app exits. */
function guardQuit(lab: LabService): void {
  const guard = createQuitGuard({
    activeRunIds: () => lab.activeRunIds(),
    pauseAll: () => lab.close(),
    quit: () => app.quit(),
    async confirm(activeRuns) {
      const q = quitQuestion(activeRuns);
      const options = { type: 'question' as const, buttons: q.buttons, defaultId: 0, cancelId: 1, message: q.message, detail: q.detail, noLink: true };
      const { response } = mainWindow ? await dialog.showMessageBox(mainWindow, options) : await dialog.showMessageBox(options);
      return response === 0;
    },
  });
  app.on('before-quit', (event) => {
    if (!guard.onBeforeQuit()) event.preventDefault();
  });
  mainWindowCloseGuard = (event) => {
    // closing the last window quits on Windows and Linux: ask there, with the window still open
    if (process.platform !== 'darwin' && guard.state() !== 'done' && lab.activeRunIds().length > 0) {
      event.preventDefault();
      app.quit();
    }
  };
}

let mainWindowCloseGuard: ((event: { preventDefault(): void }) => void) | null = null;

async function openMainWindow(): Promise<void> {
  mainWindow = await createMainWindow({ workspace, preload, url: devServerUrl ?? APP_INDEX_URL });
  mainWindow.on('close', (event) => mainWindowCloseGuard?.(event));
  mainWindow.on('closed', () => {
    mainWindow = null;
  });
}

function focusMainWindow(): void {
  if (!mainWindow) return;
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.focus();
}

/** `--name value` or `--name=value` from the command line. */
function flagValue(argv: string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === name) return argv[i + 1];
    if (argv[i].startsWith(`${name}=`)) return argv[i].slice(name.length + 1);
  }
  return undefined;
}
