/**
 * `nca-lab train`: creates a run from a preset (every field editable with flags or --set) and trains it with
 * ES on every core or with Adam in a worker process, printing a progress bar (or one JSON event per line with
 * --json). Ctrl-C stops the run cleanly (checkpoint and model first); a second Ctrl-C exits at once, and the
 * run stays resumable from its last checkpoint.
 */
import { LabStore, type StartParams } from '../../services/store/lab-store';
import { resolveStartModel, startModelOfSpec } from '../../services/models/start-model';
import { sameShape, shapeText, startShapeRefusal } from '../../shared/start-model';
import { messageOf } from '../../shared/validate';
import { resolveWorkspaceDir } from '../../services/store/workspace-path';
import { listBuiltinTargets } from '../../services/targets/targets';
import {
  configFromPreset, fieldByPath, withFieldText, validateRunConfig, PRESETS, RUN_CONFIG_FIELDS, ConfigError, type RunConfig,
} from '../../shared/training-config';
import { UsageError, type Command } from '../command';
import { parseCommandArgs, expectPositionals, integerFlag } from '../flags';
import { followTraining } from '../follow-training';
import { checkClusterFlag, clusterAddressFlag } from '../cluster-flag';
import { nodeBackendProblem } from '../../services/compute/backend';
import { parseRunName } from '../../shared/ipc-schema';
import { resolveEngine } from '../../services/compute/engine-choice';
import { OPTIMIZERS, OPTIMIZER_IDS, isOptimizer, optimizerOf } from '../../shared/optimizers';

/** The settings with flags of their own (`--seed N`, the rows' `flags`): parsed and checked by their rows like --set. */
export const CONFIG_FLAGS = RUN_CONFIG_FIELDS.filter((f) => f.flags?.length);


export const trainCommand: Command = {
  summary: 'train an NCA on a target with ES (all cores) or Adam; progress bar or --json events',
  usage: `nca-lab train --optimizer ${OPTIMIZER_IDS.join('|')} [--preset NAME] --target NAME|FILE [flags] [--json] [--workspace DIR]

Creates a run in the workspace from a preset and trains it. While the workspace's "Runs at once" (the Runs
page's setting, shared by the window, nca-lab serve and every train, resume and sweep) are all training, it
waits its turn and says for which runs. Every hyperparameter can be changed:

  --optimizer NAME        ${OPTIMIZER_IDS.map((id) => `${id} (${OPTIMIZERS[id].label})`).join(', ')}; default: the preset's
  --preset NAME           ${PRESETS.map((p) => p.name).join(', ')}
                          (default ${OPTIMIZER_IDS.map((id) => `${OPTIMIZERS[id].defaultPreset} for ${id}`).join(', ')})
  --target NAME|FILE      a built-in (carrot-9, rabbit-15, lizard-40, …) or a PNG/JPEG/WebP file
  --size N, --padding P   target size and zero padding (a file needs --size)
  --seed N                master seed (every random number of the run derives from it)
  --workers N             ES worker processes (default: one per core); with --cluster, this computer's
                          processes that join the cluster (0: only the cluster's workers)
  --cluster URL           evaluate ES on a cluster: redis://[:password@]host[:port] or rediss://… (TLS);
                          every \`nca-lab worker --redis URL\` on it takes slices (docs/guide.md, docs/scale-out.md)
  --max-generations N     stop after N generations (ES) or iterations (Adam); --max-iterations is the same
  --max-seconds S         stop after S seconds of training
  --target-loss X         stop when the 40-step growth loss reaches X
  --set PATH=VALUE        any config field, e.g. --set es.population=40 --set es.sigma=0.02 (repeatable);
                          a choice names its values: --set adam.schedule.kind=piecewise
  --from MODEL            fine-tune: start from a model's parameters instead of a fresh initialisation
                          (the optimizer's own state starts fresh): a run id (its model), RUN_ID@GENERATION
                          (a checkpoint), a built-in or imported model id, or a model folder, model.json or
                          checkpoint file. The run takes the model's shape (channels, hidden, biases) unless
                          --set gives one, which must then match; the parameters are copied into the run
  --name NAME             a name for the run (default: derived from preset and target)
  --backend NAME          force the workers' tfjs backend (tensorflow, wasm, cpu)
  --engine auto|wasm|webgpu  what computes the run (config.engine, default auto): the GPU through WebGPU when
                          there is a real GPU adapter (\`nca-lab info\` lists them), else the CPU's WebAssembly
                          SIMD engine; webgpu without a usable adapter is an error naming what was found
  --json                  one JSON progress event per line, then a summary {runId, status, …}`,

  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      optimizer: { type: 'string' },
      preset: { type: 'string' },
      target: { type: 'string' },
      // --workers is also a session flag (this computer's processes); ES records it as es.workers
      workers: { type: 'string' },
      ...Object.fromEntries(CONFIG_FLAGS.flatMap((f) => f.flags!.map((flag) => [flag, { type: 'string' as const }]))),
      set: { type: 'string', multiple: true },
      name: { type: 'string' },
      backend: { type: 'string' },
      engine: { type: 'string' },
      cluster: { type: 'string' },
      from: { type: 'string' },
      json: { type: 'boolean' },
    });
    expectPositionals(positionals, []);
    // every flag is checked before the run is created: a refused command leaves no queued run behind
    let config = buildConfig(values);
    const backend = backendFlag(values.backend);
    const workers = integerFlag('workers', values.workers, 0, 1024);
    const name = values.name === undefined ? undefined : runNameFlag(values.name);
    if (values.cluster !== undefined) {
      clusterAddressFlag('--cluster', values.cluster);
      if (!optimizerOf(config).population) throw new UsageError(`--cluster: only a population is evaluated on a cluster; ${optimizerOf(config).label} runs have none`);
      if (config.engine === 'webgpu') throw new UsageError('--cluster: the cluster\'s workers compute on their CPUs; --engine webgpu computes on this machine\'s GPU (use auto or wasm)');
    }
    // a run that asks for the GPU where there is none is refused before it exists (the session would fail it)
    if (config.engine === 'webgpu' && values.cluster === undefined) await resolveEngine('webgpu');
    // so is one forced onto a backend that does not load here, or sent to a cluster that does not answer
    if (backend !== undefined) await backendLoads(backend);
    if (values.cluster !== undefined) await checkClusterFlag('--cluster', values.cluster);
    const workspace = resolveWorkspaceDir(values.workspace);
    const store = new LabStore(workspace);
    let startModel: StartParams | undefined;
    if (values.from !== undefined) {
      const start = await startFromFlag(store, config, values);
      ({ config, startModel } = start);
      if (start.note && !values.json) io.err(start.note);
    }
    const run = await store.createRun(config, { name, backend: null, ...(startModel ? { startModel } : {}) });
    return followTraining({ io, workspace, runId: run.id, json: !!values.json, backend, workers, created: true, cluster: values.cluster });
  },
};

type TrainFlags = Record<string, string | string[] | boolean | undefined>;


const SHAPE_FIELDS = ['channels', 'hidden', 'bias1', 'bias2'] as const;

/**
 * --from MODEL: the model resolved in the workspace and its parameters, the config recording it. The run takes
 * the model's shape unless --set gave a shape field; then a mismatch is refused naming both shapes.
 */
export async function startFromFlag(store: LabStore, config: RunConfig, values: TrainFlags): Promise<{ config: RunConfig; startModel: StartParams; note: string }> {
  const spec = values.from as string;
  if (spec.trim() === '') throw new UsageError('--from needs a run id, RUN_ID@GENERATION, a model id or a model file');
  const next = structuredClone(config);
  try {
    const resolved = await resolveStartModel(store, await startModelOfSpec(store, spec));
    next.startFrom = resolved.from;
    let note = `starting from ${resolved.from.label}`;
    if (!SHAPE_FIELDS.some((k) => hasSetFlag(values, `model.${k}`)) && !sameShape(resolved.nca, next.model)) {
      note += `: the run takes its model's shape (${shapeText(resolved.nca)}) instead of the preset's (${shapeText(next.model)})`;
      const { channels, hidden, bias1, bias2 } = resolved.nca;
      Object.assign(next.model, { channels, hidden, bias1, bias2 });
    }
    const refusal = startShapeRefusal(resolved.from.label, resolved.nca, next.model);
    if (refusal) throw new Error(refusal);
    return { config: validateRunConfig(next), startModel: { nca: resolved.nca, params: resolved.params }, note };
  } catch (err) {
    throw new UsageError(`--from ${spec}: ${messageOf(err)}`);
  }
}

/** The tfjs backends a Node worker can run (webgl needs a browser). */
export const NODE_BACKEND_NAMES = ['tensorflow', 'wasm', 'cpu'] as const;

/** A forced backend that does not load in this process would fail every worker: refused before anything is made. */
export async function backendLoads(name: string): Promise<void> {
  const problem = await nodeBackendProblem(name);
  if (problem) throw new Error(`--backend ${name} cannot be used here: ${problem}; nothing was created`);
}

/** --name: a run name as the window takes it (length and characters, shared/ipc-schema.ts). */
export function runNameFlag(text: string): string {
  try {
    return parseRunName('--name', text);
  } catch (err) {
    throw new UsageError(messageOf(err));
  }
}

/** --backend: one of NODE_BACKEND_NAMES, or undefined for the default choice. */
export function backendFlag(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!(NODE_BACKEND_NAMES as readonly string[]).includes(value)) {
    throw new UsageError(`--backend must be one of ${NODE_BACKEND_NAMES.join(', ')}, got "${value}"`);
  }
  return value;
}

function hasSetFlag(values: TrainFlags, path: string): boolean {
  return ((values.set as string[] | undefined) ?? []).some((item) => item.slice(0, item.indexOf('=')).trim() === path);
}

/** Preset + flags → a validated config; errors name the flag/field and the allowed range. */
export function buildConfig(values: TrainFlags): RunConfig {
  const optimizer = values.optimizer as string | undefined;
  if (optimizer !== undefined && !isOptimizer(optimizer)) {
    throw new UsageError(`--optimizer must be ${OPTIMIZER_IDS.join(' or ')}, got "${optimizer}"`);
  }
  const presetName = (values.preset as string | undefined) ?? OPTIMIZERS[optimizer ?? 'es'].defaultPreset;
  let config: RunConfig;
  try {
    config = configFromPreset(presetName);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (optimizer && config.optimizer !== optimizer) {
    throw new UsageError(`preset ${presetName} is an ${config.optimizer} preset, but --optimizer is ${optimizer}`);
  }
  const assign = (path: string, text: string, flag: string) => {
    if (!fieldByPath(path)) throw new UsageError(`--${flag}: unknown field ${path}`);
    try {
      config = withFieldText(config, path, text);
    } catch (err) {
      throw new UsageError(`--${flag}: ${(err as Error).message}`);
    }
  };
  if (typeof values.target === 'string') {
    config.target.name = values.target;
    // a built-in brings its own size and padding unless they are given
    const builtin = listBuiltinTargets().find((t) => t.name === values.target);
    if (builtin) {
      config.target.size = builtin.size;
      config.target.padding = builtin.padding;
    } else {
      if (values.padding === undefined) config.target.padding = 0;
      // an image file has no size of its own here: without --size the preset's would be used silently
      if (values.size === undefined && !hasSetFlag(values, 'target.size') && /[\\/]|\.(png|jpe?g|webp)$/i.test(values.target)) {
        throw new UsageError(`--target ${values.target}: an image file needs --size N ` +
          '(the thesis used 9 and 15, Mordvintsev 40)');
      }
    }
  }
  for (const f of CONFIG_FLAGS) {
    // another optimizer's setting (ES records --workers as es.workers; Adam takes it for the session only)
    if (f.optimizer && f.optimizer !== config.optimizer) continue;
    const flag = f.flags!.find((name) => typeof values[name] === 'string');
    if (flag) assign(f.path, values[flag] as string, flag);
  }
  for (const item of (values.set as string[] | undefined) ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set expects PATH=VALUE, got "${item}"`);
    const path = item.slice(0, eq).trim();
    const text = item.slice(eq + 1);
    if (path === 'target.name') { config.target.name = text; continue; }
    assign(path, text, 'set');
  }
  try {
    return validateRunConfig(config);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(`invalid configuration: ${err.message}`);
    throw err;
  }
}
