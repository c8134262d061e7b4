/**
 * The lab as researchers expect it, in Chromium through its own `nca-lab serve` on a workspace filled
 * beforehand with LabStore (as `nca-lab train` would): a run another process writes shows up in Runs and on its page
 * without a reload, its metrics too; an imported target is kept in the workspace (after a reload, in New Run,
 * renamed, "train on this", its delete refused while a run trains on it); a new run's page opens at its top.
 * Screenshots go to test-results/screenshots/.
 */
import { readFile } from 'node:fs/promises';
import { expect, test, type Page } from './fixtures';
import sharp from 'sharp';
import { LabStore } from '../../src/services/store/lab-store';
import { acquireRunLock } from '../../src/services/training/run-lock';
import { ncaConfigOf } from '../../src/shared/training-config';
import { growingParams } from '../fixtures/model-params';
import { encodePng } from '../../src/services/export/png';
import { configFromPreset } from '../../src/shared/training-config';
import type { MetricRow } from '../../src/shared/run-record';
import { OwnLab, SHOTS, watchForProblems } from './bridge';

let lab: OwnLab;
let store: LabStore;
/** an ES run whose loss became NaN at generation 60, and a model whose growth overflows at t = 23 */
let divergedRun: string;
let divergedModel: string;
/** an ES run with a healthy falling curve */
let healthyRun: string;

/** An opaque orange heart-ish blob on transparent: something to import. */
function blobPng(size: number): Buffer {
  const px = new Uint8Array(size * size * 4);
  const c = (size - 1) / 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) if ((x - c) ** 2 + (y - c) ** 2 <= (size / 2.6) ** 2) px.set([240, 120, 20, 255], (y * size + x) * 4);
  }
  return encodePng(px, size, size);
}

/** Rows of a curve that falls from 0.1 as 0.1·0.99^g. */
function fallingRows(from: number, to: number): MetricRow[] {
  const rows: MetricRow[] = [];
  for (let g = from; g <= to; g++) rows.push({ generation: g, evaluations: g * 6, wallSeconds: g * 0.05, loss: 0.1 * 0.99 ** g, bestLoss: 0.1 * 0.99 ** g, lr: 0.01 });
  return rows;
}

async function chartPoints(page: Page): Promise<number> {
  const text = (await page.locator('.chart-note').textContent()) ?? '';
  return Number(/([\d,]+) points?/.exec(text)?.[1].replace(/,/g, '') ?? -1);
}

/** The x axis' tick labels of an exported SVG (the labels under the plot, left to right). */
function xTickLabels(svg: string): string[] {
  const group = /<g class="tick-labels"[^>]*>(.*?)<\/g>/s.exec(svg)?.[1] ?? '';
  return [...group.matchAll(/<text [^>]*text-anchor="middle">([^<]*)<\/text>/g)].map((m) => m[1]);
}

test.beforeAll(async () => {
  test.setTimeout(120_000);
  lab = await OwnLab.open('ux', async (workspace) => {
    const s = new LabStore(workspace);
    const run = await s.createRun(configFromPreset('thesis-es'), { backend: null, name: 'too large a sigma' });
    const rows = fallingRows(1, 80).map((r) => (r.generation >= 60 ? { ...r, loss: Number.NaN, bestLoss: r.bestLoss } : r));
    await s.appendMetrics(run.id, rows);
    await s.updateRun(run.id, { status: 'failed', statusReason: 'the update made the parameters non-finite at generation 60' });
    divergedRun = run.id;
    const m = await s.createRun(configFromPreset('thesis-es'), { backend: null, name: 'exploding model' });
    const params = growingParams(ncaConfigOf(m.config), 3).map((v) => v * 6);
    await s.writeModel(m.id, params, { config: m.config, generation: 500, loss: null });
    await s.updateRun(m.id, { status: 'stopped' });
    divergedModel = m.id;
    const h = await s.createRun(configFromPreset('thesis-es'), { backend: null, name: 'healthy ES' });
    await s.appendMetrics(h.id, fallingRows(1, 200));
    await s.updateRun(h.id, { status: 'stopped' });
    healthyRun = h.id;
  });
  store = new LabStore(lab.workspace);
});

test.afterAll(async () => {
  const code = await lab?.close();
  expect(code, lab?.serve.output()).toBe(0);
});

test('a run another process writes appears in Runs and on its page without a reload (live workspace)', async ({ page }) => {
  const problems = watchForProblems(page);
  await page.goto(lab.url('#/runs'));
  await expect(page.getByRole('heading', { level: 1, name: 'Runs' })).toBeVisible();
  await expect(page.locator('tr[data-run]')).toHaveCount(3);

  // "nca-lab train" in another terminal: a run folder with its record and metrics
  const before = await page.locator('tr[data-run]').count();
  const run = await store.createRun(configFromPreset('thesis-es'), { backend: null });
  // it holds the run's lock as a trainer does (this test's process is its live owner): a 'running' run without a
  // live owner would read as interrupted
  const lock = await acquireRunLock(store.runDir(run.id), run.id);
  await store.updateRun(run.id, { status: 'running' });
  await store.appendMetrics(run.id, fallingRows(1, 40));
  const row = page.locator(`tr[data-run="${run.id}"]`);
  await expect(page.locator('tr[data-run]')).toHaveCount(before + 1, { timeout: 10_000 });
  await expect(row).toHaveCount(1, { timeout: 10_000 });
  await expect(row).toContainText('running');
  // its default name tells it apart from the next run of the same preset and target
  await expect(row.locator('.run-name')).toHaveAttribute('title', `thesis-es · carrot-9 · ${run.id.slice(-4)}`);

  await row.locator('a.run-link').click();
  await expect(page.getByTestId('run-name')).toHaveText(`thesis-es · carrot-9 · ${run.id.slice(-4)}`);
  await expect.poll(() => chartPoints(page)).toBe(40);
  await store.appendMetrics(run.id, fallingRows(41, 90));
  await expect.poll(() => chartPoints(page), { timeout: 10_000 }).toBe(90);
  await store.updateRun(run.id, { status: 'stopped', statusReason: 'stopped by the user at generation 90' });
  await lock.release();
  await expect(page.getByTestId('status-reason')).toHaveText('stopped by the user at generation 90', { timeout: 10_000 });

  // deleted elsewhere: gone from the table
  await page.goto(lab.url('#/runs'));
  await expect(row).toHaveCount(1);
  await store.deleteRun(run.id, { force: true });
  await expect(row).toHaveCount(0, { timeout: 10_000 });
  expect(problems).toEqual([]);
});

test('an imported target stays in the workspace: listed after a reload and in New Run, renamed, trained on, kept while a run uses it', async ({ page }) => {
  const problems = watchForProblems(page);
  await page.goto(lab.url('#/targets'));
  await page.getByLabel('Size').fill('12');
  await page.getByTestId('import-file').setInputFiles({ name: 'orange blob.png', mimeType: 'image/png', buffer: blobPng(48) });
  const card = page.getByTestId('imported-gallery').locator('[data-imported^="orange-blob-"]');
  await expect(card).toHaveCount(1);
  await expect(card).toContainText('orange blob');
  await expect(card).toContainText('from orange blob.png');

  await page.reload();
  await expect(card).toHaveCount(1);
  await card.getByTestId('rename-target').click();
  await card.getByLabel('Target name').fill('blob 12');
  await card.getByRole('button', { name: 'Save' }).click();
  await expect(card.locator('figcaption .name')).toHaveText('blob 12');
  await page.screenshot({ path: `${SHOTS}/ux-targets-imported.png`, fullPage: true });

  // "train on this": New Run with it chosen, beside the built-ins
  await card.getByTestId('train-on-target').click();
  await expect(page).toHaveURL(/#\/new\?target=orange-blob-/);
  const option = page.locator('.target-option[data-imported^="orange-blob-"]');
  await expect(option).toHaveClass(/active/);
  await expect(page.locator('.target-option')).toHaveCount(7);
  await page.locator('#field-stop-maxGenerations').fill('5');
  // the form is long: create from its bottom, the run's page must open at its top
  const content = page.getByTestId('content');
  await content.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
  expect(await content.evaluate((el) => el.scrollTop)).toBeGreaterThan(200);
  await page.getByTestId('create-run').click();
  await expect(page.getByTestId('run-name')).toBeVisible();
  await expect.poll(() => content.evaluate((el) => el.scrollTop)).toBe(0);
  await expect(page.locator('.meta').first()).toContainText('orange-blob');

  // a run trains on it: the lab keeps it and says why
  await page.goto(lab.url('#/targets'));
  await card.getByTestId('delete-target').click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await expect(card.getByTestId('target-action-error')).toContainText('1 run trains on this target');
  await expect(card).toHaveCount(1);
  expect(problems).toEqual([]);
});

test('divergence is named: on the run page with its generation, in the Playground with its step; fastest play stops at the timeline\'s end', async ({ page }) => {
  const problems = watchForProblems(page);
  await page.goto(lab.url(`#/runs/${divergedRun}`));
  await expect(page.getByTestId('run-diverged')).toContainText('Diverged at generation 60');
  await expect.poll(() => chartPoints(page)).toBe(80);
  await page.screenshot({ path: `${SHOTS}/ux-run-page-diverged.png` });

  await page.goto(lab.url(`#/playground?run=${divergedModel}`));
  await expect(page.getByTestId('step-counter')).toHaveText('t = 0', { timeout: 20_000 });
  await page.getByTestId('timeline-end').fill('1500');
  await page.getByTestId('timeline-end').dispatchEvent('change');
  await page.getByTestId('speed').selectOption('0');
  await page.getByTestId('play').click();
  // as fast as possible runs to the timeline's end and stops there
  await expect(page.getByTestId('step-counter')).toHaveText('t = 1500', { timeout: 30_000 });
  await expect(page.getByTestId('play')).toHaveText(/Play/);
  await expect(page.getByTestId('model-diverged')).toHaveText('diverged at t = 23');
  await expect(page.getByTestId('timeline')).toHaveAttribute('max', '1500');
  // jumping back re-scales the timeline and the chart's x to the default 1,000 steps
  await page.getByTestId('go-to').fill('20');
  await page.getByTestId('go-to').dispatchEvent('change');
  await expect(page.getByTestId('step-counter')).toHaveText('t = 20');
  await expect(page.getByTestId('timeline')).toHaveAttribute('max', '1000');
  await expect(page.getByTestId('timeline-end')).toHaveValue('1000');
  await expect(page.getByTestId('fgsm-clamp-note')).toContainText('the loss can drop at once');
  await page.getByTestId('model-diverged').scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SHOTS}/ux-playground-diverged.png` });
  expect(problems).toEqual([]);
});

test('the Playground survives a reload: its model, seed cells and damage log come back', async ({ page }) => {
  const problems = watchForProblems(page);
  await page.goto(lab.url(`#/playground?run=${divergedModel}`));
  await expect(page.getByTestId('step-counter')).toHaveText('t = 0', { timeout: 20_000 });
  await page.getByTestId('step-forward').click();
  await page.getByTestId('step-forward').click();
  await page.getByTestId('erase-bottom').click();
  await page.getByTestId('step-forward').click();
  await expect(page.getByTestId('damage-log').locator('li')).toHaveCount(1);
  await page.waitForTimeout(800);
  await page.goto(lab.url('#/playground'));
  await page.reload();
  await expect(page.getByTestId('model-chips')).toContainText('exploding model', { timeout: 20_000 });
  await expect(page.getByTestId('damage-log').locator('li')).toHaveCount(1);
  await expect(page.getByTestId('damage-log')).toContainText('bottom');
  await expect(page.getByTestId('step-counter')).toHaveText('t = 3');

  // a hidden channel's heat map comes with its colour key, values at both ends
  await expect(page.getByTestId('heat-colour-bar')).toHaveCount(0);
  await page.getByTestId('view-select').selectOption('4');
  await expect(page.getByTestId('heat-colour-bar')).toContainText('hidden 1 (channel 4)');
  const max = Number(await page.getByTestId('heat-max').textContent());
  expect(max).toBeGreaterThan(0);
  expect(await page.getByTestId('heat-min').textContent()).toBe(String(-max));
  await page.getByTestId('heat-colour-bar').scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SHOTS}/ux-playground-heat-key.png` });
  expect(problems).toEqual([]);
});

test('training curves export like TensorBoard\'s (PNG at a size and DPI, SVG, CSV), switch log/linear, and Runs shows chosen hyperparameter columns', async ({ page }) => {
  const problems = watchForProblems(page);
  await page.goto(lab.url(`#/runs/${healthyRun}`));
  await expect.poll(() => chartPoints(page)).toBe(200);
  await page.getByTestId('chart-export').click();
  await page.getByTestId('export-width').fill('4');
  await page.getByTestId('export-height').fill('3');
  await page.getByTestId('export-dpi').fill('150');
  const [png] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-png').click()]);
  const meta = await sharp(await readFile((await png.path())!)).metadata();
  expect([meta.width, meta.height, meta.density]).toEqual([600, 450, 150]);
  const [svg] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-svg').click()]);
  const svgText = await readFile((await svg.path())!, 'utf8');
  expect(svgText).toContain('>training loss (log scale)</text>');
  expect(svgText).toContain('>healthy ES</text>');
  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
  const csvLines = (await readFile((await csv.path())!, 'utf8')).trimEnd().split('\n');
  expect(csvLines[0]).toBe('run,generation,loss,loss_smoothed');
  expect(csvLines).toHaveLength(201);
  // a click outside the export panel closes it (as a menu does); it opens again on its button
  await page.getByTestId('scale-linear').click();
  await expect(page.getByTestId('chart-export-panel')).toBeHidden();
  await page.getByTestId('chart-export').click();
  const [svgLinear] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-svg').click()]);
  expect(await readFile((await svgLinear.path())!, 'utf8')).toContain('>training loss</text>');
  await page.getByTestId('scale-log').click();
  // the x ticks the screen and the files share: whole generations, and wall time at round durations with their unit
  expect(xTickLabels(svgText)).toEqual(['0', '25', '50', '75', '100', '125', '150', '175', '200']);
  await page.getByRole('button', { name: 'Wall time' }).click();
  await page.getByTestId('chart-export').click();
  const [svgWall] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-svg').click()]);
  expect(xTickLabels(await readFile((await svgWall.path())!, 'utf8'))).toEqual(['0', '2 s', '4 s', '6 s', '8 s', '10 s']);
  await page.getByTestId('chart-export').click();
  await page.getByRole('button', { name: 'Generation / iteration' }).click();
  await page.getByTestId('content').evaluate((el) => el.scrollTo(0, 0));
  await page.screenshot({ path: `${SHOTS}/ux-run-page.png` });

  // Overlay: the smoothing value is shown, the export opens over the chart
  await page.goto(lab.url(`#/overlay?runs=${healthyRun},${divergedRun}`));
  await expect(page.getByTestId('smoothing-value')).toHaveText('0.60');
  await page.getByTestId('chart-export').click();
  await expect(page.getByTestId('chart-export-panel')).toBeVisible();
  await page.waitForTimeout(500);
  await page.screenshot({ path: `${SHOTS}/ux-overlay-export.png` });

  // Runs: hyperparameter columns, kept across a reload
  await page.goto(lab.url('#/runs'));
  await page.getByTestId('columns-button').click();
  await page.locator('[data-column="es.population"]').check();
  await page.locator('[data-column="es.sigma"]').check();
  await page.getByTestId('columns-button').click();
  await page.reload();
  await expect(page.locator('th[data-hyper="es.population"]')).toHaveText('Population (ES)');
  await expect(page.locator(`tr[data-run="${healthyRun}"] td[data-hyper="es.population"]`)).toHaveText('6');
  await expect(page.locator(`tr[data-run="${healthyRun}"] td[data-hyper="es.sigma"]`)).toHaveText('0.01');
  await page.screenshot({ path: `${SHOTS}/ux-runs-hyper-columns.png` });
  expect(problems).toEqual([]);
});
