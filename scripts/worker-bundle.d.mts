/** Bundles src/worker/index.ts into `outdir` (relative to the package root; emptied first). Returns the files written. */
export function buildWorker(outdir: string): Promise<string[]>;
