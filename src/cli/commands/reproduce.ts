/**
 * `nca-lab reproduce`: the thesis's study in one command — its 16 trainings, the `thesis` experiment suite on the
 * results, Table 2 from the ES benchmark, and the chapter-6 figure set in one folder with an index.html.
 */
import { resolve } from 'node:path';
import { resolveWorkspaceDir } from '../../services/store/workspace-path';
import {
  FULL_BUDGET, QUICK_BUDGET, reproduceThesis, THESIS_TRAININGS, type ReproduceBudget,
} from '../../services/experiments/reproduce';
import { type Command } from '../command';
import { expectPositionals, integerFlag, parseCommandArgs } from '../flags';
import { experimentProgressView, parseColors, parseFigureSize, parseFormats } from './experiment';
import { OPTIMIZERS } from '../../shared/optimizers';

export const reproduceCommand: Command = {
  summary: 'the thesis\'s study in one go: 16 trainings, the thesis experiment suite, Table 2 and the chapter-6 figures',
  usage: `nca-lab reproduce [--out DIR] [--quick] [--seconds S] [--es-generations N] [--adam-iterations N] [--reuse]
                  [--no-bench] [--format png,svg,csv,gif] [--workers N] [--json] [--workspace DIR]

Queues the thesis's trainings — ES and Adam × carrot and rabbit × 9×9 and 15×15 × with and without sample pool,
from the presets thesis-es, thesis-es-pool, thesis-adam, thesis-adam-nopool (${THESIS_TRAININGS.length} runs, tagged
"thesis-reproduce") — trains them one after the other, runs the \`thesis\` suite on the results, measures Table 2
(population vs generations/s vs mutants/s) with the ES benchmark, and writes the figure set of the thesis's
chapter 6 into DIR with an index.html that shows it (and figures.json, the same index as data, and
reproduce.json, the runs, budget and timings). The lab's window runs the same study (Compare → Reproduce the
study). Ctrl-C stops the trainings that ran (checkpoint and model kept) and removes those still waiting.

  --out DIR             the figure folder (default ./nca-lab-reproduce)
  --quick               cap every training at ${QUICK_BUDGET.seconds} s so the whole study runs in minutes on a laptop
                        (the models are then far less trained than the thesis's; the output says so)
  --seconds S           cap every training at S seconds (with or without --quick)
  --es-generations N    ES generations per ES training (full default ${FULL_BUDGET.esGenerations?.toLocaleString('en')}; the thesis: 1.04M–2.21M)
  --adam-iterations N   Adam iterations per Adam training (full default ${FULL_BUDGET.adamIterations?.toLocaleString('en')}, as the thesis)
  --reuse               reuse finished or stopped runs of an earlier reproduce with the same preset and target
  --no-bench            skip Table 2
  --format LIST         png, svg, csv, gif (default all four)
  --size WxH, --dpi N   chart size in inches and resolution (default 6.4x4.8 at 200 DPI)
  --colors LIST         e.g. adam=#00bfbf,es=#bf00bf
  --seed N              seed of every training (default 1)
  --workers N           worker processes for ES training, the experiments and the benchmark (default: one per core)
  --json                one JSON line per event (log, training progress, experiment progress), then a summary`,

  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      out: { type: 'string' },
      quick: { type: 'boolean' },
      seconds: { type: 'string' },
      'es-generations': { type: 'string' },
      'adam-iterations': { type: 'string' },
      reuse: { type: 'boolean' },
      'no-bench': { type: 'boolean' },
      format: { type: 'string' },
      size: { type: 'string' },
      dpi: { type: 'string' },
      colors: { type: 'string' },
      seed: { type: 'string' },
      workers: { type: 'string' },
      json: { type: 'boolean' },
    });
    expectPositionals(positionals, []);
    const quick = !!values.quick;
    const base = quick ? QUICK_BUDGET : FULL_BUDGET;
    const budget: ReproduceBudget = {
      seconds: integerFlag('seconds', values.seconds, 1, 1e8) ?? base.seconds,
      esGenerations: integerFlag('es-generations', values['es-generations'], 1, 1e9) ?? base.esGenerations,
      adamIterations: integerFlag('adam-iterations', values['adam-iterations'], 1, 1e9) ?? base.adamIterations,
    };
    const formats = parseFormats(values.format, ['png', 'svg', 'csv', 'gif']);
    const size = parseFigureSize(values.size, values.dpi);
    const colors = parseColors(values.colors);
    const json = !!values.json;
    const out = resolve(values.out ?? 'nca-lab-reproduce');
    const workspace = resolveWorkspaceDir(values.workspace);
    const workers = integerFlag('workers', values.workers, 1, 256);
    const seed = integerFlag('seed', values.seed, 0, 2 ** 52);

    const abort = new AbortController();
    const onSigint = () => {
      if (abort.signal.aborted) process.exit(130);
      abort.abort('cancelled by Ctrl-C');
      io.err('\nstopping: the current training is checkpointed and stopped, the ones still waiting are removed; Ctrl-C again to quit now');
    };
    process.on('SIGINT', onSigint);
    const view = experimentProgressView(io, json);
    let lastTrainLine = 0;
    try {
      const outcome = await reproduceThesis({
        workspace, out, budget, quick, reuse: !!values.reuse, bench: !values['no-bench'], workers, formats, size, colors, seed,
        signal: abort.signal,
        log: (line) => (json ? io.out(JSON.stringify({ event: 'log', message: line })) : io.err(line)),
        onTraining: (i, total, t, ev) => {
          if (Date.now() - lastTrainLine < (json ? 1000 : 5000)) return;
          lastTrainLine = Date.now();
          const line = { event: 'training', index: i + 1, total, preset: t.preset, target: t.target, generation: ev.generation, loss: ev.loss, eval40: ev.eval40 ?? null, wallSeconds: ev.wallSeconds };
          if (json) io.out(JSON.stringify(line));
          else io.err(`  ${OPTIMIZERS[t.optimizer].unit} ${ev.generation}, loss ${ev.loss?.toPrecision(4) ?? 'not finite'}, ${ev.wallSeconds.toFixed(0)} s`);
        },
        onExperiment: view.onProgress,
      });
      view.stop();
      const index = resolve(out, 'index.html');
      if (json) {
        io.out(JSON.stringify({
          event: 'summary', out, index, experimentId: outcome.results.id, experimentDir: outcome.experimentDir, runIds: outcome.runIds,
          budget, budgetNote: outcome.budgetNote, seconds: outcome.seconds, files: outcome.files.length,
          table2: outcome.table2.map((r) => ({ population: r.population, generationsPerSec: r.generationsPerSec, mutantsPerSec: r.mutantsPerSec, workers: r.workers })),
        }));
      } else {
        io.out(`reproduced the thesis's chapter 6 on ${outcome.runIds.length} models: ${outcome.files.length} files in ${out}`);
        io.out(`  ${outcome.budgetNote}`);
        io.out(`  training ${outcome.seconds.training.toFixed(0)} s, thesis suite ${outcome.seconds.experiment.toFixed(1)} s, Table 2 ${outcome.seconds.bench.toFixed(0)} s, figures ${outcome.seconds.figures.toFixed(1)} s`);
        if (outcome.table2.length) {
          io.out('  Table 2 (9×9, ' + outcome.table2[0].workers + ' workers): ' + outcome.table2.map((r) => `pop ${r.population}: ${r.generationsPerSec} gen/s, ${r.mutantsPerSec} mutants/s`).join('; '));
        }
        io.out(`  open ${index}`);
      }
      return 0;
    } finally {
      view.stop();
      process.off('SIGINT', onSigint);
    }
  },
};
