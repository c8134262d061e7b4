/**
 * The default workspace: the folder where the desktop app keeps runs, checkpoints, models and experiment
 * results (docs/architecture.md, "Data on disk"). The CLI uses the same folder, so a run started from either is
 * seen by both. Order: `--workspace DIR` > NCA_LAB_WORKSPACE > the platform's per-user data folder.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

const APP_FOLDER = 'nca-lab';

/** The per-user data folder for the lab on this platform (no flag, no NCA_LAB_WORKSPACE). */
export function platformWorkspaceDir(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
): string {
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', APP_FOLDER);
  if (platform === 'win32') return join(env.APPDATA || join(home, 'AppData', 'Roaming'), APP_FOLDER);
  // Linux and other Unixes: XDG base directories (an empty or relative XDG_DATA_HOME is to be ignored).
  const xdg = env.XDG_DATA_HOME;
  return join(xdg && xdg.startsWith('/') ? xdg : join(home, '.local', 'share'), APP_FOLDER);
}

/** The workspace a command should use: the flag, then NCA_LAB_WORKSPACE, then the platform default. */
export function resolveWorkspaceDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return resolve(flag);
  if (env.NCA_LAB_WORKSPACE) return resolve(env.NCA_LAB_WORKSPACE);
  return platformWorkspaceDir(process.platform, env);
}
