// One definition of how the training worker is bundled for the built app (scripts/build-worker.mjs, and the
// packaging test that runs the result with plain Node). The CLI from the sources bundles its own copy at run time
// (src/services/workers/dev-worker-bundle.ts) with the same layout.
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

/** Bundles src/worker/index.ts into `outdir` (relative to the package root; emptied first): worker.js plus its
 *  own chunks. Returns the files written. */
export async function buildWorker(outdir) {
  const esbuild = createRequire(import.meta.url)('esbuild');
  const out = resolve(ROOT, outdir);
  rmSync(out, { recursive: true, force: true });
  const result = await esbuild.build({
    entryPoints: { worker: join(ROOT, 'src/worker/index.ts') },
    outdir: out, bundle: true, splitting: true, format: 'esm', platform: 'node', target: 'node20',
    packages: 'external', chunkNames: 'chunks/[name]-[hash]', metafile: true, logLevel: 'error',
  });
  return Object.keys(result.metafile.outputs);
}
