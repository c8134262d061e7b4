/**
 * Argument validation for every channel (CONTRIBUTING.md, "Conventions": one schema per transmitted shape, validated at every
 * boundary). Arguments arrive from another process or a browser tab as plain JSON, so each channel's parser
 * turns `unknown[]` into its typed tuple or throws an Error whose message names the field and the allowed range.
 */
import {
  LAB_SETTINGS_LIMITS,
  MODEL_FILE_LIMITS,
  RUN_TEXT_LIMITS,
  TARGET_IMPORT_LIMITS,
  type CreateRunRequest,
  type ForkRunRequest,
  type ComputeSettings,
  type LabSettings,
  type EvaluationStripRequest,
  type MetricsRequest,
  type ModelFilesRequest,
  type ModelParamsRequest,
  type ModelRef,
  type RunTargetImage,
  type TargetImportRequest,
} from './lab-api';
import type { ChannelArgs, LabChannel } from './ipc';
import { parseClusterUrl } from './cluster-url';
import { configProblems, type RunConfig } from './training-config';
import { isOptimizer, optimizerChoicesText } from './optimizers';
import { parseExperimentId, parseExperimentRunRequest } from './experiment';
import { parseFigureFileName, parseReproduceRequest, parseStudyId } from './reproduce';
import { describeValue, hasControlCharacters, isRecord } from './validate';
import { isModelFileFormat, isValidModelId, MODEL_FILE_FORMATS, type ModelFileFormat } from './model-source';
import { parseSweepId, parseSweepRequest } from './sweep';
import { counted } from './words';

export type ArgParsers = { [C in LabChannel]: (args: unknown[]) => ChannelArgs<C> };

export const LAB_ARG_PARSERS: ArgParsers = {
  'system:info': (args) => noArgs('system:info', args),
  'targets:list': (args) => noArgs('targets:list', args),
  'targets:import': (args) => {
    expectCount('targets:import', args, 1);
    return [parseTargetImportRequest(args[0])];
  },
  'targets:rename': (args) => {
    expectCount('targets:rename', args, 2);
    return [parseImportedTargetId('targets.rename: id', args[0]), parseRunName('targets.rename: name', args[1])];
  },
  'targets:delete': (args) => {
    expectCount('targets:delete', args, 1);
    return [parseImportedTargetId('targets.delete: id', args[0])];
  },
  'runs:list': (args) => noArgs('runs:list', args),
  'runs:get': (args) => runIdOnly('runs:get', args),
  'runs:create': (args) => {
    expectCount('runs:create', args, 1);
    return [parseCreateRunRequest(args[0])];
  },
  'runs:resume': (args) => runIdOnly('runs:resume', args),
  'runs:pause': (args) => runIdOnly('runs:pause', args),
  'runs:stop': (args) => runIdOnly('runs:stop', args),
  'runs:delete': (args) => runIdOnly('runs:delete', args),
  'runs:fork': (args) => {
    expectCount('runs:fork', args, 1);
    return [parseForkRunRequest(args[0])];
  },
  'runs:metrics': (args) => {
    expectCount('runs:metrics', args, 1);
    return [parseMetricsRequest(args[0])];
  },
  'runs:checkpoints': (args) => runIdOnly('runs:checkpoints', args),
  'runs:evaluationStrip': (args) => {
    expectCount('runs:evaluationStrip', args, 1);
    return [parseEvaluationStripRequest(args[0])];
  },
  'runs:target': (args) => runIdOnly('runs:target', args),
  'runs:rename': (args) => {
    expectCount('runs:rename', args, 2);
    return [parseRunId('runs.rename: runId', args[0]), parseRunName('runs.rename: name', args[1])];
  },
  'runs:setTags': (args) => {
    expectCount('runs:setTags', args, 2);
    return [parseRunId('runs.setTags: runId', args[0]), parseTagList('runs.setTags: tags', args[1])];
  },
  'runs:setNotes': (args) => {
    expectCount('runs:setNotes', args, 2);
    return [parseRunId('runs.setNotes: runId', args[0]), parseNotes('runs.setNotes: notes', args[1])];
  },
  'models:params': (args) => {
    expectCount('models:params', args, 1);
    return [parseModelParamsRequest(args[0])];
  },
  'models:list': (args) => noArgs('models:list', args),
  'models:open': (args) => {
    expectCount('models:open', args, 1);
    return [parseModelFilesRequest(args[0])];
  },
  'models:library': (args) => noArgs('models:library', args),
  'models:openLibrary': (args) => {
    expectCount('models:openLibrary', args, 1);
    return [parseModelId('models.openLibrary: id', args[0])];
  },
  'models:import': (args) => {
    expectCount('models:import', args, 1);
    return [parseModelFilesRequest(args[0], 'models.import')];
  },
  'models:remove': (args) => {
    expectCount('models:remove', args, 1);
    return [parseModelId('models.remove: id', args[0])];
  },
  'models:export': (args) => {
    expectCount('models:export', args, 2);
    return [parseModelRef(args[0], 'models.export'), parseModelFileFormat(args[1], 'models.export: format')];
  },
  'settings:get': (args) => noArgs('settings:get', args),
  'settings:update': (args) => {
    expectCount('settings:update', args, 1);
    return [parseSettingsPatch(args[0])];
  },
  'cluster:test': (args) => {
    expectCount('cluster:test', args, 1);
    return [parseClusterUrlArg('cluster.test: url', args[0])];
  },
  'experiments:run': (args) => {
    expectCount('experiments:run', args, 1);
    return [parseExperimentRunRequest(args[0])];
  },
  'experiments:cancel': (args) => {
    expectCount('experiments:cancel', args, 1);
    return [parseExperimentId(args[0], 'experiments.cancel: id')];
  },
  'experiments:list': (args) => noArgs('experiments:list', args),
  'experiments:get': (args) => {
    expectCount('experiments:get', args, 1);
    return [parseExperimentId(args[0], 'experiments.get: id')];
  },
  'experiments:reproduce': (args) => {
    expectCount('experiments:reproduce', args, 1);
    return [parseReproduceRequest(args[0])];
  },
  'experiments:cancelReproduce': (args) => {
    expectCount('experiments:cancelReproduce', args, 1);
    return [parseStudyId(args[0], 'experiments.cancelReproduce: id')];
  },
  'experiments:reproductions': (args) => noArgs('experiments:reproductions', args),
  'experiments:reproduceIndex': (args) => {
    expectCount('experiments:reproduceIndex', args, 1);
    return [parseStudyId(args[0], 'experiments.reproduceIndex: id')];
  },
  'experiments:reproduceFile': (args) => {
    expectCount('experiments:reproduceFile', args, 2);
    return [parseStudyId(args[0], 'experiments.reproduceFile: id'), parseFigureFileName(args[1], 'experiments.reproduceFile: file')];
  },
  'sweeps:plan': (args) => {
    expectCount('sweeps:plan', args, 1);
    return [parseSweepRequest(args[0], 'sweeps.plan')];
  },
  'sweeps:start': (args) => {
    expectCount('sweeps:start', args, 1);
    return [parseSweepRequest(args[0], 'sweeps.start')];
  },
  'sweeps:resume': (args) => sweepIdOnly('sweeps:resume', args),
  'sweeps:pause': (args) => sweepIdOnly('sweeps:pause', args),
  'sweeps:list': (args) => noArgs('sweeps:list', args),
  'sweeps:get': (args) => sweepIdOnly('sweeps:get', args),
};

function sweepIdOnly(channel: LabChannel, args: unknown[]): [string] {
  expectCount(channel, args, 1);
  return [parseSweepId(args[0], `${channel.replace(':', '.')}: id`)];
}

/** Validates the channel's arguments; the channel name itself must already be known. */
export function parseChannelArgs<C extends LabChannel>(channel: C, args: unknown): ChannelArgs<C> {
  if (!Array.isArray(args)) throw new Error(`${channel}: arguments must be a list, got ${describeValue(args)}`);
  return LAB_ARG_PARSERS[channel](args) as ChannelArgs<C>;
}

export function parseTargetImportRequest(value: unknown): TargetImportRequest {
  const where = 'targets.import';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${where}: expected an object {name, bytesBase64, size, padding}, got ${describeValue(value)}`);
  }
  const v = value as Record<string, unknown>;
  const { size, padding, maxBytes, nameMaxLength } = TARGET_IMPORT_LIMITS;
  if (typeof v.name !== 'string' || v.name.trim() === '' || v.name.length > nameMaxLength) {
    throw new Error(`${where}: name must be a non-empty file name of at most ${nameMaxLength} characters`);
  }
  if (typeof v.bytesBase64 !== 'string' || v.bytesBase64.length === 0) {
    throw new Error(`${where}: bytesBase64 must be the file's bytes in base64; got ${describeValue(v.bytesBase64)}`);
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v.bytesBase64) || v.bytesBase64.length % 4 !== 0) {
    throw new Error(`${where}: bytesBase64 is not valid base64`);
  }
  // 4 base64 characters carry 3 bytes; checked before decoding so a huge string is refused cheaply
  if ((v.bytesBase64.length / 4) * 3 > maxBytes + 2) {
    throw new Error(`${where}: the file is larger than ${maxBytes / (1024 * 1024)} MB`);
  }
  if (v.keep !== undefined && typeof v.keep !== 'boolean') throw new Error(`${where}: keep must be true or false, got ${describeValue(v.keep)}`);
  return {
    name: v.name,
    bytesBase64: v.bytesBase64,
    size: intInRange(`${where}: size`, v.size, size.min, size.max),
    padding: intInRange(`${where}: padding`, v.padding, padding.min, padding.max),
    ...(v.keep !== undefined ? { keep: v.keep } : {}),
  };
}

// ---- runs ----

/** A run id as the store names run folders: letters, digits, '.', '_' and '-' (the store checks the rest). */
/** An imported target's id: the image's file name in the workspace's targets/ folder, never a path. */
export function parseImportedTargetId(field: string, value: unknown): string {
  if (typeof value !== 'string' || !isImportedTargetId(value)) {
    throw new Error(`${field} must be an imported target's id (its file name: letters, digits, '.', '_' and '-'), got ${describeValue(value)}`);
  }
  return value;
}

/**
 * The one rule for an imported target's id (the image's file name in targets/): the import makes ids by it
 * (services/targets/imported-targets.ts), and rename and delete take exactly those.
 */
export function isImportedTargetId(value: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(value) && !value.includes('..');
}

export function parseRunId(field: string, value: unknown): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(value) || value.includes('..')) {
    throw new Error(`${field} must be a run id (letters, digits, '.', '_' and '-'), got ${describeValue(value)}`);
  }
  return value;
}

export function parseRunName(field: string, value: unknown): string {
  const max = RUN_TEXT_LIMITS.nameMaxLength;
  if (typeof value !== 'string' || value.trim() === '' || value.length > max || hasControlCharacters(value)) {
    throw new Error(`${field} must be a non-empty name of at most ${max} characters without control characters (tabs, new lines), got ${describeValue(value)}`);
  }
  return value.trim();
}

/** Tags: trimmed, non-empty, unique, at most `maxTags` of at most `tagMaxLength` characters. */
export function parseTagList(field: string, value: unknown): string[] {
  const { maxTags, tagMaxLength } = RUN_TEXT_LIMITS;
  if (!Array.isArray(value)) throw new Error(`${field} must be a list of tags, got ${describeValue(value)}`);
  const out: string[] = [];
  for (const t of value) {
    if (typeof t !== 'string' || t.trim() === '' || t.trim().length > tagMaxLength || hasControlCharacters(t)) {
      throw new Error(`${field}: each tag must be a word of 1 to ${tagMaxLength} characters, got ${describeValue(t)}`);
    }
    if (!out.includes(t.trim())) out.push(t.trim());
  }
  if (out.length > maxTags) throw new Error(`${field}: at most ${maxTags} tags, got ${out.length}`);
  return out;
}

export function parseNotes(field: string, value: unknown): string {
  const max = RUN_TEXT_LIMITS.notesMaxLength;
  if (typeof value !== 'string' || value.length > max) throw new Error(`${field} must be text of at most ${max} characters, got ${describeValue(value)}`);
  return value;
}

/** A full run config from outside, checked by its rows (run-config/validate.ts: the shape first, then every field and rule). */
export function parseRunConfig(where: string, value: unknown): RunConfig {
  if (!isRecord(value)) throw new Error(`${where}: config must be an object, got ${describeValue(value)}`);
  const v = value as Record<string, unknown>;
  if (!isOptimizer(v.optimizer)) throw new Error(`${where}: config.optimizer must be ${optimizerChoicesText()}, got ${describeValue(v.optimizer)}`);
  if (typeof v.preset !== 'string' || v.preset === '' || v.preset.length > RUN_TEXT_LIMITS.nameMaxLength || hasControlCharacters(v.preset)) {
    throw new Error(`${where}: config.preset must name the preset it started from (at most ${RUN_TEXT_LIMITS.nameMaxLength} characters), got ${describeValue(v.preset)}`);
  }
  const config = value as unknown as RunConfig;
  const problems = configProblems(config);
  if (problems.length > 0) throw new Error(`${where}: config.${problems[0].field}: ${problems[0].message}`);
  return config;
}

function parseTargetImage(where: string, value: unknown): RunTargetImage {
  if (!isRecord(value)) throw new Error(`${where}: targetImage must be {fileName, bytesBase64}, got ${describeValue(value)}`);
  const v = value as Record<string, unknown>;
  // the same checks as an import of the same file
  const checked = parseTargetImportRequest({ name: v.fileName, bytesBase64: v.bytesBase64, size: 1, padding: 0 });
  return { fileName: checked.name, bytesBase64: checked.bytesBase64 };
}

export function parseCreateRunRequest(value: unknown): CreateRunRequest {
  const where = 'runs.create';
  if (!isRecord(value)) throw new Error(`${where}: expected an object {config, name?, tags?, notes?, targetImage?, start?}, got ${describeValue(value)}`);
  const v = value as Record<string, unknown>;
  const out: CreateRunRequest = { config: parseRunConfig(where, v.config) };
  // a window names models the workspace knows; a file from disk is imported into its models first (models.import)
  if (out.config.startFrom?.kind === 'file') throw new Error(`${where}: config.startFrom.kind: must be "run" or "library" (import a model file first), got "file"`);
  if (v.name !== undefined && v.name !== '') out.name = parseRunName(`${where}: name`, v.name);
  if (v.tags !== undefined) out.tags = parseTagList(`${where}: tags`, v.tags);
  if (v.notes !== undefined) out.notes = parseNotes(`${where}: notes`, v.notes);
  if (v.targetImage !== undefined) out.targetImage = parseTargetImage(where, v.targetImage);
  if (v.start !== undefined) out.start = parseBool(`${where}: start`, v.start);
  return out;
}

export function parseForkRunRequest(value: unknown): ForkRunRequest {
  const where = 'runs.fork';
  if (!isRecord(value)) throw new Error(`${where}: expected an object {runId, generation, config?, name?, tags?, start?}, got ${describeValue(value)}`);
  const v = value as Record<string, unknown>;
  const out: ForkRunRequest = {
    runId: parseRunId(`${where}: runId`, v.runId),
    generation: intInRange(`${where}: generation`, v.generation, 0, Number.MAX_SAFE_INTEGER),
  };
  if (v.config !== undefined) out.config = parseRunConfig(where, v.config);
  if (v.name !== undefined && v.name !== '') out.name = parseRunName(`${where}: name`, v.name);
  if (v.tags !== undefined) out.tags = parseTagList(`${where}: tags`, v.tags);
  if (v.start !== undefined) out.start = parseBool(`${where}: start`, v.start);
  return out;
}

export function parseMetricsRequest(value: unknown): MetricsRequest {
  const where = 'runs.metrics';
  if (!isRecord(value)) throw new Error(`${where}: expected an object {runId, maxPoints?}, got ${describeValue(value)}`);
  const v = value as Record<string, unknown>;
  const out: MetricsRequest = { runId: parseRunId(`${where}: runId`, v.runId) };
  const { min, max } = RUN_TEXT_LIMITS.metricsMaxPoints;
  if (v.maxPoints !== undefined) out.maxPoints = intInRange(`${where}: maxPoints`, v.maxPoints, min, max);
  return out;
}

export function parseEvaluationStripRequest(value: unknown): EvaluationStripRequest {
  const where = 'runs.evaluationStrip';
  if (!isRecord(value)) throw new Error(`${where}: expected an object {runId, generation?}, got ${describeValue(value)}`);
  const v = value as Record<string, unknown>;
  const out: EvaluationStripRequest = { runId: parseRunId(`${where}: runId`, v.runId) };
  if (v.generation !== undefined) out.generation = intInRange(`${where}: generation`, v.generation, 1, Number.MAX_SAFE_INTEGER);
  return out;
}

export function parseModelParamsRequest(value: unknown): ModelParamsRequest {
  const where = 'models.params';
  if (!isRecord(value)) throw new Error(`${where}: expected an object {runId, generation?}, got ${describeValue(value)}`);
  const v = value as Record<string, unknown>;
  const out: ModelParamsRequest = { runId: parseRunId(`${where}: runId`, v.runId) };
  if (v.generation !== undefined) out.generation = intInRange(`${where}: generation`, v.generation, 0, Number.MAX_SAFE_INTEGER);
  return out;
}

/**
 * What is wrong with a pick of model files before any is read (the playground's "Open model files…"): too many,
 * or together larger than MODEL_FILE_LIMITS.maxBytes, with the sizes named; null when it is fine to read them.
 */
export function modelFilesProblem(files: readonly { name: string; size: number }[]): string | null {
  const { maxFiles, maxBytes } = MODEL_FILE_LIMITS;
  if (files.length > maxFiles) return `Pick one exported model (.nca-model.json), a model folder's model.json and weights.bin, or one checkpoint file (${files.length} files picked).`;
  const total = files.reduce((n, f) => n + f.size, 0);
  if (total <= maxBytes) return null;
  const mb = (b: number) => `${(b / (1024 * 1024)).toFixed(1)} MB`;
  return `${files.map((f) => `${f.name} (${mb(f.size)})`).join(' + ')} ${files.length === 1 ? 'is' : 'are'} larger than the ` +
    `${maxBytes / (1024 * 1024)} MB the playground opens; load the run from the list above instead, or grow it with \`nca-lab grow\`.`;
}

/** Model files from the user's disk: one or two plain file names with base64 bytes, within the size limit. */
export function parseModelFilesRequest(value: unknown, where = 'models.open'): ModelFilesRequest {
  const { maxFiles, maxBytes, nameMaxLength } = MODEL_FILE_LIMITS;
  if (!isRecord(value) || !Array.isArray(value.files)) throw new Error(`${where}: expected an object {files: [{name, bytesBase64}]}, got ${describeValue(value)}`);
  if (value.files.length === 0 || value.files.length > maxFiles) {
    throw new Error(`${where}: pick one exported model (.nca-model.json), a model folder's model.json and weights.bin, or one checkpoint file (${value.files.length} files given)`);
  }
  let total = 0;
  const files = value.files.map((f, i) => {
    if (!isRecord(f)) throw new Error(`${where}: files[${i}] must be {name, bytesBase64}, got ${describeValue(f)}`);
    const name = f.name;
    if (typeof name !== 'string' || name.trim() === '' || name.length > nameMaxLength || /[\\/]/.test(name) || hasControlCharacters(name) || name === '.' || name === '..') {
      throw new Error(`${where}: files[${i}].name must be a plain file name of at most ${nameMaxLength} characters, got ${describeValue(name)}`);
    }
    const b = f.bytesBase64;
    if (typeof b !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(b) || b.length % 4 !== 0) throw new Error(`${where}: files[${i}].bytesBase64 is not valid base64`);
    total += (b.length / 4) * 3;
    return { name, bytesBase64: b };
  });
  if (total > maxBytes + 4) throw new Error(`${where}: the files are larger than ${maxBytes / (1024 * 1024)} MB together`);
  if (new Set(files.map((f) => f.name)).size !== files.length) throw new Error(`${where}: two files have the same name`);
  return { files };
}

/** A built-in or imported model's id (its folder name). */
export function parseModelId(where: string, value: unknown): string {
  if (!isValidModelId(value)) throw new Error(`${where} must be a model id (lower-case letters, digits, ".", "_" and "-", at most 80), got ${describeValue(value)}`);
  return value;
}

/** {kind: "run", runId, generation?} or {kind: "library", id}. */
export function parseModelRef(value: unknown, where: string): ModelRef {
  if (!isRecord(value)) throw new Error(`${where}: expected {kind: "run", runId, generation?} or {kind: "library", id}, got ${describeValue(value)}`);
  if (value.kind === 'library') return { kind: 'library', id: parseModelId(`${where}: id`, value.id) };
  if (value.kind !== 'run') throw new Error(`${where}: kind must be "run" or "library", got ${describeValue(value.kind)}`);
  const out: ModelRef = { kind: 'run', runId: parseRunId(`${where}: runId`, value.runId) };
  if (value.generation !== undefined) out.generation = intInRange(`${where}: generation`, value.generation, 0, Number.MAX_SAFE_INTEGER);
  return out;
}

export function parseModelFileFormat(value: unknown, where: string): ModelFileFormat {
  if (!isModelFileFormat(value)) throw new Error(`${where} must be ${MODEL_FILE_FORMATS.map((f) => `"${f}"`).join(' or ')}, got ${describeValue(value)}`);
  return value;
}

export function parseSettingsPatch(value: unknown): Partial<LabSettings> {
  const where = 'settings.update';
  if (!isRecord(value)) throw new Error(`${where}: expected an object, got ${describeValue(value)}`);
  const v = value as Record<string, unknown>;
  const known = Object.keys(LAB_SETTINGS_LIMITS);
  for (const key of Object.keys(v)) {
    if (!known.includes(key)) throw new Error(`${where}: unknown setting "${key}" (settings: ${known.join(', ')})`);
  }
  const out: Partial<LabSettings> = {};
  const { min, max } = LAB_SETTINGS_LIMITS.maxConcurrentRuns;
  if (v.maxConcurrentRuns !== undefined) out.maxConcurrentRuns = intInRange(`${where}: maxConcurrentRuns`, v.maxConcurrentRuns, min, max);
  if (v.compute !== undefined) out.compute = parseComputeSettings(`${where}: compute`, v.compute);
  return out;
}

/** Settings → Compute: this computer's cores and/or a cluster URL, at least one of them. */
export function parseComputeSettings(where: string, value: unknown): ComputeSettings {
  if (!isRecord(value)) throw new Error(`${where}: expected an object, got ${describeValue(value)}`);
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v)) {
    if (key !== 'localCores' && key !== 'cluster') throw new Error(`${where}: unknown field "${key}" (fields: localCores, cluster)`);
  }
  const localCores = parseBool(`${where}.localCores`, v.localCores);
  const cluster = v.cluster === null ? null : parseClusterUrlArg(`${where}.cluster`, v.cluster);
  if (!localCores && cluster === null) throw new Error(`${where}: choose this computer's cores, a cluster, or both`);
  return { localCores, cluster };
}

function parseClusterUrlArg(field: string, value: unknown): string {
  const max = LAB_SETTINGS_LIMITS.compute.clusterUrlMaxLength;
  if (typeof value !== 'string' || value.trim() === '' || value.length > max) {
    throw new Error(`${field} must be a redis:// or rediss:// URL of at most ${max} characters, got ${describeValue(value)}`);
  }
  try {
    return parseClusterUrl(value).url;
  } catch (err) {
    throw new Error(`${field}: ${(err as Error).message}`, { cause: err });
  }
}

function runIdOnly(channel: LabChannel, args: unknown[]): [string] {
  expectCount(channel, args, 1);
  return [parseRunId(`${channel.replace(':', '.')}: runId`, args[0])];
}

function parseBool(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new Error(`${field} must be true or false, got ${describeValue(value)}`);
  return value;
}


function noArgs(channel: LabChannel, args: unknown[]): [] {
  expectCount(channel, args, 0);
  return [];
}

function expectCount(channel: LabChannel, args: unknown[], n: number): void {
  if (args.length !== n) throw new Error(`${channel}: expected ${counted(n, 'argument')}, got ${args.length}`);
}

function intInRange(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${field} must be an integer from ${min} to ${max}, got ${describeValue(value)}`);
  }
  return value;
}

