/**
 * Popovers stay inside the window, in Chromium through its own `nca-lab serve`: on a run's page the chart's
 * "Export…" panel opens beside its button, clear of the sidebar, at 1280, 1440 and 1920 px, and each of its buttons
 * (PNG, SVG, CSV) is clicked there and downloads its file; the Runs table's Columns menu does the same and closes on
 * Escape.
 */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { LabStore } from '../../src/services/store/lab-store';
import { configFromPreset } from '../../src/shared/training-config';
import type { MetricRow } from '../../src/shared/run-record';
import { OwnLab, SHOTS } from './bridge';
import { expect, test, type Locator, type Page } from './fixtures';

let lab: OwnLab;
let runId: string;

test.beforeAll(async () => {
  lab = await OwnLab.open('popovers', async (workspace) => {
    const s = new LabStore(workspace);
    const run = await s.createRun(configFromPreset('es-256'), { backend: null, name: 'curve to export' });
    const rows: MetricRow[] = [];
    for (let g = 1; g <= 120; g++) rows.push({ generation: g, evaluations: g * 8, wallSeconds: g * 0.1, loss: 0.1 * 0.98 ** g, bestLoss: 0.1 * 0.98 ** g, lr: 0.005 });
    await s.appendMetrics(run.id, rows);
    await s.updateRun(run.id, { status: 'stopped' });
    runId = run.id;
  });
});

test.afterAll(async () => {
  expect(await lab?.close()).toBe(0);
});

/** The panel lies inside the window and clear of the sidebar, and nothing covers its buttons. */
async function expectInView(page: Page, panel: Locator, width: number): Promise<void> {
  const box = (await panel.boundingBox())!;
  const nav = (await page.locator('nav.nav').boundingBox())!;
  expect(box.x).toBeGreaterThanOrEqual(nav.x + nav.width);
  expect(box.x + box.width).toBeLessThanOrEqual(width);
  expect(box.y).toBeGreaterThanOrEqual(0);
  expect(box.y + box.height).toBeLessThanOrEqual(800);
}

for (const width of [1280, 1440, 1920]) {
  test(`the run page's chart export at ${width} px: PNG, SVG and CSV each download`, async ({ page }) => {
    await page.setViewportSize({ width, height: 800 });
    await page.goto(lab.url(`#/runs/${runId}`));
    await expect(page.locator('.chart-note')).toContainText('120 points');
    await page.getByTestId('chart-export').click();
    const panel = page.getByTestId('chart-export-panel');
    await expect(panel).toBeVisible();
    await page.screenshot({ path: `${SHOTS}/run-export-${width}.png` });
    await expectInView(page, panel, width);
    if (width === 1440) await page.screenshot({ path: '/work/notes/screens/ux-run-page-export.png' }).catch(() => undefined);

    // a real click (Playwright refuses one on a covered button), each a download of its own
    const [png] = await Promise.all([page.waitForEvent('download'), panel.getByTestId('export-png').click()]);
    expect(png.suggestedFilename()).toMatch(/\.png$/);
    const meta = await sharp(await readFile((await png.path())!)).metadata();
    expect(meta.format).toBe('png');
    const [svg] = await Promise.all([page.waitForEvent('download'), panel.getByTestId('export-svg').click()]);
    expect(svg.suggestedFilename()).toMatch(/\.svg$/);
    expect(await readFile((await svg.path())!, 'utf8')).toContain('>curve to export</text>');
    const [csv] = await Promise.all([page.waitForEvent('download'), panel.getByTestId('export-csv').click()]);
    expect(csv.suggestedFilename()).toMatch(/\.csv$/);
    expect((await readFile((await csv.path())!, 'utf8')).trimEnd().split('\n')).toHaveLength(121);

    // Escape closes it and gives the focus back to its button
    await page.keyboard.press('Escape');
    await expect(panel).toBeHidden();
    await expect(page.getByTestId('chart-export')).toBeFocused();
  });
}

test('the Columns menu stays in the window, closes on Escape and on a click outside', async ({ page }) => {
  for (const width of [1280, 1920]) {
    await page.setViewportSize({ width, height: 800 });
    await page.goto(lab.url('#/runs'));
    await page.getByTestId('columns-button').click();
    const panel = page.getByTestId('columns-picker');
    await expect(panel).toBeVisible();
    await expectInView(page, panel, width);
    await panel.locator('[data-column="es.sigma"]').check();
    await page.keyboard.press('Escape');
    await expect(panel).toBeHidden();
    await expect(page.locator('th[data-hyper="es.sigma"]')).toBeVisible();
    await page.getByTestId('columns-button').click();
    await expect(panel).toBeVisible();
    await page.getByRole('heading', { level: 1 }).click();
    await expect(panel).toBeHidden();
    await page.getByTestId('columns-button').click();
    await panel.locator('[data-column="es.sigma"]').uncheck();
    await page.keyboard.press('Escape');
  }
});
