/**
 * The electron-builder configuration (electron-builder.yml): valid against electron-builder's own schema, with
 * the targets the lab ships (AppImage + deb, dmg, nsis), the app taken from electron-vite's out/, the built-in
 * targets as extra resources where the packaged main process looks for them, and the files that need real paths
 * unpacked from the asar. Packaging itself needs the Electron download, so it is not run here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

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
    expect(config.asarUnpack).toEqual(expect.arrayContaining(['out/main/worker.js', 'node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm']));
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
