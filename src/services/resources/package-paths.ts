/**
 * Where the lab's own files are: the package root (package.json) and `resources/` (built-in targets, icons).
 *
 * Found from this module's location rather than the working directory, so `nca-lab` works from any folder,
 * under tsx (src/services/…), bundled by electron-vite (out/main/…) and from a packed asar. The packaged app,
 * whose resources may sit outside the asar, sets NCA_LAB_RESOURCES instead.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'nca-lab';

let cachedRoot: string | null = null;

/** The folder holding the lab's package.json: walk up from this file until one names the package. */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  const start = dirname(fileURLToPath(import.meta.url));
  let dir = start;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        const name = (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name;
        if (name === PACKAGE_NAME) return (cachedRoot = dir);
      } catch {
        // an unreadable package.json on the way up is not ours; keep climbing
      }
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(`cannot find the ${PACKAGE_NAME} package root above ${start}`);
    }
    dir = parent;
  }
}

/** `resources/` of the lab: NCA_LAB_RESOURCES when set (the packaged app), else beside package.json. */
export function resourcesDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.NCA_LAB_RESOURCES;
  if (fromEnv) return resolve(fromEnv);
  return join(packageRoot(), 'resources');
}

/** The version in the lab's package.json (shown by `nca-lab info`, recorded in runs). */
export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : 'unknown';
}
