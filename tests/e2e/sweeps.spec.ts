/**
 * A sweep started from the window, in Debian's Chromium through its own `nca-lab serve` (real worker processes):
 * the form plans it (2 settings × 2 seeds = 4 runs, an estimated time) before it starts; the Sweep view then shows
 * each configuration's curve with its min–max band over the seeds, the table of final losses with medians and
 * spreads, the final loss by the swept setting (a dot per seed), and the best configuration. The curves' SVG
 * parses (a band and a line per configuration), the PNG decodes at the chosen size and DPI, the CSV has a row per
 * run per evaluation with the setting as a column. Screenshots go to test-results/screenshots/.
 */
import { readFile } from 'node:fs/promises';
import { expect, test, type Locator, type Page } from './fixtures';
import { pngDpi } from '../../src/core/figures/png-dpi';
import { decodePng } from '../../src/services/export/png';
import { OwnLab, SHOTS, watchForProblems } from './bridge';
import type { SvgParserInPage } from './browser-types';

let lab: OwnLab | null = null;

test.beforeAll(async () => {
  lab = await OwnLab.open('sweeps');
});

test.afterAll(async () => {
  await lab?.close();
});

const FIXED = ['es.population=8', 'stepsMin=12', 'stepsMax=16', 'es.objective.lossWindow=8', 'evalEvery=2', 'checkpointEvery=4', 'es.workers=1'];

async function download(page: Page, chart: Locator, kind: 'png' | 'svg' | 'csv'): Promise<{ name: string; bytes: Buffer }> {
  await chart.getByTestId('chart-export').click();
  const [d] = await Promise.all([page.waitForEvent('download'), chart.getByTestId(`export-${kind}`).click()]);
  const bytes = await readFile((await d.path())!);
  await chart.getByTestId('chart-export').click();
  return { name: d.suggestedFilename(), bytes };
}

async function parseSvg(page: Page, text: string): Promise<{ ok: boolean; bands: number; series: number; points: number }> {
  return page.evaluate((t) => {
    const doc = new (globalThis as unknown as SvgParserInPage).DOMParser().parseFromString(t, 'image/svg+xml');
    return {
      ok: doc.querySelector('parsererror') === null && doc.documentElement.nodeName === 'svg',
      bands: doc.querySelectorAll('polygon.band').length,
      series: doc.querySelectorAll('path.series').length,
      points: doc.querySelectorAll('g.points circle').length,
    };
  }, text);
}

test('a sweep from the window: planned, trained, drawn by configuration with bands, exported', async ({ page }) => {
  test.setTimeout(420_000);
  const problems = watchForProblems(page);
  await page.goto(lab!.url('#/sweeps/new'));
  await expect(page.getByRole('heading', { name: 'Sweeps', level: 1 })).toBeVisible();
  const form = page.getByTestId('sweep-form');
  await form.getByTestId('sweep-axis-0').fill('es.sigma=0.01,0.02');
  await form.getByTestId('sweep-seeds').fill('1,2');
  await form.getByTestId('sweep-max-generations').fill('8');
  await form.getByTestId('sweep-max-seconds').fill('');
  for (const [i, text] of FIXED.entries()) {
    await form.getByTestId('sweep-add-fixed').click();
    await form.getByTestId(`sweep-fixed-${i}`).fill(text);
  }
  // a mistake is named before anything starts
  await form.getByTestId('sweep-axis-0').fill('es.sigma=0.01,-2');
  await expect(form.getByRole('alert').first()).toContainText('es.sigma: must be a number > 0');
  await expect(form.getByTestId('sweep-start')).toBeDisabled();
  await form.getByTestId('sweep-axis-0').fill('es.sigma=0.01,0.02');
  await expect(form.getByTestId('sweep-count')).toHaveText('2 configurations × 2 seeds = 4 runs');
  await expect(form.getByTestId('sweep-estimate')).toContainText(/Estimated time: \d/);
  await page.screenshot({ path: `${SHOTS}/sweep-form.png`, fullPage: true });
  await form.getByTestId('sweep-start').click();

  const view = page.getByTestId('sweep-view');
  await expect(view).toBeVisible();
  await expect(view.getByTestId('sweep-status')).toHaveText('done', { timeout: 360_000 });
  await expect(view.getByTestId('sweep-measured')).toHaveText('4 of 4 runs measured');
  await expect(page.getByTestId('sweep-list').locator('li')).toHaveCount(1);

  // the table: one row per configuration, medians with their spread over the 2 seeds
  const table = view.getByTestId('sweep-table');
  await expect(table.locator('tbody tr')).toHaveCount(2);
  await expect(table.locator('tbody tr').first().locator('td').nth(2)).toHaveText('0.01');
  await expect(table.locator('tbody tr').first().locator('td').nth(3)).toHaveText('2/2');
  await expect(table.locator('tbody tr').first().locator('td').nth(4)).toHaveText(/^\d\.\d+e?-?\d* \(\d/);
  await expect(view.getByTestId('sweep-best')).toContainText(/Best configuration: es\.sigma 0\.0[12]: 40-step loss/);
  await expect(view.getByTestId('sweep-runs').locator('tbody tr')).toHaveCount(4);

  // the grouped curves: a band and a line per configuration, in the SVG as on screen
  const curves = view.getByTestId('sweep-curves');
  await expect(curves.locator('canvas')).toHaveCount(1);
  const svg = await download(page, curves, 'svg');
  expect(svg.name).toMatch(/^sweep-.*-eval40-by-generation\.svg$/);
  const parsed = await parseSvg(page, svg.bytes.toString('utf8'));
  expect(parsed).toMatchObject({ ok: true, bands: 2, series: 2 });
  expect(svg.bytes.toString('utf8')).toContain('es.sigma 0.01 (2 seeds)');
  await curves.getByTestId('chart-export').click();
  await curves.getByTestId('export-width').fill('5');
  await curves.getByTestId('export-height').fill('3');
  await curves.getByTestId('export-dpi').fill('120');
  await curves.getByTestId('chart-export').click();
  const png = await download(page, curves, 'png');
  const img = decodePng(png.bytes);
  expect([img.width, img.height]).toEqual([600, 360]);
  expect(pngDpi(new Uint8Array(png.bytes))).toBe(120);
  expect(Array.from(img.data.slice(0, 4))).toEqual([255, 255, 255, 255]);
  const csv = (await download(page, curves, 'csv')).bytes.toString('utf8').trimEnd().split('\n');
  expect(csv[0]).toBe('sweep,run,configuration,es.sigma,seed,generation,evaluations,wall_seconds,loss,best_loss,lr,grad_norm,eval40,eval200,eval1000');
  // evaluations at generations 1, 2, 4, 6, 8 of each of the 4 runs
  expect(csv).toHaveLength(1 + 4 * 5);

  // by wall time, too: the band is drawn on the common grid
  await curves.getByRole('button', { name: 'Wall time' }).click();
  const byTime = await parseSvg(page, (await download(page, curves, 'svg')).bytes.toString('utf8'));
  expect(byTime).toMatchObject({ ok: true, bands: 2, series: 2 });

  // final loss by the swept setting: a dot per seed, a line through the medians
  const setting = view.getByTestId('sweep-setting-chart');
  await expect(setting).toHaveCount(1);
  const settingSvg = await parseSvg(page, (await download(page, setting, 'svg')).bytes.toString('utf8'));
  expect(settingSvg.ok).toBe(true);
  expect(settingSvg.series).toBe(1);
  expect(settingSvg.points).toBe(2 + 4);

  await page.setViewportSize({ width: 1440, height: 2000 });
  await page.screenshot({ path: `${SHOTS}/sweep-view.png`, fullPage: true });
  expect(problems).toEqual([]);
});
