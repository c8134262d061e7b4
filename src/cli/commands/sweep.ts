/**
 * `nca-lab sweep`: many runs as one question — a grid or a random sample of settings × seeds with one stop rule,
 * through the lab's run queue, resumable after a crash (`nca-lab sweep resume ID`), with `list` and `show` (the
 * table of medians and spreads, the best configuration, the CSV of every run's evaluations).
 */
import { availableParallelism } from 'node:os';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RunManager } from '../../services/runs/run-manager';
import { metricPoint } from '../../shared/metrics';
import { RUN_TARGETS_DIR } from '../../services/lab/lab-service';
import { resolveWorkspaceDir } from '../../services/store/workspace-path';
import { SweepService } from '../../services/sweeps/sweep-service';
import { forkSpawner } from '../../services/workers/spawners';
import { parseClusterUrl } from '../../services/cluster/redis-url';
import { checkClusterFlag } from '../cluster-flag';
import { RUNNABLE_SUITES, type RunnableSuite } from '../../core/experiments/protocols';
import type { MetricPoint } from '../../shared/lab-api';
import {
  BUILTIN_SWEEPS, builtinSweep, parseSeedsText, parseSweepAxisText, parseSweepFixedText, parseSweepId, parseSweepRequest, summariseSweep,
  sweepAxisText, type SweepRecord, type SweepRequest,
} from '../../shared/sweep';
import { bestConfigurations, lossText, secondsText, spreadText, sweepCsv, sweepTable, sweepTableCsv, verdictText } from '../../shared/sweep-results';
import { OPTIMIZERS } from '../../shared/optimizers';
import { PRESETS } from '../../shared/training-config';
import { messageOf } from '../../shared/validate';
import { UsageError, type Command, type CommandIo } from '../command';
import { expectPositionals, integerFlag, parseCommandArgs } from '../flags';
import { formatCliDuration } from '../progress-line';

const NEW_FLAGS = {
  preset: { type: 'string' }, target: { type: 'string' }, grid: { type: 'string', multiple: true }, random: { type: 'string' },
  'sample-seed': { type: 'string' }, seeds: { type: 'string' }, 'max-generations': { type: 'string' }, 'max-iterations': { type: 'string' },
  'max-seconds': { type: 'string' }, 'target-loss': { type: 'string' }, goal: { type: 'string' }, set: { type: 'string', multiple: true },
  halving: { type: 'boolean' }, 'halving-first': { type: 'string' }, suites: { type: 'string' }, name: { type: 'string' }, builtin: { type: 'string' },
  'at-once': { type: 'string' }, workers: { type: 'string' }, cluster: { type: 'string' }, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' },
} as const;

export const sweepCommand: Command = {
  summary: 'many runs as one question: a grid or random sample of settings × seeds, resumable; also resume, list, show',
  usage: `nca-lab sweep --preset NAME --target NAME [--grid PATH=V1,V2 | --grid PATH=LO..HI [log] [N]]… [--random N]
              --seeds 1,2,3 (--max-generations N | --max-seconds S) [--target-loss X] [--set PATH=VALUE]…
              [--halving [--halving-first B]] [--suites LIST] [--at-once N] [--workers N] [--dry-run] [--json]
nca-lab sweep --builtin ID [any flag above to change it]
nca-lab sweep resume ID [--at-once N] [--workers N] [--cluster URL] [--json]
nca-lab sweep list [--json]
nca-lab sweep show ID [--csv FILE] [--table-csv FILE] [--json]

Makes one run per configuration and seed (ordinary runs: \`nca-lab runs\` lists them, resume/fork/delete work),
trains them through the lab's queue, measures each final model (40/200/1000-step losses, persistence) and
prints the answer: per configuration the median and spread over the seeds, and the best configuration.
The sweep is kept in the workspace (sweeps/<id>/sweep.json); after a crash or Ctrl-C, \`nca-lab sweep resume
ID\` goes on where it stopped and trains exactly what an uninterrupted sweep would.

  --preset NAME         the base preset (default ${OPTIMIZERS.es.defaultPreset}); ${PRESETS.map((p) => p.name).join(', ')}
  --target NAME         the base target (a built-in, or an image imported into the workspace)
  --grid AXIS           a swept setting (repeatable): any config field by dotted path, or preset, optimizer
                        (its default preset), target. PATH=V1,V2,… or PATH=LO..HI [log] [N] (N grid points, 3)
                        e.g. --grid es.sigma=0.01,0.02,0.04 --grid es.population=128..512 log --grid optimizer=es,adam
  --random N            draw N points of the axes at random (a range log-uniformly when "log") instead of the grid
  --sample-seed S       the random sample's seed (default 1: the same request draws the same points)
  --seeds LIST          run seeds, 1,2,3 or 1..5 (default 1)
  --max-generations N   the stop rule of every run: generations (ES) / iterations (Adam); --max-iterations too
  --max-seconds S       … and/or seconds of training
  --target-loss X       … and/or stop at this 40-step loss
  --goal X              the 40-step loss "time to the goal" is measured against (default: --target-loss,
                        else 0.0005 at 9 px and 0.0015 at 15 px)
  --set PATH=VALUE      a setting fixed for every run (repeatable), e.g. --set es.population=8
  --halving             successive halving: after a first budget, the worse half of the configurations stops and
                        the rest go on to twice the budget, until the full one (16 configurations ≈ 3 full runs)
  --halving-first B     the first rung's budget in the stop rule's unit (default: full / 2^⌈log₂ configurations⌉)
  --suites LIST         experiment suites run on every final model: ${RUNNABLE_SUITES.join(', ')}
  --builtin ID          start from a built-in sweep: ${BUILTIN_SWEEPS.map((b) => `${b.id} (${b.title})`).join('; ')}
  --at-once N           runs training at the same time (default 1: each run gets every core)
  --workers N           cores the runs share (default: all, ${availableParallelism()} here)
  --cluster URL         evaluate the ES runs' populations on a cluster too (redis://…, as nca-lab train --cluster);
                        this computer's cores join it
  --dry-run             print the configurations, the runs and the estimated time, make nothing
  --json                one JSON object per line (the sweep, status, log, progress), then a summary`,

  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === 'resume') return resumeSweep(rest, io);
    if (sub === 'list') return listSweeps(rest, io);
    if (sub === 'show') return showSweep(rest, io);
    return newSweep(argv, io);
  },
};

type Flags = Record<string, string | string[] | boolean | undefined>;

function usageError<T>(flag: string, job: () => T): T {
  try {
    return job();
  } catch (err) {
    throw new UsageError(`--${flag}: ${messageOf(err)}`);
  }
}

/** The request from a built-in (if any) and the flags; every flag checked before anything is written. */
export function requestFromFlags(v: Flags): SweepRequest {
  const base: SweepRequest = v.builtin !== undefined
    ? structuredClone(usageError('builtin', () => builtinSweep(v.builtin as string).request))
    : {
      preset: OPTIMIZERS.es.defaultPreset, target: '', axes: [], sample: { kind: 'grid' }, seeds: [1],
      stop: { maxGenerations: null, maxSeconds: null, targetLoss: null }, set: [], halving: null, suites: [], goal: null,
    };
  if (typeof v.name === 'string') base.name = v.name;
  if (typeof v.preset === 'string') base.preset = v.preset;
  if (typeof v.target === 'string') base.target = v.target;
  if (base.target === '') throw new UsageError('--target is required (a built-in such as carrot-9, or an image imported into the workspace)');
  const grid = (v.grid as string[] | undefined) ?? [];
  if (grid.length) base.axes = grid.map((t) => usageError('grid', () => parseSweepAxisText(t)));
  if (typeof v.random === 'string') {
    const samples = integerFlag('random', v.random, 1, 256)!;
    base.sample = { kind: 'random', samples, seed: integerFlag('sample-seed', v['sample-seed'] as string | undefined, 0, 2 ** 52) ?? 1 };
  } else if (v['sample-seed'] !== undefined) throw new UsageError('--sample-seed needs --random N');
  if (typeof v.seeds === 'string') base.seeds = usageError('seeds', () => parseSeedsText(v.seeds as string));
  const gens = (v['max-generations'] ?? v['max-iterations']) as string | undefined;
  if (gens !== undefined || v['max-seconds'] !== undefined) {
    base.stop.maxGenerations = integerFlag('max-generations', gens, 1, 1e9) ?? null;
    base.stop.maxSeconds = integerFlag('max-seconds', v['max-seconds'] as string | undefined, 1, 1e8) ?? null;
  }
  const positive = (flag: string, t: unknown) => {
    const x = Number(t);
    if (!(typeof t === 'string' && /^[0-9.eE+-]+$/.test(t) && x > 0 && x <= 1)) throw new UsageError(`--${flag} must be a number > 0 and ≤ 1, got "${String(t)}"`);
    return x;
  };
  if (v['target-loss'] !== undefined) base.stop.targetLoss = positive('target-loss', v['target-loss']);
  if (v.goal !== undefined) base.goal = positive('goal', v.goal);
  for (const t of (v.set as string[] | undefined) ?? []) {
    const fixed = usageError('set', () => parseSweepFixedText(t));
    base.set = [...base.set.filter((f) => f.path !== fixed.path), fixed];
  }
  if (v.halving) base.halving = { firstBudget: null };
  if (v['halving-first'] !== undefined) {
    if (!v.halving) throw new UsageError('--halving-first needs --halving');
    base.halving = { firstBudget: integerFlag('halving-first', v['halving-first'] as string, 1, 1e9)! };
  }
  if (typeof v.suites === 'string') {
    const suites = v.suites.split(',').map((s) => s.trim()).filter(Boolean);
    for (const s of suites) if (!(RUNNABLE_SUITES as readonly string[]).includes(s)) throw new UsageError(`--suites: "${s}" is not a suite (${RUNNABLE_SUITES.join(', ')})`);
    base.suites = suites as RunnableSuite[];
  }
  return usageError('sweep', () => parseSweepRequest(base, 'sweep'));
}

interface Lab {
  runs: RunManager;
  sweeps: SweepService;
}

function openLab(workspace: string, v: Flags, io: CommandIo, json: boolean): Lab {
  const cores = integerFlag('workers', v.workers as string | undefined, 1, 1024) ?? availableParallelism();
  const atOnce = integerFlag('at-once', v['at-once'] as string | undefined, 1, 64) ?? 1;
  const spawn = json ? undefined : forkSpawner({ onOutputLine: (line) => io.err(line) });
  const cluster = typeof v.cluster === 'string' ? usageError('cluster', () => (parseClusterUrl(v.cluster as string), v.cluster as string)) : null;
  // the lab's queue, as the window's: the runs at once share the cores, and ES populations go to the cluster when set
  const runs = new RunManager({
    workspace, cores, maxConcurrent: atOnce, lowPriorityWorkers: false, ...(spawn ? { spawn } : {}), compute: () => ({ localCores: true, cluster }),
  });
  const log = (line: string) => (json ? io.out(JSON.stringify({ event: 'log', message: line })) : io.err(line));
  const sweeps = new SweepService({
    runs, targetsDir: join(workspace, RUN_TARGETS_DIR), workers: cores, spawn, log,
    emit: (s) => (json ? io.out(JSON.stringify({ event: 'status', ...s })) : undefined),
  });
  return { runs, sweeps };
}

async function newSweep(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, NEW_FLAGS);
  expectPositionals(positionals, []);
  const request = requestFromFlags(values);
  const json = !!values.json;
  const workspace = resolveWorkspaceDir(values.workspace);
  // a cluster that does not answer is refused before the sweep or any of its runs exists
  if (values.cluster !== undefined && !values['dry-run']) await checkClusterFlag('--cluster', values.cluster);
  const lab = openLab(workspace, values, io, json);
  if (values['dry-run']) {
    const plan = await lab.sweeps.plan(request).catch((err: unknown) => {
      throw new UsageError(messageOf(err));
    });
    if (json) io.out(JSON.stringify({ event: 'plan', ...plan }));
    else {
      io.out(`${plan.name}: ${plan.configurations} configurations × ${plan.seeds} seeds = ${plan.runs} runs${plan.drawn !== null ? ` (${plan.drawn} points drawn)` : ''}`);
      plan.labels.forEach((l, i) => io.out(`  ${i + 1}. ${l}`));
      if (plan.rungs) io.out(`  successive halving at ${plan.rungs.join(', ')} ${plan.budgetUnit}`);
      io.out(`  estimated time: ${plan.estimateSeconds === null ? 'cannot be told' : formatCliDuration(plan.estimateSeconds)} (${plan.estimateBasis})`);
    }
    return 0;
  }
  let record: SweepRecord;
  try {
    record = await lab.sweeps.create(request);
  } catch (err) {
    throw new UsageError(messageOf(err));
  }
  if (json) io.out(JSON.stringify({ event: 'sweep', id: record.id, name: record.name, runs: record.runs.length, configurations: record.groups.length, workspace }));
  else io.err(`sweep ${record.id}: ${record.name}: ${record.groups.length} configurations × ${request.seeds.length} seeds = ${record.runs.length} runs`);
  return follow(lab, record.id, io, json);
}

async function resumeSweep(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { 'at-once': { type: 'string' }, workers: { type: 'string' }, cluster: { type: 'string' }, json: { type: 'boolean' } });
  const [id] = expectPositionals(positionals, ['ID']);
  usageError('id', () => parseSweepId(id, 'ID'));
  const json = !!values.json;
  if (values.cluster !== undefined) await checkClusterFlag('--cluster', values.cluster);
  const lab = openLab(resolveWorkspaceDir(values.workspace), values, io, json);
  const record = await lab.sweeps.get(id);
  if (record.status === 'done') throw new UsageError(`sweep ${id} is done; \`nca-lab sweep show ${id}\` prints its answer`);
  if (json) io.out(JSON.stringify({ event: 'sweep', id, name: record.name, runs: record.runs.length, configurations: record.groups.length, resumed: true }));
  else io.err(`resuming sweep ${id}: ${record.name} (${record.runs.filter((r) => r.final).length} of ${record.runs.length} runs measured)`);
  return follow(lab, id, io, json);
}

/** Drives the sweep to its end in this process, showing progress; Ctrl-C pauses it (runs checkpointed), twice quits. */
async function follow(lab: Lab, id: string, io: CommandIo, json: boolean): Promise<number> {
  const abort = new AbortController();
  const onSigint = () => {
    if (abort.signal.aborted) process.exit(130);
    abort.abort(new Error('Ctrl-C'));
    io.err('\npausing the sweep: its runs write a checkpoint first; `nca-lab sweep resume` goes on. Ctrl-C again to quit now');
  };
  process.on('SIGINT', onSigint);
  const lastLine = new Map<string, number>();
  const off = lab.runs.on((ev) => {
    if (ev.type !== 'progress') return;
    const p = ev.progress;
    const every = json ? 0 : 5000;
    if (p.eval40 === undefined && Date.now() - (lastLine.get(p.runId) ?? 0) < every) return;
    lastLine.set(p.runId, Date.now());
    if (json) io.out(JSON.stringify({ event: 'progress', runId: p.runId, generation: p.generation, loss: p.loss, eval40: p.eval40 ?? null, wallSeconds: p.wallSeconds }));
    else io.err(`  ${p.runId}: ${OPTIMIZERS[p.optimizer].unit} ${p.generation}, loss ${lossText(p.loss)}${p.eval40 !== undefined ? `, 40-step ${lossText(p.eval40)}` : ''}`);
  });
  try {
    const record = await lab.sweeps.run(id, abort.signal);
    printAnswer(record, io, json);
    return record.status === 'failed' ? 1 : 0;
  } finally {
    off();
    process.off('SIGINT', onSigint);
  }
}

function printAnswer(record: SweepRecord, io: CommandIo, json: boolean): void {
  const rows = sweepTable(record);
  const best = bestConfigurations(rows);
  if (json) {
    io.out(JSON.stringify({
      event: 'summary', ...summariseSweep(record), runIds: record.runs.map((r) => r.runId),
      best: best.map((b) => ({ target: b.target, configuration: b.row.group.index + 1, label: b.row.group.label, rule: b.rule, text: b.text })),
      table: rows.map((r) => ({
        configuration: r.group.index + 1, label: r.group.label, settings: r.group.settings, seeds: r.measured, final40: r.final40, final200: r.final200,
        final1000: r.final1000, verdicts: r.verdicts, goal: r.group.goal, goalSeconds: r.goalSeconds, stoppedAt: r.stoppedAt,
      })),
    }));
    return;
  }
  io.out(`${record.id}: ${record.status}${record.statusReason ? ` — ${record.statusReason}` : ''}`);
  io.out(`  ${record.name}; axes: ${record.request.axes.map(sweepAxisText).join('  ') || 'none'}; seeds ${record.request.seeds.join(',')}`);
  for (const r of rows) {
    io.out(`  ${r.group.index + 1}. ${r.group.label}: 40-step ${spreadText(r.final40)}, 200-step ${spreadText(r.final200)}, 1000-step ${spreadText(r.final1000)}; ` +
      `${verdictText(r)}; goal ${r.group.goal} in ${spreadText(r.goalSeconds, secondsText)}${r.stoppedAt !== null ? `; stopped by halving at ${r.stoppedAt} ${record.budgetUnit}` : ''}`);
  }
  for (const b of best) io.out(`  best${best.length > 1 ? ` on ${b.target}` : ''}: ${b.text} (${b.rule})`);
}

async function listSweeps(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { json: { type: 'boolean' } });
  expectPositionals(positionals, []);
  const lab = openLab(resolveWorkspaceDir(values.workspace), {}, io, true);
  const { sweeps, problems } = await lab.sweeps.list();
  for (const s of sweeps) {
    if (values.json) io.out(JSON.stringify(s));
    else io.out(`${s.id}  ${s.status.padEnd(11)} ${String(s.measured).padStart(3)}/${s.runs} runs  ${s.name}`);
  }
  for (const p of problems) io.err(`nca-lab: sweep folder ${p.id} cannot be read: ${p.message}`);
  if (!values.json && sweeps.length === 0) io.err('no sweeps in this workspace');
  return 0;
}

async function showSweep(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { csv: { type: 'string' }, 'table-csv': { type: 'string' }, json: { type: 'boolean' } });
  const [id] = expectPositionals(positionals, ['ID']);
  usageError('id', () => parseSweepId(id, 'ID'));
  const lab = openLab(resolveWorkspaceDir(values.workspace), {}, io, true);
  const record = await lab.sweeps.get(id);
  if (values.csv) {
    const metrics = new Map<string, MetricPoint[]>();
    for (const r of record.runs) {
      if (r.runId && !r.removed) metrics.set(r.runId, (await lab.runs.store.readMetrics(r.runId).catch(() => [])).map(metricPoint));
    }
    await writeFile(values.csv, sweepCsv(record, metrics));
    io.err(`wrote ${values.csv}`);
  }
  if (values['table-csv']) {
    await writeFile(values['table-csv'], sweepTableCsv(record, sweepTable(record)));
    io.err(`wrote ${values['table-csv']}`);
  }
  printAnswer(record, io, !!values.json);
  return 0;
}
