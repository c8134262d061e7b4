/**
 * A figure set: charts (PNG and/or SVG), growth strips (PNG), GIFs and CSV data in one folder, with an index.html
 * that shows them. What goes in is a FigurePlan: `genericPlan` (every protocol × target, for
 * `nca-lab experiment`) or the thesis's chapter-6 layout (reproduce.ts). Data files are copied first.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DEFAULT_FIGURE_SIZE, type FigureSize } from '../../core/figures/line-chart';
import { escapeXml } from '../../core/figures/svg';
import { base64ToBytes } from '../../shared/float32-base64';
import { RESULTS_FILE, type ExperimentFrameData, type ExperimentResults } from '../../shared/experiment';
import type { FigureIndex } from '../../shared/reproduce';
import {
  groupByTarget, legendLabels, protocolChart, stripColumns, type ColorOverrides,
} from '../../shared/experiment-charts';
import { writeBytesAtomic } from '../store/atomic-file';
import { writeGifFile } from '../export/replay-files';
import { csvNames, experimentDataFiles } from './experiment-store';
import { renderChartPng, renderChartSvg, renderStripPng, type StripCell } from './figures';
import type { ExperimentAnimations } from './run-experiment';

export type FigureFormat = 'png' | 'svg' | 'csv' | 'gif';
export const FIGURE_FORMATS: readonly FigureFormat[] = ['png', 'svg', 'csv', 'gif'];

export interface ChartItem {
  kind: 'chart';
  /** file path without extension, relative to the set's folder */
  file: string;
  caption: string;
  protocol: string;
  models: string[];
  title?: string;
  xMax?: number;
  labels?: Map<string, string>;
}

export interface StripItem {
  kind: 'strip';
  file: string;
  caption: string;
  protocol: string;
  rows: { model: string; label: string }[];
  /** frames by updates applied */
  updates: number[];
  title: string;
}

export interface GifItem {
  kind: 'gif';
  file: string;
  caption: string;
  protocol: string;
  model: string;
}

export interface TableItem {
  kind: 'table';
  file: string;
  caption: string;
  header: string[];
  rows: (string | number)[][];
}

export type PlanItem = ChartItem | StripItem | GifItem | TableItem;

export interface PlanSection {
  title: string;
  note?: string;
  items: PlanItem[];
}

export interface FigurePlan {
  title: string;
  intro?: string;
  sections: PlanSection[];
}

export interface FigureSetOptions {
  formats: readonly FigureFormat[];
  size?: FigureSize;
  colors?: ColorOverrides;
  plan?: FigurePlan;
  animations?: ExperimentAnimations;
  /** GIF frames per second (default 25) and the side a frame is upscaled to (default ≈ 160 px) */
  gifFps?: number;
  gifSide?: number;
  /** strip box side in pixels (default 120) */
  stripBox?: number;
}

export interface WrittenFigure {
  kind: PlanItem['kind'] | 'data' | 'index';
  /** relative to the set's folder */
  file: string;
}

export function slug(s: string): string {
  return s.toLowerCase().replace(/×/g, 'x').replace(/[^a-z0-9.]+/g, '-').replace(/^-+|-+$/g, '') || 'figure';
}

/** Every protocol: one chart per target (the models that grow it), a strip of all models, their GIFs. */
export function genericPlan(results: ExperimentResults, animations?: ExperimentAnimations): FigurePlan {
  const groups = groupByTarget(results.models);
  // the models' own names, in the legends, the strips' rows and the GIFs' captions alike
  const labels = legendLabels(results.models);
  const sections: PlanSection[] = results.protocols.map((p) => {
    const items: PlanItem[] = groups.map((g) => ({
      kind: 'chart' as const, file: `${p.id}/${slug(g.title)}`, caption: `${g.title}: ${p.title}`, protocol: p.id, models: g.keys,
    }));
    if (p.frames.length) {
      items.push({
        kind: 'strip', file: `${p.id}/strip`, caption: `Frames of ${p.title}`, protocol: p.id, updates: p.frames,
        title: p.title,
        rows: results.models.map((m) => ({ model: m.key, label: labels.get(m.key)! })),
      });
    }
    for (const [key] of animations?.get(p.id) ?? []) {
      items.push({ kind: 'gif', file: `${p.id}/${slug(key)}`, caption: `${labels.get(key) ?? key}: ${p.title}`, protocol: p.id, model: key });
    }
    return { title: p.title, note: p.source, items };
  });
  return { title: `Experiment ${results.id}: ${results.suite}`, sections };
}

function frameCell(f: ExperimentFrameData | undefined): StripCell | null {
  return f ? { rgba8: base64ToBytes(f.rgba8Base64), height: f.height, width: f.width } : null;
}

async function writeText(path: string, text: string | Uint8Array, what: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeBytesAtomic(path, text, { what });
}

/**
 * Writes the data (results.json, CSVs) and then the plan's figures into `outDir`, then index.html.
 * Returns what was written, relative to outDir.
 */
export async function writeFigureSet(results: ExperimentResults, outDir: string, opts: FigureSetOptions): Promise<WrittenFigure[]> {
  const formats = new Set(opts.formats);
  const size = opts.size ?? DEFAULT_FIGURE_SIZE;
  const plan = opts.plan ?? genericPlan(results, formats.has('gif') ? opts.animations : undefined);
  const written: WrittenFigure[] = [];
  await mkdir(outDir, { recursive: true });

  // data first
  const data = experimentDataFiles(results);
  for (const [name, text] of data) {
    if (name !== RESULTS_FILE && !formats.has('csv')) continue;
    await writeText(join(outDir, name), text, `experiment ${name}`);
    written.push({ kind: 'data', file: name });
  }

  const links = new Map<PlanItem, string[]>();
  for (const section of plan.sections) {
    for (const item of section.items) {
      const files: string[] = [];
      if (item.kind === 'chart') {
        const spec = protocolChart(results, item.protocol, item.models, {
          colors: opts.colors, title: item.title, xMax: item.xMax, labels: item.labels,
        });
        if (formats.has('png')) {
          await writeText(join(outDir, `${item.file}.png`), renderChartPng(spec, size), 'chart PNG');
          files.push(`${item.file}.png`);
        }
        if (formats.has('svg')) {
          await writeText(join(outDir, `${item.file}.svg`), renderChartSvg(spec, size), 'chart SVG');
          files.push(`${item.file}.svg`);
        }
      } else if (item.kind === 'strip') {
        if (!formats.has('png')) continue;
        const p = results.protocols.find((x) => x.id === item.protocol)!;
        const { columns, subtitle } = stripColumns(p, item.updates);
        const rows = item.rows.map((r) => ({
          label: r.label,
          cells: item.updates.map((u) => frameCell(results.frames.find((f) => f.protocol === item.protocol && f.model === r.model && f.updates === u))),
        }));
        await writeText(join(outDir, `${item.file}.png`), renderStripPng({ title: item.title, subtitle, columns, rows }, { box: opts.stripBox }), 'strip PNG');
        files.push(`${item.file}.png`);
      } else if (item.kind === 'gif') {
        if (!formats.has('gif')) continue;
        const frames = opts.animations?.get(item.protocol)?.get(item.model);
        if (!frames?.length) continue;
        const { height, width } = frames[0];
        const scale = Math.max(1, Math.min(64, Math.floor((opts.gifSide ?? 160) / Math.max(height, width))));
        await writeGifFile(join(outDir, `${item.file}.gif`), frames.map((f) => f.rgba8), height, width, { scale, fps: opts.gifFps ?? 25 });
        files.push(`${item.file}.gif`);
      } else {
        const csv = [item.header, ...item.rows].map((r) => r.join(',')).join('\n') + '\n';
        await writeText(join(outDir, `${item.file}.csv`), csv, 'table CSV');
        files.push(`${item.file}.csv`);
      }
      for (const f of files) written.push({ kind: item.kind, file: f });
      links.set(item, files);
    }
  }

  await writeText(join(outDir, 'index.html'), indexHtml(results, plan, links, formats.has('csv') ? csvNames(results) : [], size), 'index page');
  written.push({ kind: 'index', file: 'index.html' });
  return written;
}

/**
 * The index page as data (shared/reproduce.ts FigureIndex): the plan's sections and items with the files
 * `writeFigureSet` wrote for each, so a window can show the set without parsing index.html.
 */
export function figureIndex(plan: FigurePlan, written: WrittenFigure[]): FigureIndex {
  const written1 = new Set(written.map((w) => w.file));
  return {
    formatVersion: 1,
    title: plan.title,
    intro: plan.intro ?? null,
    data: written.filter((w) => w.kind === 'data').map((w) => w.file),
    sections: plan.sections.map((s) => ({
      title: s.title,
      note: s.note ?? null,
      items: s.items.flatMap((item) => {
        const files = ['png', 'svg', 'gif', 'csv'].map((ext) => `${item.file}.${ext}`).filter((f) => written1.has(f));
        if (files.length === 0) return [];
        return [{
          kind: item.kind, caption: item.caption, files,
          ...(item.kind === 'table' ? { table: { header: [...item.header], rows: item.rows.map((r) => [...r]) } } : {}),
        }];
      }),
    })).filter((s) => s.items.length > 0),
  };
}

/** Copies a stored experiment's data files into another folder (the CLI's --out without figures). */
export async function copyDataFiles(fromDir: string, outDir: string, results: ExperimentResults): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const names = [RESULTS_FILE, ...csvNames(results)];
  for (const n of names) await copyFile(join(fromDir, n), join(outDir, n));
  return names;
}

function tableHtml(header: string[], rows: (string | number)[][]): string {
  return `<table><thead><tr>${header.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${escapeXml(String(c))}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

function indexHtml(results: ExperimentResults, plan: FigurePlan, links: Map<PlanItem, string[]>, csv: string[], size: FigureSize): string {
  const e = escapeXml;
  const models = tableHtml(
    ['model', 'legend', 'optimizer', 'preset', 'pool', 'target', 'source'],
    results.models.map((m) => [m.key, m.label, m.optimizer ?? '–', m.preset ?? '–', m.pool === null ? '–' : m.pool ? 'yes' : 'no', `${m.target.name} (${m.target.size} px)`, m.source]),
  );
  const sections = plan.sections.map((s) => {
    const items = s.items.map((item) => {
      const files = links.get(item) ?? [];
      if (files.length === 0) return '';
      const rel = (f: string) => e(f);
      const png = files.find((f) => f.endsWith('.png'));
      const svg = files.find((f) => f.endsWith('.svg'));
      const gif = files.find((f) => f.endsWith('.gif'));
      let media = '';
      if (item.kind === 'table') media = tableHtml(item.header, item.rows);
      else if (gif) media = `<img class="gif" src="${rel(gif)}" alt="${e(item.caption)}">`;
      else if (png) media = `<img src="${rel(png)}" alt="${e(item.caption)}">`;
      else if (svg) media = `<img src="${rel(svg)}" alt="${e(item.caption)}">`;
      const dl = files.map((f) => `<a href="${rel(f)}">${e(f.split('.').pop()!.toUpperCase())}</a>`).join(' · ');
      return `<figure class="${item.kind}">${media}<figcaption>${e(item.caption)} <span class="files">${dl}</span></figcaption></figure>`;
    }).join('\n');
    return `<section><h2>${e(s.title)}</h2>${s.note ? `<p class="note">${e(s.note)}</p>` : ''}<div class="grid">${items}</div></section>`;
  }).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${e(plan.title)}</title>
<style>
body { font-family: 'DejaVu Sans', 'Liberation Sans', Arial, sans-serif; margin: 24px 32px; color: #222; background: #fff; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 32px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.note, .meta { color: #555; font-size: 13px; max-width: 70em; }
.grid { display: flex; flex-wrap: wrap; gap: 16px; }
figure { margin: 0; max-width: 100%; }
figure.chart img { width: 420px; max-width: 100%; border: 1px solid #eee; }
figure.strip img { max-width: 100%; border: 1px solid #eee; }
figure.gif img { width: 160px; image-rendering: pixelated; border: 1px solid #eee; }
figcaption { font-size: 12px; color: #444; max-width: 420px; margin-top: 4px; }
.files a { color: #0a58ca; }
table { border-collapse: collapse; font-size: 12px; margin: 8px 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; }
th { background: #f5f5f5; }
</style>
</head>
<body>
<h1>${e(plan.title)}</h1>
${plan.intro ? `<p class="meta">${e(plan.intro)}</p>` : ''}
<p class="meta"><strong>Indexing.</strong> ${e(results.indexing)}</p>
<p class="meta"><strong>Settings.</strong> Suite ${e(results.suite)}; ${results.repeats} repeat(s) with seed(s) ${e(results.seeds.join(', '))}${results.repeats > 1 ? ' (lines: mean; shaded: min–max over repeats)' : ' (one stochastic rollout per model, as in the thesis)'}; FGSM clamp: ${e(results.fgsmClamp)}. ${e(results.precision)} Ran ${results.timing.jobs} jobs on ${results.timing.workers || 'no'} worker process(es) in ${results.timing.seconds.toFixed(1)} s. Charts: ${size.widthIn}×${size.heightIn} in at ${size.dpi} DPI.</p>
<p class="meta"><strong>Data.</strong> <a href="${RESULTS_FILE}">${RESULTS_FILE}</a>${csv.map((c) => ` · <a href="${e(c)}">${e(c)}</a>`).join('')}</p>
<h2>Models</h2>
${models}
${sections}
</body>
</html>
`;
}
