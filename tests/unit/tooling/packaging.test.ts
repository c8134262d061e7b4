/**
 * The electron-builder configuration (electron-builder.yml): valid against electron-builder's own schema, with
 * the targets the lab ships (AppImage + deb, dmg, nsis), the app taken from electron-vite's out/, the built-in
 * targets as extra resources where the packaged main process looks for them, and the files that need real paths
 * unpacked from the asar. Packaging itself needs the Electron download, so it is not run here.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import { WorkerPool } from '../../../src/services/workers/pool';
import { ES_WORKER_NODE_FLAGS, forkSpawner } from '../../../src/services/workers/spawners';
import type { LabJobs } from '../../../src/services/workers/lab-jobs';
import { evaluateEsSlice, type EsSliceRequest } from '../../../src/core/es/slice';
import { THESIS_ES_MODEL, initParams } from '../../../src/core/nca/config';
import { makeSeed } from '../../../src/core/nca/state';
import { Philox } from '../../../src/core/rng/philox';

const require = createRequire(import.meta.url);
// electron-builder's own YAML reader and validator (devDependencies of the lab through electron-builder)
const builderLib = require.resolve('app-builder-lib/package.json');
const yaml = createRequire(builderLib)('js-yaml') as { load(text: string): unknown };
const { validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
  validateConfiguration(config: unknown, log: unknown): Promise<void>;
};
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };

interface BuilderConfig {
  files: string[];
  extraResources: { from: string; to: string }[];
  asarUnpack: string[];
  linux: { target: string[] };
  mac: { target: string[] };
  win: { target: string[] };
  directories: { output: string };
  electronFuses: Record<string, boolean>;
}

const config = yaml.load(readFileSync('electron-builder.yml', 'utf8')) as BuilderConfig;

describe('electron-builder.yml', () => {
  it('is valid for electron-builder', async () => {
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('builds AppImage and deb, dmg, and an NSIS installer', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.mac.target).toEqual(['dmg']);
    expect(config.win.target).toEqual(['nsis']);
    expect(config.directories.output).toBe('dist');
  });

  it('packs the built app from out/, the targets beside it, and unpacks the worker and the wasm files', () => {
    expect(config.files).toContain('out/**');
    expect(config.extraResources).toEqual([
      expect.objectContaining({ from: 'resources/targets', to: 'resources/targets' }),
      expect.objectContaining({ from: 'resources/models', to: 'resources/models' }),
    ]);
    // only what must be a real file: the worker (built apart from main), the wasm, native code; none of main's code
    expect(config.asarUnpack).toEqual([
      'out/worker/**',
      'node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm',
      'node_modules/@img/**',
      'node_modules/@napi-rs/canvas-*/**',
    ]);
    expect(readFileSync('src/main/index.ts', 'utf8')).toContain("new URL('../worker/worker.js', import.meta.url)");
    // the packaged main process points NCA_LAB_RESOURCES at <resources>/resources, whose targets/ the config fills
    expect(readFileSync('src/main/index.ts', 'utf8')).toContain("process.env.NCA_LAB_RESOURCES = join(process.resourcesPath, 'resources')");
  });

  it('flips the Electron fuses the packaging checklist recommends', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
    // runAsNode off is safe only while the app starts no child process with process.fork / child_process
    const mainFiles = readdirSync('src/main', { recursive: true }).map(String).filter((f) => f.endsWith('.ts'));
    expect(mainFiles.length).toBeGreaterThan(5);
    for (const file of mainFiles) expect(readFileSync(join('src/main', file), 'utf8'), file).not.toMatch(/child_process|ELECTRON_RUN_AS_NODE/);
    // the fuses are applied to the packaged binary: the app content must be an asar for the asar fuses to hold
    expect((yaml.load(readFileSync('electron-builder.yml', 'utf8')) as { asar: boolean }).asar).toBe(true);
  });

  it('is what `npm run dist` runs', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string>; main: string };
    expect(pkg.scripts.dist).toBe('npm run build && electron-builder');
    expect(pkg.main).toBe('./out/main/index.js');
  });
});

describe('the worker built apart from main (scripts/build-worker.mjs)', () => {
  // inside the package, as out/worker/ is, so its packages resolve from node_modules
  const outdir = `out/test-worker-${process.pid}`;
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('holds only its own code and runs an ES slice in plain Node as the sources do', async () => {
    const { buildWorker } = await import('../../../scripts/worker-bundle.mjs');
    const files = await buildWorker(outdir);
    expect(files.map((f) => f.replace(/\\/g, '/'))).toContain(`${outdir}/worker.js`);
    // every relative import stays inside the worker's folder: nothing of main's is needed, so nothing is unpacked
    const root = resolve(outdir);
    for (const file of files.filter((f) => f.endsWith('.js'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/from\s*["'](\.{1,2}\/[^"']+)["']|import\(["'](\.{1,2}\/[^"']+)["']\)/g)) {
        const target = resolve(dirname(resolve(file)), m[1] ?? m[2]);
        expect(target.startsWith(root), `${file} imports ${m[1] ?? m[2]}`).toBe(true);
      }
    }
    const pool = new WorkerPool<LabJobs>({ size: 1, spawn: forkSpawner({ entry: join(root, 'worker.js'), echoOutput: false }), init: {}, nodeFlags: ES_WORKER_NODE_FLAGS });
    try {
      await pool.start();
      const rng = new Philox(5);
      const req: EsSliceRequest = {
        cfg: THESIS_ES_MODEL, params: initParams(THESIS_ES_MODEL, 'torch', () => rng.uniform()), seed: 7, generation: 2,
        memberStart: 0, memberEnd: 4, x0: makeSeed(9, 9), target: new Float32Array(81 * 4).fill(0.3), wantBest: false,
        sigma: 0.02, mirrored: true, commonRandomNumbers: false, perMemberSteps: true, stepsMin: 30, stepsMax: 39,
      };
      expect((await pool.run('es-slice', req)).losses).toEqual(evaluateEsSlice(req).losses);
    } finally {
      await pool.close();
    }
  });
});
