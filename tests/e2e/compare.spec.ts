/**
 * The Compare view in Debian's Chromium through its own `nca-lab serve` (real worker processes): two saved models
 * (an ES and an Adam run written into a fresh workspace), a suite run from the interface with progress, the loss
 * chart, the growth strip and the hyperparameter table, a colour edited, and the chart downloaded as SVG (legend,
 * axis labels, the edited colour), PNG (the chosen size and DPI, white corners) and CSV; a running suite cancelled.
 * Screenshots go to test-results/screenshots/.
 */
import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { THESIS_ADAM_MODEL, THESIS_ES_MODEL } from '../../src/core/nca/config';
import { pngDpi } from '../../src/core/figures/png-dpi';
import { decodePng } from '../../src/services/export/png';
import { LabStore } from '../../src/services/store/lab-store';
import { configFromPreset } from '../../src/shared/training-config';
import { growingParams } from '../fixtures/model-params';
import { OwnLab, SHOTS, watchForProblems } from './bridge';

let lab: OwnLab | null = null;
const runIds: string[] = [];

test.beforeAll(async () => {
  lab = await OwnLab.open('compare', async (workspace) => {
    const store = new LabStore(workspace);
    for (const [preset, cfg, seed, name] of [['thesis-es', THESIS_ES_MODEL, 3, 'ES carrot'], ['thesis-adam', THESIS_ADAM_MODEL, 2, 'Adam carrot']] as const) {
      const c = configFromPreset(preset);
      const run = await store.createRun(c, { backend: null, name });
      await store.writeModel(run.id, growingParams(cfg, seed), { config: c, generation: 1, loss: null });
      await store.updateRun(run.id, { status: 'finished' });
      runIds.push(run.id);
    }
  });
});

test.afterAll(async () => {
  await lab?.close();
});

test('runs a suite from the Compare view and downloads its figures', async ({ page }) => {
  test.setTimeout(120_000);
  const problems = watchForProblems(page);
  await page.goto(lab!.url('#/compare'));
  await expect(page.getByRole('heading', { name: 'Compare', level: 1 })).toBeVisible();
  for (const id of runIds) await page.locator(`input[data-run="${id}"]`).check();
  await page.getByTestId('suite').selectOption('erase-bottom');
  await page.getByTestId('run-suite').click();
  const results = page.getByTestId('experiment-results');
  await expect(results).toBeVisible({ timeout: 60_000 });
  await expect(results.locator('.experiment-chart canvas')).toHaveCount(1);
  await expect(page.getByTestId('growth-strip').locator('tbody tr')).toHaveCount(2);
  await expect(page.getByTestId('growth-strip').locator('thead th')).toHaveText(['', '40', '50', '51', '60', '80', '100', '150', '200']);

  // hyperparameters: only what differs, then everything
  const rows = page.getByTestId('hyperparameters').locator('tbody tr');
  const differing = await rows.count();
  await expect(rows.filter({ hasText: 'Optimizer' })).toContainText('ES');
  await page.getByTestId('hide-equal').uncheck();
  expect(await rows.count()).toBeGreaterThan(differing);
  await expect(rows.filter({ hasText: 'Fire rate' })).toHaveCount(1);
  // the view scrolls inside the shell: a tall window shows all of it
  await page.setViewportSize({ width: 1440, height: 2400 });
  await page.screenshot({ path: `${SHOTS}/compare-results.png` });
  await page.setViewportSize({ width: 1280, height: 800 });

  // an edited colour reaches the exported SVG
  await page.locator(`input[data-colour="${runIds[0]}"]`).fill('#123456');
  const [svgDownload] = await Promise.all([page.waitForEvent('download'), results.getByTestId('export-svg').first().click()]);
  expect(svgDownload.suggestedFilename()).toBe('erase-bottom-9x9-carrot.svg');
  const svg = await readFile((await svgDownload.path())!, 'utf8');
  expect(svg).toContain('<title>9x9 carrot</title>');
  expect(svg).toMatch(/<text[^>]*>Adam<\/text>/);
  expect(svg).toMatch(/<text[^>]*>ES<\/text>/);
  expect(svg).toContain('>Update steps</text>');
  expect(svg).toContain('>log₁₀(loss)</text>');
  expect(svg).toContain('stroke="#123456"');
  expect(svg).toContain('stroke="#00bfbf"');

  // PNG at 5 × 4 in, 100 DPI: 500 × 400 px, white corners, the DPI in the file
  await page.getByTestId('fig-width').fill('5');
  await page.getByTestId('fig-height').fill('4');
  await page.getByTestId('fig-dpi').fill('100');
  const [pngDownload] = await Promise.all([page.waitForEvent('download'), results.getByTestId('export-png').first().click()]);
  const bytes = await readFile((await pngDownload.path())!);
  const png = decodePng(bytes);
  expect([png.width, png.height]).toEqual([500, 400]);
  for (const [x, y] of [[0, 0], [499, 0], [0, 399], [499, 399]]) {
    const i = (y * png.width + x) * 4;
    expect(Array.from(png.data.slice(i, i + 4))).toEqual([255, 255, 255, 255]);
  }
  expect(pngDpi(new Uint8Array(bytes))).toBe(100);

  const [csvDownload] = await Promise.all([page.waitForEvent('download'), results.getByTestId('export-csv').first().click()]);
  const csv = (await readFile((await csvDownload.path())!, 'utf8')).trimEnd().split('\n');
  expect(csv[0]).toBe('suite,protocol,model,label,optimizer,pool,target,repeat,seed,index,updates_applied,loss');
  expect(csv).toHaveLength(1 + 2 * 400);
  expect(problems).toEqual([]);
});

test('cancels a running suite', async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto(lab!.url(`#/compare?runs=${runIds.join(',')}`));
  await page.getByTestId('suite').selectOption('thesis');
  await page.getByTestId('repeats').fill('20');
  await page.getByTestId('run-suite').click();
  await expect(page.getByTestId('experiment-progress')).toBeVisible();
  await page.getByTestId('cancel-suite').click();
  await expect(page.getByTestId('experiment-ended')).toContainText('Cancelled');
  await page.screenshot({ path: `${SHOTS}/compare-cancelled.png`, fullPage: true });
});
