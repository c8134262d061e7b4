/**
 * The one channel map (CONTRIBUTING.md, "Conventions"; typed IPC as in @electron-toolkit/typed-ipc): every request channel with its
 * argument tuple and result, every pushed event, and where each channel sits in LabApi. Electron main, the
 * preload, the browser bridge and its client all type-check against this file; no channel name is written
 * anywhere else.
 */
import type {
  CheckpointSummary,
  EvaluationStrip,
  EvaluationStripRequest,
  CreateRunRequest,
  ForkRunRequest,
  LabApi,
  LabErrorData,
  LabEventName,
  LabEvents,
  ClusterStatus,
  LabSettings,
  MetricPoint,
  MetricsRequest,
  LibraryModelInfo,
  ModelFileSet,
  ModelFilesRequest,
  ModelParams,
  ModelRef,
  ModelParamsRequest,
  ModelSummary,
  OpenedModel,
  RunInfo,
  RunListing,
  SystemInfo,
  TargetData,
  TargetImportRequest,
} from './lab-api';
import type { ExperimentResults, ExperimentRunRequest, ExperimentSummary } from './experiment';
import type { ModelFileFormat } from './model-source';
import type { FigureFile, FigureIndex, ReproduceOverview, ReproduceRequest } from './reproduce';
import type { SweepListing, SweepPlanInfo, SweepRecord, SweepRequest, SweepSummary } from './sweep';

export interface LabChannels {
  'system:info': { args: []; result: SystemInfo };
  'targets:list': { args: []; result: TargetData[] };
  'targets:import': { args: [TargetImportRequest]; result: TargetData };
  'targets:rename': { args: [string, string]; result: TargetData };
  'targets:delete': { args: [string]; result: void };
  'runs:list': { args: []; result: RunListing };
  'runs:get': { args: [string]; result: RunInfo };
  'runs:create': { args: [CreateRunRequest]; result: RunInfo };
  'runs:resume': { args: [string]; result: RunInfo };
  'runs:pause': { args: [string]; result: RunInfo };
  'runs:stop': { args: [string]; result: RunInfo };
  'runs:delete': { args: [string]; result: void };
  'runs:fork': { args: [ForkRunRequest]; result: RunInfo };
  'runs:metrics': { args: [MetricsRequest]; result: MetricPoint[] };
  'runs:checkpoints': { args: [string]; result: CheckpointSummary[] };
  'runs:evaluationStrip': { args: [EvaluationStripRequest]; result: EvaluationStrip | null };
  'runs:target': { args: [string]; result: TargetData };
  'runs:rename': { args: [string, string]; result: RunInfo };
  'runs:setTags': { args: [string, string[]]; result: RunInfo };
  'runs:setNotes': { args: [string, string]; result: RunInfo };
  'models:params': { args: [ModelParamsRequest]; result: ModelParams };
  'models:list': { args: []; result: ModelSummary[] };
  'models:open': { args: [ModelFilesRequest]; result: OpenedModel };
  'models:library': { args: []; result: LibraryModelInfo[] };
  'models:openLibrary': { args: [string]; result: OpenedModel };
  'models:import': { args: [ModelFilesRequest]; result: LibraryModelInfo[] };
  'models:remove': { args: [string]; result: void };
  'models:export': { args: [ModelRef, ModelFileFormat]; result: ModelFileSet };
  'settings:get': { args: []; result: LabSettings };
  'settings:update': { args: [Partial<LabSettings>]; result: LabSettings };
  'cluster:test': { args: [string]; result: ClusterStatus };
  'experiments:run': { args: [ExperimentRunRequest]; result: { id: string } };
  'experiments:cancel': { args: [string]; result: void };
  'experiments:list': { args: []; result: ExperimentSummary[] };
  'experiments:get': { args: [string]; result: ExperimentResults };
  'experiments:reproduce': { args: [ReproduceRequest]; result: { id: string } };
  'experiments:cancelReproduce': { args: [string]; result: void };
  'experiments:reproductions': { args: []; result: ReproduceOverview };
  'experiments:reproduceIndex': { args: [string]; result: FigureIndex };
  'experiments:reproduceFile': { args: [string, string]; result: FigureFile };
  'sweeps:plan': { args: [SweepRequest]; result: SweepPlanInfo };
  'sweeps:start': { args: [SweepRequest]; result: SweepSummary };
  'sweeps:resume': { args: [string]; result: SweepSummary };
  'sweeps:pause': { args: [string]; result: SweepSummary };
  'sweeps:list': { args: []; result: SweepListing };
  'sweeps:get': { args: [string]; result: SweepRecord };
}

export type LabChannel = keyof LabChannels;
export type ChannelArgs<C extends LabChannel> = LabChannels[C]['args'];
export type ChannelResult<C extends LabChannel> = LabChannels[C]['result'];

/** What a service implements: one async function per channel. */
export type LabHandlers = { [C in LabChannel]: (...args: ChannelArgs<C>) => Promise<ChannelResult<C>> };

/** LabApi's domains (everything but `on`) → method → channel. Preload and the bridge client build LabApi from it. */
export const LAB_API_ROUTES = {
  system: { info: 'system:info' },
  targets: { list: 'targets:list', import: 'targets:import', rename: 'targets:rename', delete: 'targets:delete' },
  runs: {
    list: 'runs:list',
    get: 'runs:get',
    create: 'runs:create',
    resume: 'runs:resume',
    pause: 'runs:pause',
    stop: 'runs:stop',
    delete: 'runs:delete',
    fork: 'runs:fork',
    metrics: 'runs:metrics',
    checkpoints: 'runs:checkpoints',
    evaluationStrip: 'runs:evaluationStrip',
    target: 'runs:target',
    rename: 'runs:rename',
    setTags: 'runs:setTags',
    setNotes: 'runs:setNotes',
  },
  models: {
    params: 'models:params',
    list: 'models:list',
    open: 'models:open',
    library: 'models:library',
    openLibrary: 'models:openLibrary',
    import: 'models:import',
    remove: 'models:remove',
    export: 'models:export',
  },
  settings: { get: 'settings:get', update: 'settings:update' },
  cluster: { test: 'cluster:test' },
  experiments: {
    run: 'experiments:run',
    cancel: 'experiments:cancel',
    list: 'experiments:list',
    get: 'experiments:get',
    reproduce: 'experiments:reproduce',
    cancelReproduce: 'experiments:cancelReproduce',
    reproductions: 'experiments:reproductions',
    reproduceIndex: 'experiments:reproduceIndex',
    reproduceFile: 'experiments:reproduceFile',
  },
  sweeps: { plan: 'sweeps:plan', start: 'sweeps:start', resume: 'sweeps:resume', pause: 'sweeps:pause', list: 'sweeps:list', get: 'sweeps:get' },
} as const satisfies { [D in LabDomain]: { [M in keyof LabApi[D]]: LabChannel } };

export type LabDomain = Exclude<keyof LabApi, 'on'>;

/** Every event name, at run time (the preload refuses to listen to anything else). */
export const LAB_EVENT_NAMES = ['targets:imported', 'targets:changed', 'run:metrics', 'run:status', 'run:progress', 'run:deleted', 'settings:changed', 'experiment:progress', 'reproduce:progress', 'sweep:status'] as const satisfies readonly LabEventName[];

/** Every channel name, at run time. */
export const LAB_CHANNELS: readonly LabChannel[] = Object.values(LAB_API_ROUTES).flatMap(
  (methods) => Object.values(methods) as LabChannel[],
);

export function isLabChannel(name: unknown): name is LabChannel {
  return typeof name === 'string' && (LAB_CHANNELS as readonly string[]).includes(name);
}

export function isLabEventName(name: unknown): name is LabEventName {
  return typeof name === 'string' && (LAB_EVENT_NAMES as readonly string[]).includes(name);
}

/** Electron's invoke reply: errors travel as data, so the renderer sees the service's message, not Electron's wrapper. */
export type LabReply<T = unknown> = { ok: true; result: T } | { ok: false; error: LabErrorData };

// ---- compile-time completeness checks: a channel missing from the routes, a route whose method signature
// differs from its channel's, or an event missing from LAB_EVENT_NAMES is a type error here.

type Routes = typeof LAB_API_ROUTES;
type RoutedChannel = { [D in LabDomain]: Routes[D][keyof Routes[D]] }[LabDomain];
type MethodFor<C extends LabChannel> = (...args: ChannelArgs<C>) => Promise<ChannelResult<C>>;
type RoutedApi = { [D in LabDomain]: { [M in keyof Routes[D]]: Routes[D][M] extends LabChannel ? MethodFor<Routes[D][M]> : never } };
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
// method signatures vs function properties are never "identical" to Equal: compare them by assignability both ways
type MutuallyAssignable<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;

export type _EveryChannelRouted = Assert<Equal<RoutedChannel, LabChannel>>;
export type _RoutesMatchApi = Assert<MutuallyAssignable<RoutedApi, Pick<LabApi, LabDomain>>>;
export type _EveryEventListed = Assert<Equal<(typeof LAB_EVENT_NAMES)[number], keyof LabEvents>>;
