/**
 * Where a lab model of the gallery comes from: a run of the build workspace named `gallery-<id>`, trained by
 * `nca-lab train` from its recipe, resumed by `nca-lab resume` when a build stopped before it finished (so a slow
 * rebuild continues where it was), or a run, checkpoint or model given with `--from ID=SOURCE`. The model shipped
 * is the newest of the run's final model and its checkpoints that shows what its card claims (gallery-claims.ts).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { claimProblems, measureModel, type ModelToMeasure } from '../../src/services/models/gallery-claims';
import type { ModelGrowthEval } from '../../src/core/nca/growth-eval';
import { packageRoot } from '../../src/services/resources/package-paths';
import { readCheckpointFile } from '../../src/services/store/checkpoint-format';
import { isValidRunId, LabStore } from '../../src/services/store/lab-store';
import type { LoadedModel } from '../../src/services/store/model-format';
import type { RunRecord } from '../../src/shared/run-record';
import type { LabRecipe } from './recipes';

/** A model that may be shipped, with what training made it. */
export interface Candidate {
  model: ModelToMeasure;
  /** generation (ES) or iteration (Adam) it was saved at */
  generation: number;
  /** training wall time up to it, when known */
  wallSeconds: number | null;
  /** where it was read */
  source: string;
}

export interface Shipped {
  candidate: Candidate;
  measured: ModelGrowthEval;
}

function runCli(args: string[]): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(packageRoot(), 'bin', 'nca-lab.js'), ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', fail);
    child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`nca-lab ${args.join(' ')} exited with ${code}`))));
  });
}

export function runName(r: LabRecipe): string {
  return `gallery-${r.id}`;
}

/** The recipe's `nca-lab train` flags. */
function trainArgs(r: LabRecipe, workspace: string): string[] {
  const stop = [
    ...(r.stop.targetLoss !== undefined ? ['--target-loss', String(r.stop.targetLoss)] : []),
    ...(r.stop.maxSeconds !== undefined ? ['--max-seconds', String(r.stop.maxSeconds)] : []),
    ...(r.stop.maxGenerations !== undefined ? ['--max-generations', String(r.stop.maxGenerations)] : []),
  ];
  return [
    'train', '--optimizer', r.optimizer, '--preset', r.preset, '--target', r.target, '--seed', String(r.seed), ...stop,
    '--workers', String(r.workers), '--set', `checkpointEvery=${r.checkpointEvery}`, '--set', `evalEvery=${r.checkpointEvery}`,
    '--name', runName(r), '--json', '--workspace', workspace,
  ];
}

/** The recipe's run in the build workspace, trained or resumed until it stops by itself. */
export async function trainedRun(r: LabRecipe, workspace: string): Promise<RunRecord> {
  const store = new LabStore(workspace);
  const find = async () => (await store.listRuns()).find((run) => run.name === runName(r)) ?? null;
  const existing = await find();
  if (!existing) {
    console.log(`${r.id}: training ${r.optimizer} ${r.preset} on ${r.target}, seed ${r.seed}, ${r.workers} worker(s), in ${workspace} …`);
    await runCli(trainArgs(r, workspace));
  } else if (existing.status !== 'finished') {
    console.log(`${r.id}: resuming run ${existing.id} (${existing.status} at ${existing.progress.generation}) …`);
    await runCli(['resume', existing.id, '--workers', String(r.workers), '--json', '--workspace', workspace]);
  }
  const run = await find();
  if (!run) throw new Error(`${r.id}: the training left no run named ${runName(r)} in ${workspace}`);
  if (run.status !== 'finished') throw new Error(`${r.id}: run ${run.id} ended ${run.status}: ${run.statusReason ?? 'no reason given'}`);
  return run;
}

function candidateOf(m: LoadedModel, wallSeconds: number | null): Candidate {
  if (!m.target || m.generation === null) throw new Error(`${m.source}: not a trained model of a run (no target or generation)`);
  return { model: { nca: m.nca, params: m.params, target: m.target }, generation: m.generation, wallSeconds, source: m.source };
}

/** A run's final model and checkpoints, newest first. */
export async function runCandidates(store: LabStore, run: RunRecord): Promise<Candidate[]> {
  const out = [candidateOf(await store.loadModel(run.id), run.progress.wallSeconds)];
  for (const c of (await store.listCheckpoints(run.id)).reverse()) {
    if (c.generation === out[0].generation) continue;
    out.push(await fileCandidate(store, c.file));
  }
  return out;
}

async function fileCandidate(store: LabStore, file: string): Promise<Candidate> {
  const model = await store.loadModel(file);
  const wall = (await readCheckpointFile(file).catch(() => null))?.checkpoint.wallSeconds ?? null;
  return candidateOf(model, wall);
}

/**
 * `--from ID=SOURCE`: a run of the build workspace (its final model and checkpoints), RUN_ID@GENERATION (that
 * checkpoint), or a checkpoint file.
 */
export async function sourceCandidates(store: LabStore, source: string): Promise<Candidate[]> {
  const at = /^(.+)@(\d+)$/.exec(source);
  if (at && isValidRunId(at[1])) {
    const ckpt = (await store.listCheckpoints(at[1])).find((c) => c.generation === Number(at[2]));
    if (!ckpt) throw new Error(`run ${at[1]} has no checkpoint at ${at[2]}`);
    return [await fileCandidate(store, ckpt.file)];
  }
  if (isValidRunId(source)) return runCandidates(store, await store.getRun(source));
  return [await fileCandidate(store, source)];
}

/** The newest candidate that shows what the recipe's card claims; refuses (throws, naming why) when none does. */
export async function pickShipped(r: LabRecipe, candidates: Candidate[]): Promise<Shipped> {
  const refused: string[] = [];
  for (const candidate of candidates) {
    const measured = await measureModel(candidate.model);
    const problems = claimProblems(r.claims, measured);
    if (problems.length === 0) return { candidate, measured };
    refused.push(`  ${candidate.source} (generation ${candidate.generation}): ${problems.join('; ')}`);
  }
  throw new Error(`${r.id}: refused, no model shows what its card claims (${r.claims.shows.join(', ')}):\n${refused.join('\n')}`);
}
