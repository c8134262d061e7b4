/**
 * The worker, run from the TypeScript sources (CLI, tests), as plain JavaScript: src/worker/index.ts bundled by
 * esbuild (tsx's own compiler) into out/dev-worker/<hash>/worker.mjs, then forked with plain Node.
 *
 * Why not fork it through tsx like the parent: tsx's ESM loader runs its hooks on a second V8 thread and keeps
 * its compiler beside it, ≈37 MB per process; an ES worker without tfjs is ≈45 MB on its own (the lab's
 * budget for an ES worker: under 80 MB). Packages stay external, imported from node_modules as usual (so the file must live inside the
 * package: out/ is ignored by git), and lazily imported modules stay separate chunks, so the Adam job's tfjs is
 * still loaded only when that job runs.
 *
 * Concurrent processes (parallel tests, several CLIs) may bundle at once: the output is built in memory, named
 * by a hash of its contents and moved into place with one rename, so a worker never sees half a bundle. Once per
 * parent process (≈0.5 s); bundles older than a week are removed.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

interface EsbuildOutputFile { path: string; contents: Uint8Array }
interface Esbuild {
  buildSync(options: Record<string, unknown>): { outputFiles?: EsbuildOutputFile[] };
}

const built = new Map<string, string>();
const WEEK_MS = 7 * 24 * 3600 * 1000;

/** The bundled worker for the TypeScript entry `entry` (in package `root`): the path to fork. */
export function bundledWorker(entry: string, root: string): string {
  const known = built.get(entry);
  if (known && existsSync(known)) return known;
  // esbuild comes with tsx (how the sources run); required here only, so the packaged app never loads it
  const esbuild = createRequire(import.meta.url)('esbuild') as Esbuild;
  const base = join(root, 'out', 'dev-worker');
  const staging = join(base, `.staging-${process.pid}-${Date.now()}`);
  const result = esbuild.buildSync({
    entryPoints: [entry], bundle: true, splitting: true, format: 'esm', platform: 'node', target: 'node20',
    packages: 'external', outdir: staging, entryNames: 'worker', outExtension: { '.js': '.mjs' },
    write: false, logLevel: 'error',
  });
  const files = result.outputFiles ?? [];
  const hash = createHash('sha256');
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    hash.update(f.path.slice(staging.length));
    hash.update(f.contents);
  }
  const dir = join(base, hash.digest('hex').slice(0, 16));
  const main = join(dir, 'worker.mjs');
  if (!existsSync(main)) {
    for (const f of files) {
      mkdirSync(dirname(f.path), { recursive: true });
      writeFileSync(f.path, f.contents);
    }
    try {
      renameSync(staging, dir);
    } catch (err) {
      // another process put the same bundle there first
      rmSync(staging, { recursive: true, force: true });
      if (!existsSync(main)) throw err;
    }
  }
  prune(base, dir);
  built.set(entry, main);
  return main;
}

function prune(base: string, keep: string): void {
  for (const name of readdirSync(base)) {
    const path = join(base, name);
    if (path === keep) continue;
    try {
      if (Date.now() - statSync(path).mtimeMs > WEEK_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // gone already (another process pruned it)
    }
  }
}
