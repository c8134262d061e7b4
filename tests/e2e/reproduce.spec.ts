/**
 * "Reproduce the study" from the Compare view in Debian's Chromium, through its own `nca-lab serve` with a tiny
 * quick budget (NCA_LAB_QUICK_BUDGET: 2 ES generations, 2 Adam iterations per training) and real worker
 * processes: the budget choice (the full one's warning), the 16 trainings queued and shown as they train, the
 * progress through every phase (the pushed `reproduce:progress` events, read off the socket), and the finished
 * study: its folder on disk with index.html, and the figure set shown from its index (Table 2, charts, strips,
 * GIFs) with a PNG downloaded. Screenshots go to test-results/screenshots/.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from './fixtures';
import { decodePng } from '../../src/services/export/png';
import { parseFigureIndex, type ReproduceProgressEvent } from '../../src/shared/reproduce';
import { OwnLab, SHOTS, watchForProblems } from './bridge';
import type { ElementInPage, ImageInPage } from './browser-types';

let lab: OwnLab | null = null;

test.beforeAll(async () => {
  lab = await OwnLab.open('reproduce', undefined, { NCA_LAB_QUICK_BUDGET: 'es=2,adam=2' });
});

test.afterAll(async () => {
  await lab?.close();
});

test('reproduces the study from the Compare view and shows its figure set', async ({ page }) => {
  test.setTimeout(420_000);
  const problems = watchForProblems(page);
  const events: ReproduceProgressEvent[] = [];
  page.on('websocket', (ws) => ws.on('framereceived', (frame) => {
    if (typeof frame.payload !== 'string' || !frame.payload.includes('"reproduce:progress"')) return;
    const message = JSON.parse(frame.payload) as { event: string; payload: ReproduceProgressEvent };
    if (message.event === 'reproduce:progress') events.push(message.payload);
  }));

  await page.goto(lab!.url('#/compare'));
  const panel = page.getByTestId('reproduce-panel');
  await expect(panel.getByRole('heading', { name: 'Reproduce the study' })).toBeVisible();
  await expect(panel).toContainText('Each training stops after 2 ES generations or 2 Adam iterations');
  await page.getByTestId('budget-full').check();
  await expect(page.getByTestId('full-warning')).toContainText('The full study takes days on a laptop');
  await expect(panel).toContainText('1,000,000 ES generations or 20,000 Adam iterations');
  await expect(page.getByTestId('reproduce-start')).toHaveText('Reproduce the study (full)');
  await page.getByTestId('budget-quick').check();
  await expect(page.getByTestId('full-warning')).toHaveCount(0);
  await page.getByTestId('reproduce-start').click();

  // the trainings: queued in the lab's queue, 16 runs listed with their status
  const progress = page.getByTestId('reproduce-progress');
  await expect(progress).toBeVisible();
  await expect(page.getByTestId('study-runs').locator('li')).toHaveCount(16, { timeout: 30_000 });
  await expect(progress.locator('[data-phase="training"]')).toContainText(/Trainings \d+\/16/);
  await expect(page.getByTestId('reproduce-start')).toBeDisabled();
  await expect(page.getByTestId('reproduce-message')).toContainText(/training .*(generation|iteration|starting|waiting in the queue)/);
  await page.setViewportSize({ width: 1280, height: 1400 });
  await panel.evaluate((el) => (el as unknown as ElementInPage).scrollIntoView());
  await page.screenshot({ path: `${SHOTS}/reproduce-training.png` });
  await page.setViewportSize({ width: 1280, height: 800 });

  const done = page.getByTestId('reproduce-done');
  await expect(done).toBeVisible({ timeout: 360_000 });
  await expect(progress).toHaveCount(0);

  // every phase was reported, in order, with the trainings counted up to 16 and the suite's jobs
  const phases = events.map((e) => e.phase).filter((p, i, a) => a[i - 1] !== p);
  expect(phases).toEqual(['training', 'suite', 'table2', 'figures', 'done']);
  const trainingCounts = events.filter((e) => e.phase === 'training').map((e) => e.done);
  expect(trainingCounts.at(-1)).toBe(16);
  const suite = events.filter((e) => e.phase === 'suite').at(-1)!;
  expect(suite.total).toBeGreaterThan(100);
  const end = events.at(-1)!;
  expect(end.runIds).toHaveLength(16);

  // the folder, on this machine (the lab's): index.html and the index as data
  const outDir = (await page.getByTestId('reproduce-out').textContent())!.trim();
  expect(outDir).toBe(join(lab!.workspace, 'reproduce', end.id));
  await expect(page.getByTestId('reproduce-index')).toHaveText(join(outDir, 'index.html'));
  expect(readFileSync(join(outDir, 'index.html'), 'utf8')).toContain('Table 2');
  const index = parseFigureIndex(JSON.parse(readFileSync(join(outDir, 'figures.json'), 'utf8')));
  for (const f of index.sections.flatMap((s) => s.items.flatMap((i) => i.files))) expect(existsSync(join(outDir, f)), f).toBe(true);

  // the figure set in the window: Table 2's five populations, the charts, strips and GIFs of the index
  const figures = page.getByTestId('study-figures');
  await expect(figures.locator('table tbody tr')).toHaveCount(5);
  await expect(figures.locator('table tbody tr td:first-child')).toHaveText(['6', '10', '40', '100', '1000']);
  const items = index.sections.flatMap((s) => s.items);
  await expect(figures.locator('figure[data-kind="chart"]')).toHaveCount(items.filter((i) => i.kind === 'chart').length);
  await expect(figures.locator('figure[data-kind="gif"]')).toHaveCount(items.filter((i) => i.kind === 'gif').length);
  // images load as they scroll into view
  for (const [kind, width] of [['chart', 1280], ['strip', null], ['gif', null]] as const) {
    const figure = figures.locator(`figure[data-kind="${kind}"]`).first();
    await figure.scrollIntoViewIfNeeded();
    const img = figure.locator('img');
    await expect(img).toBeVisible();
    const natural = () => img.evaluate((el) => ((el as unknown as ImageInPage).complete ? (el as unknown as ImageInPage).naturalWidth : 0));
    if (width) await expect.poll(natural).toBe(width);
    else await expect.poll(natural).toBeGreaterThan(0);
  }

  // a figure's PNG downloads as the file in the folder
  const chartItem = figures.locator('figure[data-kind="chart"]').first();
  const [download] = await Promise.all([page.waitForEvent('download'), chartItem.getByRole('button', { name: 'PNG' }).click()]);
  const png = decodePng(readFileSync((await download.path())!));
  expect([png.width, png.height]).toEqual([1280, 960]);
  expect(Array.from(png.data.slice(0, 4))).toEqual([255, 255, 255, 255]);

  await page.setViewportSize({ width: 1440, height: 2400 });
  await panel.evaluate((el) => (el as unknown as ElementInPage).scrollIntoView());
  await page.screenshot({ path: `${SHOTS}/reproduce-done.png` });
  expect(problems).toEqual([]);
});
