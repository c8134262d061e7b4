#!/usr/bin/env node
// The `nca-lab` command: runs the CLI from its TypeScript sources through tsx (a runtime dependency), so the
// command works right after `npm ci` with no build step. Worker processes are forked the same way.
import { register } from 'tsx/esm/api';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

register();
const root = dirname(dirname(fileURLToPath(import.meta.url)));
await import(pathToFileURL(join(root, 'src/cli/program.ts')).href);
