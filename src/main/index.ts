/**
 * Electron main: composes the small modules in app/ (architecture.md: main is thin). Everything the lab does is
 * in LabService (src/node), which has no Electron import; this file only wires it to a window.
 *
 *   nca-lab-desktop [--workspace DIR]     (else NCA_LAB_WORKSPACE, else the platform's data folder, as the CLI)
 */
import { app, BrowserWindow } from 'electron';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LabService } from '../node/lab-service';
import { packageVersion } from '../node/package-paths';
import { resolveWorkspaceDir } from '../node/workspace-path';
import { registerLabIpc } from './app/ipc';
import { installAppMenu } from './app/menu';
import { APP_INDEX_URL, registerAppScheme, serveRenderer } from './app/protocol';
import { applySecurityPolicy, isAppUrl } from './app/security';
import { claimSingleInstance } from './app/single-instance';
import { createMainWindow } from './app/window';

// out/main/index.js → out/preload/index.cjs and out/renderer/
const preload = fileURLToPath(new URL('../preload/index.cjs', import.meta.url));
const rendererDir = fileURLToPath(new URL('../renderer', import.meta.url));
const devServerUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined;
const workspace = resolveWorkspaceDir(flagValue(process.argv, '--workspace'));

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
  registerLabIpc(new LabService({ workspace }), (url) => isAppUrl(url, devServerUrl));
  await openMainWindow();

  app.on('activate', () => {
    // macOS: clicking the dock icon with no window open opens one
    if (BrowserWindow.getAllWindows().length === 0) void openMainWindow();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
}

async function openMainWindow(): Promise<void> {
  mainWindow = await createMainWindow({ workspace, preload, url: devServerUrl ?? APP_INDEX_URL });
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
