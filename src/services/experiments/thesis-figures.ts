/**
 * The figure set of the thesis's chapter 6 (and the figures of chapter 7 that show experiment results), laid out
 * from a `thesis` experiment on the 16 models of the study (ES and Adam × carrot and rabbit × 9 and 15 × with and
 * without pool). Each figure says which of the thesis's figures or tables it reproduces; where the thesis showed
 * only some targets (e.g. only carrot for the erase experiments), the set shows all four and says so.
 */
import type { ExperimentModel, ExperimentResults } from '../../shared/experiment';
import { targetFamily } from '../../shared/experiment-charts';
import type { FigurePlan, PlanItem, PlanSection, TableItem } from './figure-set';
import { OPTIMIZERS, type Optimizer } from '../../shared/optimizers';

const TARGETS = [
  { family: 'carrot', size: 9 },
  { family: 'rabbit', size: 9 },
  { family: 'carrot', size: 15 },
  { family: 'rabbit', size: 15 },
] as const;

/** the thesis's figures pair its two optimizers (chapter 7) */
type Opt = Optimizer;

function find(models: ExperimentModel[], opt: Opt, pool: boolean, family: string, size: number): ExperimentModel | undefined {
  return models.find((m) => m.optimizer === opt && m.pool === pool && m.target.size === size && targetFamily(m.target.name) === family);
}

const title = (t: { family: string; size: number }) => `${t.size}x${t.size} ${t.family}`;
const poolName = (pool: boolean) => (pool ? 'with sample pools' : 'without sample pools');
const poolSlug = (pool: boolean) => (pool ? 'pool' : 'nopool');
const Cap = (s: string) => s[0].toUpperCase() + s.slice(1);

export interface ThesisPlanOptions {
  /** the thesis's Table 2 on this machine (population, generations/s, mutants/s) */
  table2?: { population: number; generationsPerSec: number; mutantsPerSec: number }[];
  /** how the models were trained, for the page's introduction */
  trainingNote?: string;
  /** GIFs: protocol ids recorded as animations */
  animated?: string[];
}

export function thesisPlan(results: ExperimentResults, opts: ThesisPlanOptions = {}): FigurePlan {
  const models = results.models;
  const sections: PlanSection[] = [];

  if (opts.table2?.length) {
    const table: TableItem = {
      kind: 'table', file: 'table-2-es-throughput',
      caption: 'Table 2 on this machine: ES population vs generations/s vs mutants/s (9×9, all cores; the thesis measured 6/25/150, 10/20/200, 40/7/280, 100/3/300, 1000/0.25/250)',
      header: ['population', 'generations/s', 'mutants/s'],
      rows: opts.table2.map((r) => [r.population, r.generationsPerSec, r.mutantsPerSec]),
    };
    sections.push({ title: 'Table 2 — parallelisation (section 6.1)', items: [table] });
  }

  // one chart per target: Adam and ES of the pool setting, as the thesis's figures
  const pairCharts = (protocol: string, pool: boolean, prefix: string, what: string): PlanItem[] => TARGETS.flatMap((t) => {
    const keys = (['adam', 'es'] as Opt[]).map((o) => find(models, o, pool, t.family, t.size)?.key).filter((k): k is string => !!k);
    if (!keys.length) return [];
    return [{ kind: 'chart' as const, file: `${prefix}/${title(t).replace(' ', '-')}`, caption: `${title(t)}: ${what}, ${poolName(pool)}`, protocol, models: keys }];
  });
  const strip = (protocol: string, pool: boolean | null, file: string, caption: string, updates: number[], stripTitle: string, sizes: number[] = [15]): PlanItem[] => {
    const rows: { model: string; label: string }[] = [];
    for (const size of sizes) {
      for (const family of ['carrot', 'rabbit']) {
        for (const o of ['es', 'adam'] as Opt[]) {
          for (const p of pool === null ? [false, true] : [pool]) {
            const m = find(models, o, p, family, size);
            if (m) rows.push({ model: m.key, label: `${sizes.length > 1 ? `${size}x${size} ` : ''}${Cap(family)} ${OPTIMIZERS[o].short}${pool === null ? (p ? ' (pool)' : ' (no pool)') : ''}` });
          }
        }
      }
    }
    return rows.length ? [{ kind: 'strip' as const, file, caption, protocol, rows, updates, title: stripTitle }] : [];
  };

  for (const pool of [false, true]) {
    const ch = pool ? '6.3' : '6.2';
    const f = pool
      ? { growth: 'Figure 12', strips: 'Table 6', erase9: 'Figure 13', erase15: 'Figure 14', fgsmG: 'Figure 15', fgsmA: 'Figure 16' }
      : { growth: 'Figure 7', strips: 'Table 4', erase9: 'Figure 8', erase15: 'Figure 9', fgsmG: 'Figure 10', fgsmA: 'Figure 11' };
    sections.push({
      title: `${f.growth} — growth over 2000 update steps, ${poolName(pool)} (section ${ch})`,
      items: pairCharts('growth', pool, `${slugOf(f.growth)}-growth-${poolSlug(pool)}`, 'growth, 2000 update steps'),
    });
    sections.push({
      title: `${f.strips} — growing 15×15 NCA, ${poolName(pool)}`,
      note: 'Frames after 0, 1, 2, 3, 4, 10, 30, 40, 100 and 1000 updates (0 = the seed), as the thesis\'s 10-05 strips.',
      items: strip('strip', pool, `${slugOf(f.strips)}-strip-${poolSlug(pool)}`, `Growth strip, 15×15, ${poolName(pool)}`, [0, 1, 2, 3, 4, 10, 30, 40, 100, 1000], `Growing 15x15 NCA, ${poolName(pool)}`),
    });
    const erase: PlanItem[] = [];
    for (const [protocol, what] of [['erase-2x2', '2×2 erased at step 51'], ['erase-3x3', '3×3 erased at step 51'], ['erase-bottom', 'bottom half erased at step 51']] as const) {
      erase.push(...pairCharts(protocol, pool, `${slugOf(f.erase9)}-${slugOf(f.erase15)}-${protocol}-${poolSlug(pool)}`, `${what}, 400 update steps`));
    }
    sections.push({
      title: `${f.erase9} / ${f.erase15} — quadratic erasing at step 51, ${poolName(pool)} (section ${ch}.1)`,
      note: 'The thesis showed the carrots (9×9 in the first figure, 15×15 in the second); all four targets are shown here.',
      items: erase,
    });
    sections.push({
      title: `${f.fgsmG} — FGSM ε = 7·10⁻⁷ after every update up to step 39, ${poolName(pool)} (section ${ch}.2)`,
      note: `FGSM clamp: ${results.fgsmClamp} (spec f.4: with the thesis code's clamp of all 16 channels, the clamp does the damage).`,
      items: pairCharts('fgsm-growth', pool, `${slugOf(f.fgsmG)}-fgsm-growth-${poolSlug(pool)}`, 'FGSM during growth, 1000 update steps'),
    });
    sections.push({
      title: `${f.fgsmA} — FGSM ε = 0.007 once at step 51, ${poolName(pool)}`,
      items: pairCharts('fgsm-after-0.007', pool, `${slugOf(f.fgsmA)}-fgsm-after-${poolSlug(pool)}`, 'FGSM ε 0.007 at step 51, 1000 update steps'),
    });
  }

  // Figure 20: ES with and without pool under FGSM during growth
  sections.push({
    title: 'Figure 20 — ES with and without sample pools, FGSM during growth (section 7.2)',
    items: TARGETS.flatMap((t) => {
      const keys = [find(models, 'es', true, t.family, t.size), find(models, 'es', false, t.family, t.size)].filter((m): m is ExperimentModel => !!m);
      if (keys.length < 2) return [];
      return [{
        kind: 'chart' as const, file: `figure-20-fgsm-growth-es-pools/${title(t).replace(' ', '-')}`, protocol: 'fgsm-growth',
        caption: `${title(t)} ES FGSM during growth: sample vs no-sample`, title: `${title(t)} ES FGSA during growth`,
        models: keys.map((m) => m.key), labels: new Map(keys.map((m) => [m.key, m.pool ? 'sample' : 'No-sample'])),
      }];
    }),
  });
  // Figure 22: FGSM 0.07 at 51, 15×15, Adam-sample vs ES sample / no-sample, 400 steps
  sections.push({
    title: 'Figure 22 — FGSM ε = 0.07 at step 51, 15×15, over 400 update steps (section 7.2)',
    note: 'ε = 0.07 as the thesis text states (spec i.1); the thesis\'s final logged runs used 0.007 (spec f.4, h.8).',
    items: (['carrot', 'rabbit'] as const).flatMap((family) => {
      const picks = [find(models, 'adam', true, family, 15), find(models, 'es', false, family, 15), find(models, 'es', true, family, 15)]
        .filter((m): m is ExperimentModel => !!m);
      if (!picks.length) return [];
      return [{
        kind: 'chart' as const, file: `figure-22-fgsm-0.07/15x15-${family}`, protocol: 'fgsm-after-0.07', xMax: 400,
        caption: `15x15 ${Cap(family)} FGSA at step 51 (ε 0.07)`, title: `15x15 ${Cap(family)} FGSA at step 51`, models: picks.map((m) => m.key),
        labels: new Map(picks.map((m) => [m.key, `${m.optimizer ? OPTIMIZERS[m.optimizer].short : 'model'}-${m.pool ? 'sample' : 'no-sample'}`])),
      }];
    }),
  });
  sections.push({
    title: 'Figure 23 — the 100th update step after FGSM ε = 0.07 at step 51 (15×15, sample pools)',
    items: strip('fgsm-after-0.07', true, 'figure-23-fgsm-0.07-step-100', 'State at step 100 after FGSM ε 0.07 at step 51', [101], 'Step 100 after FGSM ε 0.07 at step 51'),
  });
  sections.push({
    title: 'Figure 18 — growth on a 39×39 canvas (-s 40), 15×15 models (section 7.1)',
    note: 'The thesis showed the Adam pool rabbit and the ES no-pool rabbit at steps 4, 10, 30, 40, 100, 1000; every 15×15 model is shown here.',
    items: strip('big-canvas', null, 'figure-18-big-canvas', 'Growth on the 39×39 canvas, 15×15 models', [4, 10, 30, 40, 100, 1000], 'Growth on a 39x39 canvas (frames after k updates)'),
  });
  sections.push({
    title: 'Figure 19 — regeneration after the bottom half is erased at step 51 (15×15)',
    note: 'Steps 50, 51, 60, 80, 100 in the thesis\'s indexing (step k = after k+1 updates; step 51 already shows the damage).',
    items: strip('erase-bottom', null, 'figure-19-erase-bottom', 'Bottom half erased at step 51, 15×15 models', [51, 52, 61, 81, 101], 'Erase bottom half at step 51'),
  });
  if (opts.animated?.length) {
    sections.push({
      title: 'Animations',
      note: 'Every update up to 200, then every 20th; first repeat.',
      items: opts.animated.flatMap((protocol) => models.map((m) => ({
        kind: 'gif' as const, file: `gifs/${protocol}/${m.target.size}x${m.target.size}-${targetFamily(m.target.name)}-${m.optimizer}-${m.pool ? 'pool' : 'nopool'}`,
        caption: `${m.target.size}x${m.target.size} ${targetFamily(m.target.name)} ${m.optimizer ? OPTIMIZERS[m.optimizer].short : 'model'} ${m.pool ? 'pool' : 'no pool'}: ${protocol}`,
        protocol, model: m.key,
      }))),
    });
  }
  return {
    title: 'NCA Lab — the thesis\'s chapter 6, reproduced',
    intro: opts.trainingNote,
    sections: sections.filter((s) => s.items.length),
  };
}

function slugOf(name: string): string {
  return name.toLowerCase().replace(/\s+/g, '-').replace(/figure-(\d)$/, 'figure-0$1').replace(/table-(\d)$/, 'table-$1');
}
