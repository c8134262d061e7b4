/**
 * `nca-lab experiment`: runs a suite of the thesis's post-training experiments (spec f) on saved models in
 * worker processes, stores the results as data in the workspace (experiments/<id>/results.json + CSVs), then
 * writes the figures (PNG, SVG), strips, GIFs, CSV and an index.html into --out. Ctrl-C cancels; nothing of a
 * cancelled experiment is saved.
 */
import cliProgress from 'cli-progress';
import { join, resolve } from 'node:path';
import { isSuiteName, SUITE_DESCRIPTIONS, SUITE_NAMES, type SuiteName } from '../../core/experiments/protocols';
import type { FgsmClamp } from '../../core/damage/damage';
import { checkFigureSize, DEFAULT_FIGURE_SIZE, type FigureSize } from '../../core/figures/line-chart';
import { parseColorOverrides, type ColorOverrides } from '../../shared/experiment-charts';
import { EXPERIMENTS_DIR } from '../../shared/experiment';
import { runExperiment, type ExperimentProgress } from '../../services/experiments/run-experiment';
import { FIGURE_FORMATS, writeFigureSet, type FigureFormat } from '../../services/experiments/figure-set';
import { resolveWorkspaceDir } from '../../services/store/workspace-path';
import { checkFolderCanBeMade } from '../../services/store/writable-dir';
import { checkClusterFlag } from '../cluster-flag';
import { UsageError, type Command, type CommandIo } from '../command';
import { expectPositionals, integerFlag, parseCommandArgs } from '../flags';

export function parseFormats(text: string | undefined, fallback: FigureFormat[]): FigureFormat[] {
  if (text === undefined) return fallback;
  const items = text.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  for (const f of items) {
    if (!(FIGURE_FORMATS as readonly string[]).includes(f)) throw new UsageError(`--format: "${f}" is not one of ${FIGURE_FORMATS.join(', ')}`);
  }
  if (!items.length) throw new UsageError(`--format needs at least one of ${FIGURE_FORMATS.join(', ')}`);
  return [...new Set(items)] as FigureFormat[];
}

/** `--size 6.4x4.8` (inches) and `--dpi N` → a checked FigureSize. */
export function parseFigureSize(sizeText: string | undefined, dpiText: string | undefined): FigureSize {
  let { widthIn, heightIn } = DEFAULT_FIGURE_SIZE;
  if (sizeText !== undefined) {
    const m = /^\s*(\d+(?:\.\d+)?)\s*[x×]\s*(\d+(?:\.\d+)?)\s*$/.exec(sizeText);
    if (!m) throw new UsageError(`--size must be WIDTHxHEIGHT in inches (e.g. 6.4x4.8), got "${sizeText}"`);
    widthIn = Number(m[1]);
    heightIn = Number(m[2]);
  }
  const dpi = integerFlag('dpi', dpiText, 36, 1200) ?? DEFAULT_FIGURE_SIZE.dpi;
  try {
    return checkFigureSize({ widthIn, heightIn, dpi });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function parseClamp(text: string | undefined): FgsmClamp {
  if (text === undefined) return 'all';
  if (text !== 'all' && text !== 'rgba' && text !== 'none') throw new UsageError(`--clamp must be all, rgba or none, got "${text}"`);
  return text;
}

export function parseColors(text: string | undefined): ColorOverrides {
  if (text === undefined) return {};
  try {
    return parseColorOverrides(text);
  } catch (err) {
    throw new UsageError(`--colors: ${(err as Error).message}`);
  }
}

/** Shows an experiment's progress: a bar on a terminal, a line every few seconds otherwise, JSON with --json. */
export function experimentProgressView(io: CommandIo, json: boolean): { onProgress: (p: ExperimentProgress) => void; stop: () => void } {
  const tty = !json && process.stderr.isTTY;
  const bar = tty
    ? new cliProgress.SingleBar({
      format: '{bar} {percentage}% | jobs {jobsDone}/{jobs} | {updates} CA updates | {elapsed}s',
      hideCursor: true, barsize: 24, stream: process.stderr,
    }, cliProgress.Presets.shades_classic)
    : null;
  let started = false;
  let lastLine = 0;
  return {
    onProgress: (p) => {
      if (json) {
        if (p.phase !== 'running' || Date.now() - lastLine > 500) {
          lastLine = Date.now();
          io.out(JSON.stringify({ event: 'progress', ...p }));
        }
        return;
      }
      const fields = { jobsDone: p.jobsDone, jobs: p.jobs, updates: p.updatesDone.toLocaleString('en'), elapsed: p.elapsedSeconds.toFixed(1) };
      if (p.phase === 'running' && bar) {
        if (!started) {
          bar.start(p.updatesTotal, p.updatesDone, fields);
          started = true;
        }
        bar.update(p.updatesDone, fields);
      } else if (p.phase === 'running') {
        if (Date.now() - lastLine > 5000 || p.jobsDone === p.jobs) {
          lastLine = Date.now();
          io.err(`jobs ${p.jobsDone}/${p.jobs}, ${p.updatesDone}/${p.updatesTotal} CA updates, ${p.elapsedSeconds.toFixed(1)} s`);
        }
      } else {
        if (started) bar?.stop();
        started = false;
        if (p.message && p.phase !== 'done') io.err(`${p.phase}: ${p.message}`);
      }
    },
    stop: () => bar?.stop(),
  };
}

export const experimentCommand: Command = {
  summary: 'run a suite of the thesis\'s experiments (growth, erase, FGSM, big canvas, strips) on saved models; figures',
  usage: `nca-lab experiment --suite NAME --models ID[,ID…] --out DIR [--repeats R] [--seed N] [--format png,svg,csv]
                   [--json] [--workspace DIR]

Runs the suite on each model (a job per model, suite and repeat on one worker process per core), stores the
results as data in the workspace (experiments/<id>/results.json and a CSV per suite), then writes the figures
into DIR with an index.html that shows them.

Suites:
${SUITE_NAMES.map((s) => `  ${s.padEnd(13)} ${SUITE_DESCRIPTIONS[s]}`).join('\n')}

Step indexing is the thesis code's (spec f.1): loss index k = the state after k+1 CA updates, measured after that
step's damage; a frame "after u updates" is the state after u updates (0 = the seed). Every output says so.

  --suite NAME          one of the suites above
  --models ID,…         run ids in the workspace, or paths of model folders / model.json / checkpoint files
  --out DIR             where the figures, CSVs, a copy of results.json and index.html go
  --repeats R           rollouts per model with seeds N, N+1, … (default 1, as the thesis); R > 1 plots the
                        mean with a min–max band
  --seed N              seed of the first repeat (default 1)
  --format LIST         any of png, svg, csv, gif (default png,svg,csv; gif adds growth/damage animations)
  --clamp all|rgba|none FGSM clamp to [0,1] (spec f.4): all 16 channels as the thesis code did (default), RGBA only,
                        or none
  --size WxH            chart size in inches (default ${DEFAULT_FIGURE_SIZE.widthIn}x${DEFAULT_FIGURE_SIZE.heightIn}, matplotlib's)
  --dpi N               chart resolution (default ${DEFAULT_FIGURE_SIZE.dpi}; the thesis used 400)
  --colors LIST         e.g. adam=#00bfbf,es=#bf00bf,<runId>=#1f77b4 (default: Adam cyan, ES magenta, as the thesis)
  --workers N           worker processes (default: one per core; 0 = in this process)
  --cluster URL         run the jobs on the \`nca-lab worker\`s of this Redis (redis://… or rediss://…) instead
  --json                one JSON progress event per line, then a summary {experimentId, dir, out, seconds, files}`,

  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      suite: { type: 'string' },
      models: { type: 'string' },
      out: { type: 'string' },
      repeats: { type: 'string' },
      seed: { type: 'string' },
      format: { type: 'string' },
      clamp: { type: 'string' },
      size: { type: 'string' },
      dpi: { type: 'string' },
      colors: { type: 'string' },
      workers: { type: 'string' },
      cluster: { type: 'string' },
      json: { type: 'boolean' },
    });
    expectPositionals(positionals, []);
    if (!values.suite) throw new UsageError(`--suite is required (${SUITE_NAMES.join(', ')})`);
    if (!isSuiteName(values.suite)) throw new UsageError(`--suite must be one of ${SUITE_NAMES.join(', ')}, got "${values.suite}"`);
    if (!values.models) throw new UsageError('--models is required: run ids or model paths, comma-separated');
    if (!values.out) throw new UsageError('--out DIR is required');
    const models = values.models.split(',').map((s) => s.trim()).filter(Boolean);
    const formats = parseFormats(values.format, ['png', 'svg', 'csv']);
    const size = parseFigureSize(values.size, values.dpi);
    const colors = parseColors(values.colors);
    const json = !!values.json;
    const out = resolve(values.out);
    const workspace = resolveWorkspaceDir(values.workspace);
    const suite: SuiteName = values.suite;
    const repeats = integerFlag('repeats', values.repeats, 1, 100);
    const seed = integerFlag('seed', values.seed, 0, 2 ** 31 - 2);
    const workers = integerFlag('workers', values.workers, 0, 256);
    const fgsmClamp = parseClamp(values.clamp);
    if (values.cluster !== undefined) await checkClusterFlag('--cluster', values.cluster);

    // both folders are checked before the suite is computed, not after (a read-only or misspelt --out), and made
    // only when the results are written: a refused experiment leaves no folder behind
    await checkFolderCanBeMade(out, 'the --out folder');
    await checkFolderCanBeMade(join(workspace, EXPERIMENTS_DIR), 'the workspace\'s experiments folder');

    const abort = new AbortController();
    const onSigint = () => {
      if (abort.signal.aborted) process.exit(130);
      abort.abort('cancelled by Ctrl-C');
      if (!json) io.err('\ncancelling (nothing of this experiment is saved); Ctrl-C again to quit now');
    };
    process.on('SIGINT', onSigint);
    const view = experimentProgressView(io, json);
    try {
      const t0 = performance.now();
      const outcome = await runExperiment({
        workspace, suite, models, repeats, seed, workers, fgsmClamp, cluster: values.cluster,
        onLog: (line) => { if (!json) io.err(line); },
        animate: formats.includes('gif') ? 'all' : [], signal: abort.signal, onProgress: view.onProgress,
      });
      view.stop();
      const runSeconds = outcome.results.timing.seconds;
      const t1 = performance.now();
      const files = await writeFigureSet(outcome.results, out, { formats, size, colors, animations: outcome.animations });
      const figureSeconds = (performance.now() - t1) / 1000;
      if (json) {
        io.out(JSON.stringify({
          event: 'summary', experimentId: outcome.results.id, suite, dir: outcome.dir, out, index: resolve(out, 'index.html'),
          seconds: Number(((performance.now() - t0) / 1000).toFixed(3)), runSeconds, figureSeconds: Number(figureSeconds.toFixed(3)),
          jobs: outcome.results.timing.jobs, workers: outcome.results.timing.workers, files: files.map((f) => f.file),
          indexing: outcome.results.indexing,
        }));
      } else {
        io.out(`experiment ${outcome.results.id}: ${suite} on ${models.length} model(s), ${outcome.results.timing.jobs} jobs on ${outcome.results.timing.workers || 'no'} worker(s) in ${runSeconds.toFixed(1)} s`);
        io.out(`  data:    ${outcome.dir}`);
        io.out(`  figures: ${files.length} files in ${out} (${figureSeconds.toFixed(1)} s); open ${resolve(out, 'index.html')}`);
        io.out(`  indexing: ${outcome.results.indexing}`);
      }
      return 0;
    } finally {
      view.stop();
      process.off('SIGINT', onSigint);
    }
  },
};
