#!/usr/bin/env node
/**
 * `npm run gpu:pack [-- --out DIR]`: the GPU benchmarks as one self-contained folder for a linux-x64 GPU server that
 * has no Node and no package registry (docs/architecture.md, "Compute"; README, "Benchmarks on a GPU server"):
 *
 *   run-gpu-bench.sh   its one script: unpacks the rest into a temporary folder, points the Vulkan loader at the
 *                      machine's driver (NVIDIA's nvidia_icd.json first) and runs `nca-lab info` and
 *                      `nca-lab bench gpu`, writing the results to $OUT or the folder it is given
 *   node.xz            this machine's Node binary (process.execPath), compressed with xz
 *   lab.tar.xz         app/ (the CLI and the worker bundled by esbuild with every package but Dawn, package.json,
 *                      the built-in targets and models), app/node_modules/webgpu with only the linux-x64 dawn.node,
 *                      and lib/libvulkan.so.1, the Vulkan loader of Debian's libvulkan1
 *   MANIFEST.json      what went in: versions, sizes, sha256 of each file
 *
 * The bundle is the GPU bench's program (src/cli/gpu-bench-program.ts: `info` and `bench`), so it needs none of
 * the native image packages. tfjs's backends other than cpu are not carried (the GPU bench computes on the lab's
 * own engines, never on tfjs).
 *
 * The Vulkan loader comes from NCA_LAB_VULKAN_LOADER (a libvulkan.so.1), else the system's Debian libvulkan1
 * (/usr/lib/x86_64-linux-gnu), else `apt-get download libvulkan1` unpacked with dpkg-deb into
 * node_modules/.cache/nca-lab-gpu-pack (nothing is installed). The folder must stay under 64 MiB: checked here.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);
/** Where the Vulkan loader's Debian package and the compressed Node binary are kept between packs */
const CACHE = join(ROOT, 'node_modules', '.cache', 'nca-lab-gpu-pack');
const PACK_LIMIT_BYTES = 64 * 1024 * 1024;
/** Packages left out of the bundle: Dawn (loaded from app/node_modules), and native or optional ones the GPU bench never loads */
const EXTERNAL = ['webgpu', '@tensorflow/tfjs-node', 'sharp', '@napi-rs/canvas', 'msgpackr-extract', 'bufferutil', 'utf-8-validate', 'electron'];

function fail(message) {
  console.error(`gpu:pack: ${message}`);
  process.exit(1);
}

function sha256(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** The Vulkan loader to ship (see the header): a real file, symlinks resolved. */
function vulkanLoader() {
  const fromEnv = process.env.NCA_LAB_VULKAN_LOADER;
  if (fromEnv) {
    if (!existsSync(fromEnv)) fail(`NCA_LAB_VULKAN_LOADER names ${fromEnv}, which does not exist`);
    return realpathSync(fromEnv);
  }
  const system = '/usr/lib/x86_64-linux-gnu/libvulkan.so.1';
  if (existsSync(system)) return realpathSync(system);
  const cache = CACHE;
  const extracted = join(cache, 'libvulkan1', 'usr', 'lib', 'x86_64-linux-gnu', 'libvulkan.so.1');
  if (!existsSync(extracted)) {
    mkdirSync(cache, { recursive: true });
    try {
      execFileSync('apt-get', ['download', 'libvulkan1'], { cwd: cache, stdio: ['ignore', 'ignore', 'pipe'] });
      const deb = readdirSync(cache).find((f) => /^libvulkan1_.*_amd64\.deb$/.test(f));
      if (!deb) throw new Error('apt-get download left no libvulkan1_*_amd64.deb');
      execFileSync('dpkg-deb', ['-x', join(cache, deb), join(cache, 'libvulkan1')]);
    } catch (err) {
      fail(`no Vulkan loader: set NCA_LAB_VULKAN_LOADER to a libvulkan.so.1, install Debian's libvulkan1, or allow \`apt-get download libvulkan1\` (${err.message.split('\n')[0]})`);
    }
  }
  return realpathSync(extracted);
}

/** The CLI and the worker, bundled together (shared chunks in app/out/chunks/) into app/out/main/cli.js and
 *  app/out/worker/worker.js, where built code looks for the worker (spawners.ts, defaultWorkerEntry). */
async function bundle(app) {
  const esbuild = require('esbuild');
  await esbuild.build({
    entryPoints: { 'main/cli': join(ROOT, 'src/cli/gpu-bench-program.ts'), 'worker/worker': join(ROOT, 'src/worker/index.ts') },
    outdir: join(app, 'out'), chunkNames: 'chunks/[name]-[hash]', bundle: true, splitting: true, format: 'esm', platform: 'node', target: 'node20',
    external: EXTERNAL, minify: true, legalComments: 'none', logLevel: 'error',
    // packages' ES module builds first: tfjs's CommonJS build, split into chunks, loses its namespace's exports (tf.version)
    mainFields: ['module', 'main'],
    // CommonJS packages inside an ES module bundle call require() for Node's built-ins
    banner: { js: "import { createRequire as __ncaRequire } from 'node:module'; const require = __ncaRequire(import.meta.url);" },
  });
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: pkg.name, version: pkg.version, type: 'module', private: true }, null, 2));
  for (const dir of ['targets', 'models']) cpSync(join(ROOT, 'resources', dir), join(app, 'resources', dir), { recursive: true });
  // Dawn: its loader and only this platform's dawn.node
  const webgpu = dirname(require.resolve('webgpu/package.json'));
  const dawnDir = join(app, 'node_modules', 'webgpu');
  mkdirSync(join(dawnDir, 'dist', 'linux-x64'), { recursive: true });
  for (const f of ['package.json', 'index.js', 'LICENSE.md']) copyFileSync(join(webgpu, f), join(dawnDir, f));
  copyFileSync(join(webgpu, 'dist', 'linux-x64', 'dawn.node'), join(dawnDir, 'dist', 'linux-x64', 'dawn.node'));
  return pkg.version;
}

/** This Node binary compressed with xz, kept in the cache by its sha256 (compressing it takes minutes on a busy machine). */
async function compressedNode() {
  const cache = join(CACHE, `node-${sha256(process.execPath).slice(0, 16)}.xz`);
  if (!existsSync(cache)) {
    mkdirSync(CACHE, { recursive: true });
    const tmp = `${cache}.${process.pid}`;
    copyFileSync(process.execPath, tmp);
    execFileSync('xz', ['-T0', '-6', '--suffix=.part', tmp], { stdio: ['ignore', 'ignore', 'inherit'] });
    renameSync(`${tmp}.part`, cache);
  }
  return cache;
}

async function pack(out) {
  if (process.platform !== 'linux' || process.arch !== 'x64') fail(`packs for linux-x64 with this machine's Node; this is ${process.platform}-${process.arch}`);
  try {
    execFileSync('xz', ['--version'], { stdio: 'ignore' });
  } catch {
    fail('needs xz (Debian: xz-utils)');
  }
  const loader = vulkanLoader();
  rmSync(out, { recursive: true, force: true });
  const stage = join(out, '.stage');
  mkdirSync(join(stage, 'lib'), { recursive: true });
  const version = await bundle(join(stage, 'app'));
  copyFileSync(loader, join(stage, 'lib', 'libvulkan.so.1'));
  execFileSync('tar', ['-cJf', join(out, 'lab.tar.xz'), '-C', stage, 'app', 'lib'], { env: { ...process.env, XZ_OPT: '-6 -T0' } });
  const bundled = listFiles(stage).map((f) => ({ path: relative(stage, f), bytes: statSync(f).size, sha256: sha256(f) }));
  rmSync(stage, { recursive: true, force: true });
  copyFileSync(await compressedNode(), join(out, 'node.xz'));
  copyFileSync(join(ROOT, 'scripts', 'run-gpu-bench.sh'), join(out, 'run-gpu-bench.sh'));
  chmodSync(join(out, 'run-gpu-bench.sh'), 0o755);
  const manifest = {
    lab: version, node: process.version, platform: 'linux-x64', dawn: require('webgpu/package.json').version,
    vulkanLoader: basename(loader), files: bundled,
  };
  writeFileSync(join(out, 'MANIFEST.json'), JSON.stringify(manifest, null, 2));
  const total = listFiles(out).reduce((a, f) => a + statSync(f).size, 0);
  if (total >= PACK_LIMIT_BYTES) fail(`${out} is ${(total / 2 ** 20).toFixed(1)} MiB, over the 64 MiB a pack may be`);
  return total;
}

function listFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

const { values } = parseArgs({ options: { out: { type: 'string' } } });
const out = values.out ?? join(ROOT, 'dist', 'gpu-pack', 'nca-lab-gpu-bench-linux-x64');
const total = await pack(out);
console.log(`gpu:pack: ${out} (${(total / 2 ** 20).toFixed(1)} MiB): run ./run-gpu-bench.sh [--out DIR] [bench gpu flags] on the GPU server`);
