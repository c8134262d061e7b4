#!/usr/bin/env node
// The training worker, built on its own (`npm run build` runs this after electron-vite): src/worker/index.ts
// bundled by esbuild into out/worker/ (worker.js and the chunks only it loads, such as the Adam job's tfjs code).
//
// Why apart from main: the packaged app unpacks the worker from the asar (Electron starts it as a utility
// process from a real file), and whatever is unpacked lies outside the asar's integrity check. Built beside main,
// the worker shared chunks with it, so unpacking the worker unpacked code the main process imports. Built here,
// out/worker/ holds only the worker's code and out/main/ stays whole inside the asar (electron-builder.yml).
// Packages stay external (resolved from the app's node_modules, as electron-vite leaves them for main), so a
// lazily imported package is still loaded only when its job runs.
import { buildWorker } from './worker-bundle.mjs';

const outdir = process.argv[2] ?? 'out/worker';
const files = await buildWorker(outdir);
console.log(`worker: ${files.length} files in ${outdir} (entry ${outdir}/worker.js)`);
