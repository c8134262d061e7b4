/**
 * `nca-lab resume RUN_ID`: continues a run from its latest checkpoint (interrupted, stopped, paused, failed
 * or finished with a raised limit). Every random number derives from (seed, generation), so the resumed run
 * follows exactly the trajectory an uninterrupted run would have.
 */
import { LabStore } from '../../services/store/lab-store';
import { resolveWorkspaceDir } from '../../services/store/workspace-path';
import { ConfigError, validateRunConfig, type RunConfig } from '../../shared/training-config';
import { runLockOwner } from '../../services/training/run-lock';
import { UsageError, type Command } from '../command';
import { expectPositionals, integerFlag, parseCommandArgs } from '../flags';
import { followTraining } from '../follow-training';
import { backendFlag, backendLoads } from './train';
import { ENGINE_CHOICES, isEngineChoice, type EngineChoice } from '../../shared/compute-engine';

export const resumeCommand: Command = {
  summary: 'continue a run from its latest checkpoint (same trajectory as an uninterrupted run)',
  usage: `nca-lab resume RUN_ID [--max-generations N] [--max-seconds S] [--workers N] [--backend NAME] [--engine auto|wasm|webgpu] [--json] [--workspace DIR]

  --max-generations N   raise (or set) the generation/iteration limit, e.g. to extend a finished run
  --max-seconds S       set the training-time limit (total, counted over all sessions)
  --workers N           ES worker processes for this session (default: the run's setting)
  --engine NAME         compute this session on auto, wasm or webgpu (default: the run's config.engine); a run
                        resumes bit-exactly on the engine and adapter it was trained on`,

  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      'max-generations': { type: 'string' },
      'max-iterations': { type: 'string' },
      'max-seconds': { type: 'string' },
      workers: { type: 'string' },
      backend: { type: 'string' },
      engine: { type: 'string' },
      json: { type: 'boolean' },
    });
    const [runId] = expectPositionals(positionals, ['RUN_ID']);
    const workspace = resolveWorkspaceDir(values.workspace);
    const store = new LabStore(workspace);
    const run = await store.getRun(runId);
    const maxGen = integerFlag('max-generations', values['max-generations'] ?? values['max-iterations'], 1, 1e9);
    const maxSec = integerFlag('max-seconds', values['max-seconds'], 1, 1e8);
    const workers = integerFlag('workers', values.workers, 0, 1024);
    const backend = backendFlag(values.backend);
    if (backend !== undefined) await backendLoads(backend);
    if (values.engine !== undefined && !isEngineChoice(values.engine)) throw new UsageError(`--engine must be one of ${ENGINE_CHOICES.join(', ')}, got "${values.engine}"`);
    // Everything is checked before anything is written, and the new limits are written only once the session
    // holds the run's lock (runTrainingSession): a refused resume, or one of a run another process trains,
    // leaves run.json as it was.
    let stop: RunConfig['stop'] | undefined;
    if (maxGen !== undefined || maxSec !== undefined) {
      stop = { ...run.config.stop };
      if (maxGen !== undefined) stop.maxGenerations = maxGen;
      if (maxSec !== undefined) stop.maxSeconds = maxSec;
      try {
        validateRunConfig({ ...structuredClone(run.config), stop });
      } catch (err) {
        if (err instanceof ConfigError) throw new UsageError(err.message);
        throw err;
      }
    }
    const limit = maxGen ?? run.config.stop.maxGenerations;
    // a run cut off after its last generation (still "running" or interrupted) resumes to record its end
    if (limit !== null && run.progress.generation >= limit && run.status === 'finished') {
      throw new UsageError(`run ${runId} is already at generation ${run.progress.generation} of ${limit}; raise --max-generations to continue`);
    }
    const owner = await runLockOwner(store.runDir(runId));
    if (owner !== null && owner !== process.pid) {
      throw new UsageError(`run ${runId} is being trained by process ${owner}; stop it there first (nothing was changed)`);
    }
    return followTraining({ io, workspace, runId, json: !!values.json, backend, workers, created: false, stop, engine: values.engine as EngineChoice | undefined });
  },
};
