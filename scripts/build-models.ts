/**
 * Builds the gallery of built-in models (resources/models/, services/models/model-library.ts):
 *
 *   npx tsx scripts/build-models.ts [--only distill|lab] [--model ID …] [--from ID=SOURCE …] [--workspace DIR]
 *   npx tsx scripts/build-models.ts --check                  (npm run models:build / npm run models:check)
 *
 *  - the Distill demo's three lizards (../shared/data/distill, CC-BY 4.0), converted to the lab's format;
 *  - the lab's own ES and Adam models (scripts/models/recipes.ts), each trained by `nca-lab train` from its
 *    preset and seed in the build workspace (default: <tmpdir>/nca-lab-models-build, kept, so a build stopped
 *    before its trainings finished resumes them), or taken from a run or checkpoint with --from ID=SOURCE
 *    (scripts/models/lab-models.ts).
 *
 * Each lab model's card claims what it shows (it persists, heals after the bottom-half erase, overgrows; spec
 * f.2, f.3), and the build checks each claim with the lab's one evaluation (core/nca/growth-eval.ts through
 * services/models/gallery-claims.ts): a model that fails is refused with the reason, never shipped. The card
 * (models.json and the model's description) states the measured losses after 40, 200 and 1000 updates and
 * around the erase. --check measures the shipped models again and fails when one no longer shows its claims or
 * its card's figures; it writes nothing.
 *
 * Every model is grown once (replay seed 0, its training canvas) for its 40/200/1000-update losses and its
 * thumbnail; models.json lists the gallery in order with each model's recipe and card, and ATTRIBUTION.md
 * credits the Distill models as their licence asks.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ModelGrowthEval } from '../src/core/nca/growth-eval';
import {
  claimProblems, describeMeasure, measureModel, showLoss, type GalleryClaims,
} from '../src/services/models/gallery-claims';
import {
  builtinModelsDir, GALLERY_JSON, readModelToImport, writeLibraryFolder, type ModelFromFile,
} from '../src/services/models/model-library';
import { packageRoot } from '../src/services/resources/package-paths';
import { LabStore } from '../src/services/store/lab-store';
import { DISTILL_ATTRIBUTION } from '../src/shared/model-source';
import { pickShipped, runCandidates, sourceCandidates, trainedRun, type Shipped } from './models/lab-models';
import { RECIPES, type LabRecipe, type Recipe } from './models/recipes';

/** What a lab model's card says, kept in models.json beside its recipe. */
interface Card {
  description: string;
  trainedWith: string;
  measured: ModelGrowthEval;
}

type CatalogueEntry = Recipe & { card?: Card };

const optimizerName = (r: LabRecipe) => (r.optimizer === 'es' ? 'ES' : 'Adam');

function cardOf(r: LabRecipe, shipped: Shipped): Card {
  const { candidate, measured } = shipped;
  const unit = r.optimizer === 'es' ? 'generation' : 'iteration';
  const time = candidate.wallSeconds === null ? '' : `, ${Math.round(candidate.wallSeconds / 60)} min of training`;
  const trainedWith = `${optimizerName(r)}, preset ${r.preset}, seed ${r.seed}, ${unit} ${candidate.generation.toLocaleString('en-US')}${time}`;
  const description = `${r.shows}${r.note ? ` ${r.note}` : ''} ${describeMeasure(measured, candidate.model.target.size)} Trained with nca-lab train: ${trainedWith}.`;
  return { description, trainedWith, measured };
}

async function buildLab(r: LabRecipe, from: string | undefined, workspace: string, root: string): Promise<Card> {
  const store = new LabStore(workspace);
  const candidates = from ? await sourceCandidates(store, from) : await runCandidates(store, await trainedRun(r, workspace));
  const shipped = await pickShipped(r, candidates);
  const card = cardOf(r, shipped);
  const model: ModelFromFile = {
    ...shipped.candidate.model,
    name: `${optimizerName(r)} ${r.target} (${r.preset})`,
    origin: {
      description: card.description, format: 'nca-lab', file: null, licence: 'MIT', attribution: 'NCA Lab contributors', url: null,
      trainedWith: card.trainedWith,
    },
  };
  await writeLibraryFolder(root, r.id, model);
  console.log(`  ${r.id}: shipped ${shipped.candidate.source}\n    ${card.description}`);
  return card;
}

/** `--from ID=SOURCE …` as a map, refusing ids that are no lab recipe. */
function fromOptions(values: string[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of values ?? []) {
    const eq = v.indexOf('=');
    const id = v.slice(0, eq);
    if (eq <= 0 || !RECIPES.some((r) => r.kind === 'lab' && r.id === id)) {
      throw new Error(`--from must be ID=SOURCE with ID a lab model (${RECIPES.filter((r) => r.kind === 'lab').map((r) => r.id).join(', ')}), got "${v}"`);
    }
    out.set(id, v.slice(eq + 1));
  }
  return out;
}

async function readCatalogue(root: string): Promise<Map<string, CatalogueEntry>> {
  const text = await readFile(join(root, GALLERY_JSON), 'utf8').catch(() => null);
  const entries = text ? ((JSON.parse(text) as { models: CatalogueEntry[] }).models ?? []) : [];
  return new Map(entries.map((e) => [e.id, e]));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' }, model: { type: 'string', multiple: true }, distill: { type: 'string' },
      from: { type: 'string', multiple: true }, workspace: { type: 'string' }, check: { type: 'boolean' },
    },
  });
  const root = builtinModelsDir();
  if (values.check) {
    process.exit((await checkShipped(root)) ? 0 : 1);
  }
  if (values.only !== undefined && values.only !== 'distill' && values.only !== 'lab') throw new Error(`--only must be distill or lab, got ${values.only}`);
  const from = fromOptions(values.from);
  const distillDir = resolve(values.distill ?? join(packageRoot(), '..', 'shared', 'data', 'distill'));
  const wanted = RECIPES.filter((r) => (!values.only || r.kind === values.only) && (!values.model || values.model.includes(r.id)));
  if (wanted.length === 0) throw new Error(`no recipe matches (ids: ${RECIPES.map((r) => r.id).join(', ')})`);
  const workspace = resolve(values.workspace ?? join(tmpdir(), 'nca-lab-models-build'));
  const catalogue = await readCatalogue(root);
  const refused: string[] = [];
  for (const r of wanted) {
    if (r.kind === 'distill') {
      const model = await readModelToImport(join(distillDir, r.file), new LabStore(workspace));
      await writeLibraryFolder(root, r.id, model);
      catalogue.set(r.id, r);
      continue;
    }
    try {
      catalogue.set(r.id, { ...r, card: await buildLab(r, from.get(r.id), workspace, root) });
    } catch (err) {
      refused.push(err instanceof Error ? err.message : String(err));
    }
  }
  await writeCatalogue(root, catalogue);
  if (refused.length > 0) throw new Error(`${refused.length} model(s) not shipped:\n${refused.join('\n')}`);
}

/**
 * models.json: the recipes in order, each lab model with its card; a folder no recipe lists, a lab model without
 * a card from this recipe (an older build's) and one that no longer shows its claims are removed.
 */
async function writeCatalogue(root: string, catalogue: Map<string, CatalogueEntry>): Promise<void> {
  const present: CatalogueEntry[] = [];
  for (const r of RECIPES) {
    const entry = catalogue.get(r.id);
    if (!existsSync(join(root, r.id, 'model.json'))) continue;
    const stale = r.kind === 'lab' && (!entry || entry.kind !== 'lab' || !entry.card || entry.preset !== r.preset);
    const problems = !stale && r.kind === 'lab' && entry?.kind === 'lab' ? await shippedProblems(root, { ...entry, claims: r.claims }) : [];
    if (stale || problems.length > 0) {
      await rm(join(root, r.id), { recursive: true, force: true });
      console.log(`  ${r.id}: removed from the gallery: ${stale ? 'built by an older recipe, without a card' : problems.join('; ')}`);
      continue;
    }
    present.push(r.kind === 'lab' ? { ...r, card: (entry as CatalogueEntry).card } : r);
  }
  for (const name of await readdir(root, { withFileTypes: true })) {
    if (name.isDirectory() && !RECIPES.some((r) => r.id === name.name)) {
      await rm(join(root, name.name), { recursive: true, force: true });
      console.log(`  ${name.name}: removed from the gallery: no recipe lists it`);
    }
  }
  await writeFile(join(root, GALLERY_JSON), JSON.stringify({
    _doc: 'Built-in models of NCA Lab, in gallery order, built by scripts/build-models.ts (npm run models:build) from these recipes (scripts/models/recipes.ts). Each folder holds model.json + weights.bin (the lab\'s model format) and thumbnail.png. A lab model\'s card says what it shows, checked by the build (claims), with its losses grown from the seed by `nca-lab grow ID` (replay seed 0; the erase: --damage thesis:bottom@52). The distill-* models are CC-BY 4.0, see ATTRIBUTION.md.',
    models: present,
  }, null, 2) + '\n');
  await writeFile(join(root, 'ATTRIBUTION.md'), ATTRIBUTION);
  console.log(`wrote ${present.length} models to ${root}`);
}

/** Why a shipped lab model does not show its card: a failed claim, or figures that are not what it measures. */
async function shippedProblems(root: string, entry: { id: string; claims: GalleryClaims; card?: Card }): Promise<string[]> {
  if (!entry.card) return ['its entry in models.json has no card'];
  const m = await new LabStore(tmpdir()).loadModel(join(root, entry.id, 'model.json'));
  if (!m.target) return ['its model.json names no target'];
  const measured = await measureModel({ nca: m.nca, params: m.params, target: m.target });
  const problems = claimProblems(entry.claims, measured);
  const card = entry.card.measured;
  const same = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(Math.abs(a), Math.abs(b));
  const pairs: [string, number, number][] = [
    ['40', card.loss40, measured.loss40], ['200', card.loss200, measured.loss200], ['1000', card.loss1000, measured.loss1000],
    ['after the erase', card.erase.after, measured.erase.after],
  ];
  for (const [what, said, is] of pairs) {
    if (!same(said, is)) problems.push(`its card says ${showLoss(said)} after ${what}, the model measures ${showLoss(is)}`);
  }
  return problems;
}

/** --check: every shipped lab model against its card; true when all show what their cards claim. */
async function checkShipped(root: string): Promise<boolean> {
  const catalogue = await readCatalogue(root);
  let ok = true;
  for (const r of RECIPES) {
    if (r.kind !== 'lab') continue;
    const entry = catalogue.get(r.id);
    if (!entry || !existsSync(join(root, r.id, 'model.json'))) {
      console.log(`${r.id}: not shipped`);
      continue;
    }
    // the claims the card makes: models.json's, as shipped
    const claims = entry.kind === 'lab' ? entry.claims : r.claims;
    const problems = await shippedProblems(root, { id: r.id, claims, card: (entry as CatalogueEntry).card });
    ok &&= problems.length === 0;
    console.log(`${r.id}: ${problems.length === 0 ? `shows ${r.claims.shows.join(', ')}` : `FAILS: ${problems.join('; ')}`}`);
  }
  return ok;
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
