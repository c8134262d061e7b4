/**
 * Builds the gallery of built-in models (resources/models/, services/models/model-library.ts):
 *
 *   npx tsx scripts/build-models.ts [--only distill|lab] [--scale K] [--model ID …]     (npm run models:build)
 *
 *  - the Distill demo's three lizards (../shared/data/distill, CC-BY 4.0), converted to the lab's format;
 *  - the lab's own ES and Adam models for the thesis's four targets, with and without the sample pool, each
 *    trained by `nca-lab train` from the preset, seed and budget recorded in RECIPES below (one worker process
 *    each, one training at a time: the budget is kept small because the lab is often built on shared machines;
 *    --scale K multiplies every budget). Re-running rebuilds what is asked and keeps the rest of the gallery.
 *
 * Every model is grown once (replay seed 0, its training canvas) for its 40/200/1000-update losses and its
 * thumbnail; models.json lists the gallery in order with each model's recipe, and ATTRIBUTION.md credits the
 * Distill models as their licence asks.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  builtinModelsDir, GALLERY_JSON, readModelToImport, writeLibraryFolder, type ModelFromFile,
} from '../src/services/models/model-library';
import { packageRoot } from '../src/services/resources/package-paths';
import { LabStore } from '../src/services/store/lab-store';
import { DISTILL_ATTRIBUTION } from '../src/shared/model-source';
import { rgbaMse } from '../src/core/nca/loss';
import { makeSeed } from '../src/core/nca/state';
import { resolveTarget } from '../src/services/targets/targets';

/**
 * A gallery model must grow its target: its loss after 40 updates at most this fraction of the seed's (the
 * empty canvas), and after 200 updates (its thumbnail) no worse than the empty canvas, so it has not exploded.
 * A model that fails is left out (rebuild it with a larger --scale).
 */
const MAX_LOSS40_VS_SEED = 0.5;
const MAX_LOSS200_VS_SEED = 1;

interface DistillRecipe { id: string; kind: 'distill'; file: string }
interface LabRecipe {
  id: string;
  kind: 'lab';
  optimizer: 'es' | 'adam';
  preset: string;
  target: string;
  seed: number;
  /** training budget in seconds (before --scale) */
  seconds: number;
}
type Recipe = DistillRecipe | LabRecipe;

// ES models use the lab's ES for new runs (`es`, issue 10's choice) and, with a sample pool, the thesis's
// pool preset; change them here and rebuild.
const ES_PRESETS = ['es', 'thesis-es-pool'];
const ADAM_PRESETS = ['thesis-adam', 'thesis-adam-nopool'];
const THESIS_TARGETS = ['carrot-9', 'rabbit-9', 'carrot-15', 'rabbit-15'];
const ES_SECONDS = 120;
const ADAM_SECONDS = 60;

export const RECIPES: Recipe[] = [
  { id: 'distill-lizard-growing', kind: 'distill', file: 'ex1_lizard.json' },
  { id: 'distill-lizard-persistent', kind: 'distill', file: 'ex2_lizard.json' },
  { id: 'distill-lizard-regenerating', kind: 'distill', file: 'ex3_lizard.json' },
  ...THESIS_TARGETS.flatMap((target, t) => [
    ...ES_PRESETS.map((preset): LabRecipe => ({ id: `${preset}-${target}`, kind: 'lab', optimizer: 'es', preset, target, seed: 1 + t, seconds: ES_SECONDS })),
    ...ADAM_PRESETS.map((preset): LabRecipe => ({ id: `${preset}-${target}`, kind: 'lab', optimizer: 'adam', preset, target, seed: 1 + t, seconds: ADAM_SECONDS })),
  ]),
];

function runCli(args: string[]): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(packageRoot(), 'bin', 'nca-lab.js'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => void (out += b.toString()));
    child.on('error', fail);
    child.on('exit', (code) => (code === 0 ? done(out) : fail(new Error(`nca-lab ${args.join(' ')} exited with ${code}`))));
  });
}

async function buildLab(r: LabRecipe, scale: number, workspace: string): Promise<ModelFromFile> {
  const seconds = Math.max(1, Math.round(r.seconds * scale));
  process.stdout.write(`training ${r.id}: ${r.optimizer} ${r.preset} on ${r.target}, seed ${r.seed}, ${seconds} s … `);
  const out = await runCli([
    'train', '--optimizer', r.optimizer, '--preset', r.preset, '--target', r.target, '--seed', String(r.seed),
    '--max-seconds', String(seconds), '--workers', '1', '--json', '--workspace', workspace,
  ]);
  const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const summary = lines[lines.length - 1] as { runId?: string; generation?: number; status?: string };
  if (!summary.runId) throw new Error(`${r.id}: the training printed no run id`);
  const record = JSON.parse(await readFile(join(workspace, 'runs', summary.runId, 'run.json'), 'utf8')) as { progress: { generation: number } };
  const generations = record.progress.generation;
  console.log(`${generations} ${r.optimizer === 'es' ? 'generations' : 'iterations'}`);
  const model = await readModelToImport(join(workspace, 'runs', summary.runId, 'model', 'model.json'), new LabStore(workspace));
  const trainedWith = `${r.optimizer === 'es' ? 'ES' : 'Adam'}, preset ${r.preset}, seed ${r.seed}, ${seconds} s on one worker (${generations} ${r.optimizer === 'es' ? 'generations' : 'iterations'})`;
  return {
    ...model,
    name: `${r.optimizer === 'es' ? 'ES' : 'Adam'} ${r.target} (${r.preset})`,
    origin: {
      description: `NCA Lab's own model, trained by npm run models:build: ${trainedWith}`,
      format: 'nca-lab', file: null, licence: 'MIT', attribution: 'NCA Lab contributors', url: null, trainedWith,
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { only: { type: 'string' }, scale: { type: 'string' }, model: { type: 'string', multiple: true }, distill: { type: 'string' } },
  });
  const scale = values.scale === undefined ? 1 : Number(values.scale);
  if (!(scale > 0 && scale <= 100)) throw new Error(`--scale must be a number in (0, 100], got ${values.scale}`);
  if (values.only !== undefined && values.only !== 'distill' && values.only !== 'lab') throw new Error(`--only must be distill or lab, got ${values.only}`);
  const distillDir = resolve(values.distill ?? join(packageRoot(), '..', 'shared', 'data', 'distill'));
  const wanted = RECIPES.filter((r) => (!values.only || r.kind === values.only) && (!values.model || values.model.includes(r.id)));
  if (wanted.length === 0) throw new Error(`no recipe matches (ids: ${RECIPES.map((r) => r.id).join(', ')})`);
  const root = builtinModelsDir();
  const workspace = await mkdtemp(join(tmpdir(), 'nca-lab-models-build-'));
  const store = new LabStore(workspace);
  try {
    for (const r of wanted) {
      const model = r.kind === 'distill' ? await readModelToImport(join(distillDir, r.file), store) : await buildLab(r, scale, workspace);
      const folder = await writeLibraryFolder(root, r.id, model);
      const e = JSON.parse(await readFile(join(folder, 'model.json'), 'utf8')).userDefinedMetadata.ncaLab.evaluation as Record<string, number | null> | null;
      console.log(`  ${r.id}: loss t=40 ${e?.loss40?.toExponential(3)}, t=200 ${e?.loss200?.toExponential(3)}, t=1000 ${e?.loss1000?.toExponential(3)}`);

    }
  } finally {
    await rm(workspace, { recursive: true, force: true });
  }
  // the catalogue lists what is in the folder, in recipe order (a partial rebuild keeps the others), less the
  // models that do not grow their target
  const present: Recipe[] = [];
  for (const r of RECIPES) {
    const folder = join(root, r.id);
    if (!existsSync(join(folder, 'model.json'))) continue;
    const problem = await notGrowing(folder);
    if (problem) {
      await rm(folder, { recursive: true, force: true });
      console.log(`  ${r.id}: left out of the gallery: ${problem} (train longer: --scale K)`);
    } else {
      present.push(r);
    }
  }
  await writeFile(join(root, GALLERY_JSON), JSON.stringify({
    _doc: 'Built-in models of NCA Lab, in gallery order, built by scripts/build-models.ts (npm run models:build) from these recipes. Each folder holds model.json + weights.bin (the lab\'s model format) and thumbnail.png. The distill-* models are CC-BY 4.0, see ATTRIBUTION.md.',
    models: present,
  }, null, 2) + '\n');
  await writeFile(join(root, 'ATTRIBUTION.md'), ATTRIBUTION);
  console.log(`wrote ${present.length} models to ${root}`);
}

/** Why a built model does not belong in the gallery, or null when it grows its target. */
async function notGrowing(folder: string): Promise<string | null> {
  const meta = JSON.parse(await readFile(join(folder, 'model.json'), 'utf8')).userDefinedMetadata.ncaLab as {
    target: { name: string; size: number; padding: number } | null; nca: { channels: number };
    evaluation?: { loss40: number | null; loss200: number | null } | null;
  };
  if (!meta.target) return null;
  const t = await resolveTarget(meta.target.name, { size: meta.target.size, padding: meta.target.padding });
  const seedLoss = rgbaMse(makeSeed(t.height, t.width, meta.nca.channels), t.rgba);
  const show = (v: number | null) => (v === null ? 'unknown' : v.toExponential(3));
  const loss40 = meta.evaluation?.loss40 ?? null;
  const loss200 = meta.evaluation?.loss200 ?? null;
  if (loss40 === null || loss40 > MAX_LOSS40_VS_SEED * seedLoss) {
    return `its loss after 40 updates (${show(loss40)}) is not under ${MAX_LOSS40_VS_SEED} × the seed's (${seedLoss.toExponential(3)})`;
  }
  if (loss200 === null || loss200 > MAX_LOSS200_VS_SEED * seedLoss) {
    return `after 200 updates its loss (${show(loss200)}) is past the empty canvas's (${seedLoss.toExponential(3)}): it does not stop growing`;
  }
  return null;
}

const ATTRIBUTION = `# Built-in models: attribution

## distill-lizard-growing, distill-lizard-persistent, distill-lizard-regenerating

${DISTILL_ATTRIBUTION}.

They are the files \`public/webgl_models8/ex1_🦎.json\`, \`ex2_🦎.json\` and \`ex3_🦎.json\` of the repository
distillpub/post--growing-ca (the Distill article's growing, persistent and regenerating experiments), licensed
under the Creative Commons Attribution 4.0 International licence (https://creativecommons.org/licenses/by/4.0/).

### Changes made

The 8-bit weights of each file were decoded ((byte / 255 − 0.5) × scale) and written in NCA Lab's model format
(float32, the first layer's rows reordered from the demo's band-major order to the lab's interleaved one);
src/core/nca/distill-format.ts. The values are otherwise unchanged. Each model was then grown once by the lab for
its thumbnail and losses (the target: the 2018 Noto Emoji lizard, resources/targets/lizard-2018-40.png).

## The other models

Trained by NCA Lab itself (scripts/build-models.ts, the recipes in models.json), MIT like the rest of the lab.
Their targets are the Noto Emoji carrot and rabbit (Apache-2.0), see resources/targets/ATTRIBUTION.md.
`;

main().catch((err: unknown) => {
  console.error(`models:build: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
