#!/usr/bin/env node
// `npm run test:e2e`: build the app (electron-vite build; the renderer is what the tests load), then run the
// Playwright tests against it. Extra arguments go to `playwright test` (e.g. a file or --grep).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const bin = (name) => join(root, 'node_modules', '.bin', process.platform === 'win32' ? `${name}.cmd` : name);

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.error) {
    console.error(`e2e: could not run ${command}: ${result.error.message}`);
    process.exit(1);
  }
  if (result.status !== 0) process.exit(result.status ?? 1);
}

run(bin('electron-vite'), ['build']);
run(bin('playwright'), ['test', ...process.argv.slice(2)]);
