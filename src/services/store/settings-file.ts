/**
 * The workspace's `settings.json`: one JSON object whose keys belong to different parts of the lab (`window`:
 * the main window's bounds; `lab`: LabSettings). Each part reads and replaces only its own key, keeping the
 * others as they are. Synchronous on purpose: the file is a few hundred bytes, and the window's last save happens
 * while the app quits, when an asynchronous write could be cut off. Written atomically (temporary file + rename).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SETTINGS_FILE = 'settings.json';

export type SettingsRead = { status: 'missing' } | { status: 'malformed' } | { status: 'ok'; value: Record<string, unknown> };

export function readSettingsFile(workspace: string): SettingsRead {
  let text: string;
  try {
    text = readFileSync(join(workspace, SETTINGS_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'missing' };
    return { status: 'malformed' };
  }
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? { status: 'ok', value: value as Record<string, unknown> }
      : { status: 'malformed' };
  } catch {
    return { status: 'malformed' };
  }
}

/** The value under `key`, or undefined when the file or the key is missing or the file is not a JSON object. */
export function readSettingsKey(workspace: string, key: string): unknown {
  const read = readSettingsFile(workspace);
  return read.status === 'ok' ? read.value[key] : undefined;
}

/**
 * Replaces `key`, keeping every other key. A settings file that is not a JSON object is left alone (an error
 * naming the file): the user's other settings are worth more than this one.
 */
export function writeSettingsKey(workspace: string, key: string, value: unknown, what = key): void {
  const read = readSettingsFile(workspace);
  if (read.status === 'malformed') {
    throw new Error(`${join(workspace, SETTINGS_FILE)} is not a JSON object; the ${what} was not saved`);
  }
  const settings = read.status === 'ok' ? read.value : {};
  settings[key] = value;
  mkdirSync(workspace, { recursive: true });
  const path = join(workspace, SETTINGS_FILE);
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify(settings, null, 2) + '\n');
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
