#!/usr/bin/env node
// The `nca-lab` command: runs the CLI from its TypeScript sources through tsx (a runtime dependency), so the
// command works right after `npm ci` with no build step. Worker processes are forked the same way.
import { register } from 'tsx/esm/api';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

register();
// `nca-lab runs | head`: a reader that closes the pipe early is not an error
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
const root = dirname(dirname(fileURLToPath(import.meta.url)));
const { main } = await import(pathToFileURL(join(root, 'src/cli/index.ts')).href);
process.exitCode = await main(process.argv.slice(2));
