/**
 * Figures from experiment results: chart PNGs (exact size, white corners, the thesis's colours), SVGs (legend
 * text, axis labels, title, colours), strips, GIFs, the index page, the shared axes, and `nca-lab experiment`.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandIo } from '../../../../src/cli/command';
import { main } from '../../../../src/cli/index';
import { THESIS_ADAM_MODEL, THESIS_ES_MODEL } from '../../../../src/core/nca/config';
import { chartAxes, type LineChartSpec } from '../../../../src/core/figures/line-chart';
import { lineChartSvg } from '../../../../src/core/figures/svg';
import { pngDpi, withPngDpi } from '../../../../src/core/figures/png-dpi';
import { linearAxis, logAxis } from '../../../../src/core/figures/ticks';
import { renderChartPng } from '../../../../src/services/experiments/figures';
import { writeFigureSet } from '../../../../src/services/experiments/figure-set';
import { runExperiment, type ExperimentOutcome } from '../../../../src/services/experiments/run-experiment';
import { thesisPlan } from '../../../../src/services/experiments/thesis-figures';
import { decodePng } from '../../../../src/services/export/png';
import { LabStore } from '../../../../src/services/store/lab-store';
import {
  legendLabels, modelColors, parseColorOverrides, protocolChart, targetTitle, THESIS_COLORS,
} from '../../../../src/shared/experiment-charts';
import { configFromPreset } from '../../../../src/shared/training-config';
import { growingParams } from '../../../fixtures/model-params';

let ws: string;
let ids: string[];
let outcome: ExperimentOutcome;

beforeAll(async () => {
  ws = mkdtempSync(join(tmpdir(), 'nca-lab-figures-'));
  const store = new LabStore(ws);
  ids = [];
  for (const [preset, cfg, seed, name] of [['thesis-adam', THESIS_ADAM_MODEL, 2, 'adam carrot'], ['thesis-es', THESIS_ES_MODEL, 3, 'es carrot']] as const) {
    const c = configFromPreset(preset);
    const run = await store.createRun(c, { backend: null, name });
    await store.writeModel(run.id, growingParams(cfg, seed), { config: c, generation: 1, loss: null });
    ids.push(run.id);
  }
  outcome = await runExperiment({ workspace: ws, suite: 'erase-bottom', models: ids, workers: 0, animate: 'all' });
});

afterAll(() => {
  if (ws) rmSync(ws, { recursive: true, force: true });
});

function pixel(png: { width: number; data: Uint8Array }, x: number, y: number): number[] {
  const i = (y * png.width + x) * 4;
  return Array.from(png.data.slice(i, i + 4));
}

describe('axes (shared by PNG and SVG)', () => {
  it('puts linear ticks where matplotlib does for the thesis lengths', () => {
    expect(linearAxis(0, 2000).ticks.map((t) => t.value)).toEqual([0, 250, 500, 750, 1000, 1250, 1500, 1750, 2000]);
    expect(linearAxis(0, 400).ticks.map((t) => t.value)).toEqual([0, 50, 100, 150, 200, 250, 300, 350, 400]);
    expect(linearAxis(0, 1000).ticks.map((t) => t.value)).toEqual([0, 200, 400, 600, 800, 1000]);
  });

  it('labels decades as powers of ten, and minor ticks when less than two decades show', () => {
    const wide = logAxis([1e-4, 0.03]);
    expect(wide.ticks.filter((t) => t.label).map((t) => t.label)).toEqual(['10⁻⁴', '10⁻³', '10⁻²']);
    const narrow = logAxis([0.0021, 0.0058]);
    expect(narrow.ticks.filter((t) => t.label).map((t) => t.label)).toEqual(['2×10⁻³', '3×10⁻³', '4×10⁻³', '5×10⁻³', '6×10⁻³']);
  });

  it('keeps a diverged curve readable: at most about ten labelled decades', () => {
    const axis = logAxis([1e-3, 1e70]);
    const labels = axis.ticks.filter((t) => t.label).map((t) => t.label);
    expect(labels).toEqual(['10⁰', '10¹⁰', '10²⁰', '10³⁰', '10⁴⁰', '10⁵⁰', '10⁶⁰', '10⁷⁰']);
    expect(axis.ticks.length).toBe(labels.length);
  });

  it('extends 0..399 to a round 400 as the thesis plots do', () => {
    const spec: LineChartSpec = { title: '', xLabel: '', yLabel: '', yScale: 'log', series: [{ label: 'a', color: '#000', y: new Array(400).fill(0.01) }] };
    expect(chartAxes(spec).x.max).toBe(400);
  });
});

describe('chart specs from results', () => {
  it('titles "{size}x{size} {target}", colours Adam cyan and ES magenta, legends the runs\' names', () => {
    const r = outcome.results;
    expect(targetTitle(r.models)).toBe('9x9 carrot');
    expect([...modelColors(r.models).values()]).toEqual([THESIS_COLORS.adam, THESIS_COLORS.es]);
    expect([...legendLabels(r.models).values()]).toEqual(['adam carrot', 'es carrot']);
    // runs of the same name stay apart: the shortest distinguishing tail of their ids
    const twins = r.models.map((m) => ({ ...m, label: 'es-256 · carrot-9' }));
    const twinLabels = [...legendLabels(twins).values()];
    expect(new Set(twinLabels).size).toBe(2);
    twinLabels.forEach((t, i) => expect(t).toBe(`es-256 · carrot-9 · ${ids[i].slice(-4)}`));
    const spec = protocolChart(r, 'erase-bottom', ids);
    expect(spec).toMatchObject({ title: '9x9 carrot', xLabel: 'Update steps', yLabel: 'log₁₀(loss)', yScale: 'log' });
    expect(spec.series.map((s) => [s.label, s.color, s.y.length])).toEqual([['adam carrot', '#00bfbf', 400], ['es carrot', '#bf00bf', 400]]);
    const edited = protocolChart(r, 'erase-bottom', ids, { colors: parseColorOverrides(`es=#123456,${ids[0]}=orange`) });
    expect(edited.series.map((s) => s.color)).toEqual(['orange', '#123456']);
    expect(() => parseColorOverrides('es=notacolour!')).toThrow(/not a colour/);
  });
});

describe('rendered figures', () => {
  it('PNG: exact size for the DPI, white corners (not black), both curve colours drawn', () => {
    const spec = protocolChart(outcome.results, 'erase-bottom', ids);
    const png = decodePng(renderChartPng(spec, { widthIn: 6.4, heightIn: 4.8, dpi: 100 }));
    expect([png.width, png.height]).toEqual([640, 480]);
    for (const [x, y] of [[0, 0], [639, 0], [0, 479], [639, 479]]) expect(pixel(png, x, y)).toEqual([255, 255, 255, 255]);
    let cyan = 0;
    let magenta = 0;
    for (let i = 0; i < png.width * png.height; i++) {
      const [r, g, b] = [png.data[i * 4], png.data[i * 4 + 1], png.data[i * 4 + 2]];
      if (r < 40 && g > 160 && b > 160) cyan++;
      if (r > 160 && g < 40 && b > 160) magenta++;
    }
    expect(cyan).toBeGreaterThan(50);
    expect(magenta).toBeGreaterThan(50);
    // the DPI is in the file (pHYs), and the browser path's helper writes the same chunk
    const bytes = new Uint8Array(renderChartPng(spec, { widthIn: 2, heightIn: 2, dpi: 150 }));
    expect(pngDpi(bytes)).toBe(150);
    const redone = withPngDpi(bytes, 300);
    expect(pngDpi(redone)).toBe(300);
    expect(decodePng(Buffer.from(redone)).width).toBe(300);
  });

  it('SVG: vector document with title, legend texts, axis labels and the series colours', () => {
    const svg = lineChartSvg(protocolChart(outcome.results, 'erase-bottom', ids), { widthIn: 6.4, heightIn: 4.8 });
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="6.4in" height="4.8in" viewBox="0 0 460.8 345.6"/);
    expect(svg).toContain('<title>9x9 carrot</title>');
    expect(svg).toMatch(/<g class="legend"[^>]*>.*<text[^>]*>adam carrot<\/text>.*<text[^>]*>es carrot<\/text>/s);
    expect(svg).toMatch(/<text class="x-label"[^>]*>Update steps<\/text>/);
    expect(svg).toMatch(/<text class="y-label"[^>]*>log₁₀\(loss\)<\/text>/);
    expect(svg.match(/<path class="series"[^>]*stroke="#00bfbf"/g)).toHaveLength(1);
    expect(svg.match(/<path class="series"[^>]*stroke="#bf00bf"/g)).toHaveLength(1);
    expect(svg).toContain('<rect width="460.8" height="345.6" fill="#ffffff"/>');
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  });

  it('writes a figure set: data, charts, strips, GIFs and an index page', async () => {
    const out = join(ws, 'set');
    const files = await writeFigureSet(outcome.results, out, {
      formats: ['png', 'svg', 'csv', 'gif'], size: { widthIn: 4, heightIn: 3, dpi: 80 }, animations: outcome.animations,
    });
    const names = files.map((f) => f.file).sort();
    expect(names).toEqual([
      'erase-bottom.csv', 'erase-bottom/9x9-carrot.png', 'erase-bottom/9x9-carrot.svg',
      `erase-bottom/${ids[0].toLowerCase()}.gif`, `erase-bottom/${ids[1].toLowerCase()}.gif`, 'erase-bottom/strip.png',
      'index.html', 'results.json',
    ].sort());
    const chart = decodePng(readFileSync(join(out, 'erase-bottom/9x9-carrot.png')));
    expect([chart.width, chart.height]).toEqual([320, 240]);
    const strip = decodePng(readFileSync(join(out, 'erase-bottom/strip.png')));
    expect(pixel(strip, 0, 0)).toEqual([255, 255, 255, 255]);
    expect(pixel(strip, strip.width - 1, strip.height - 1)).toEqual([255, 255, 255, 255]);
    const gif = readFileSync(join(out, `erase-bottom/${ids[1].toLowerCase()}.gif`));
    expect(gif.subarray(0, 6).toString('latin1')).toBe('GIF89a');
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain('<img src="erase-bottom/9x9-carrot.png"');
    expect(html).toContain('href="erase-bottom/9x9-carrot.svg"');
    expect(html).toContain('loss index k is the RGBA MSE of the state after k+1 CA updates');
  });

  it('lays out the thesis figure set from the models present', () => {
    const plan = thesisPlan(outcome.results, { table2: [{ population: 6, generationsPerSec: 25, mutantsPerSec: 150 }] });
    expect(plan.sections[0].title).toMatch(/^Table 2/);
    // one 9×9 carrot with pool (the Adam model) and one without (the ES model): each pool setting has its erase chart
    const charts = plan.sections.flatMap((s) => s.items).filter((i) => i.kind === 'chart' && i.protocol === 'erase-bottom');
    expect(charts.map((c) => c.kind === 'chart' && c.models)).toEqual([[ids[1]], [ids[0]]]);
  });
});

describe('nca-lab experiment', () => {
  async function run(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const io: CommandIo = { out: (l) => void out.push(l), err: (l) => void err.push(l) };
    return { code: await main(argv, io), out, err };
  }

  it('runs a suite and writes figures, printing a JSON summary', async () => {
    const dir = join(ws, 'cli-out');
    const r = await run('experiment', '--suite', 'erase-2x2', '--models', ids.join(','), '--out', dir, '--workspace', ws,
      '--workers', '0', '--format', 'png,svg', '--dpi', '72', '--json');
    expect(r.code, r.err.join('\n')).toBe(0);
    const summary = JSON.parse(r.out.at(-1)!);
    expect(summary).toMatchObject({ event: 'summary', suite: 'erase-2x2', out: dir, jobs: 2 });
    expect(readdirSync(join(dir, 'erase-2x2')).sort()).toEqual(['9x9-carrot.png', '9x9-carrot.svg', 'strip.png']);
    expect(summary.indexing).toMatch(/after k\+1 CA updates/);
  });

  it('names the bad flag', async () => {
    const bad = await run('experiment', '--suite', 'erase-4x4', '--models', ids[0], '--out', ws, '--workspace', ws);
    expect(bad.code).toBe(2);
    expect(bad.err[0]).toContain('--suite must be one of growth, erase-2x2');
    const fmt = await run('experiment', '--suite', 'growth', '--models', ids[0], '--out', ws, '--workspace', ws, '--format', 'png,pdf');
    expect(fmt.err[0]).toContain('--format: "pdf" is not one of png, svg, csv, gif');
  });
});
