/**
 * The lab as researchers expect it (issue 14), in Chromium through its own `nca-lab serve` on a workspace filled
 * beforehand with LabStore (as `nca-lab train` would): a run another process writes shows up in Runs and on its page
 * without a reload, its metrics too; an imported target is kept in the workspace (after a reload, in New Run,
 * renamed, "train on this", its delete refused while a run trains on it); a new run's page opens at its top.
 * Screenshots go to test-results/screenshots/.
 */
import { expect, test, type Page } from '@playwright/test';
import { LabStore } from '../../src/services/store/lab-store';
import { encodePng } from '../../src/services/export/png';
import { configFromPreset } from '../../src/shared/training-config';
import type { MetricRow } from '../../src/shared/run-record';
import { OwnLab, SHOTS, watchForProblems } from './bridge';

let lab: OwnLab;
let store: LabStore;

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

test.beforeAll(async () => {
  test.setTimeout(120_000);
  lab = await OwnLab.open('ux');
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
  await expect(page.locator('tr[data-run]')).toHaveCount(0);

  // "nca-lab train" in another terminal: a run folder with its record and metrics
  const run = await store.createRun(configFromPreset('thesis-es'), { backend: null });
  await store.updateRun(run.id, { status: 'running' });
  await store.appendMetrics(run.id, fallingRows(1, 40));
  const row = page.locator(`tr[data-run="${run.id}"]`);
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
  // the form is long: create from its bottom, the run's page must open at its top (issue 14, point 7)
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
