/**
 * A run stopped before its first scheduled growth evaluation is still measured where it ended (the 40-, 200- and
 * 1000-step losses of its last parameters), so its page, its card and its summary never show the loss of its
 * first iteration as its growth: created in the New Run form with evaluations every 100,000 generations, stopped
 * from its page once it has trained a few generations. Every wait is for a state reached.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from './fixtures';
import { OwnLab, SHOTS } from './bridge';

let lab: OwnLab;

test.beforeAll(async () => {
  lab = await OwnLab.open('evaluations');
});
test.afterAll(async () => {
  expect(await lab?.close(), lab?.serve.output()).toBe(0);
});

interface MetricLine { generation: number; eval40?: number | null }

test('a run stopped before its first evaluation is evaluated at its stop, and its page says so', async ({ page }) => {
  test.setTimeout(240_000);
  await page.goto(lab.url('#/new'));
  for (const [path, value] of [['es.population', '8'], ['es.workers', '1'], ['evalEvery', '100000'], ['checkpointEvery', '100000']]) {
    await page.locator(`#field-${path.replace(/\./g, '-')}`).fill(value);
  }
  await page.getByTestId('run-name-input').fill('Stopped early');
  await page.getByTestId('create-run').click();
  await expect(page).toHaveURL(/#\/runs\/\d{8}-/);
  const id = decodeURIComponent(/#\/runs\/([^/?]+)/.exec(page.url())![1]);
  await expect.poll(async () => Number((await page.getByTestId('stat-generation').textContent())?.replace(/[^\d]/g, '') || 0), { timeout: 180_000 }).toBeGreaterThanOrEqual(3);
  await page.getByTestId('stop').click();
  await expect(page.getByTestId('run-status')).toHaveText('stopped', { timeout: 180_000 });

  const record = JSON.parse(await readFile(join(lab.workspace, 'runs', id, 'run.json'), 'utf8')) as { progress: { generation: number; lastEval40: number; bestEval40: number } };
  const rows = (await readFile(join(lab.workspace, 'runs', id, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as MetricLine);
  const evaluated = rows.filter((r) => typeof r.eval40 === 'number');
  // iteration 1 (every run's first point) and the stop: nothing scheduled in between
  expect(evaluated.map((r) => r.generation)).toEqual([1, record.progress.generation]);
  expect(record.progress.generation).toBeGreaterThanOrEqual(3);
  expect(record.progress.lastEval40).toBe(evaluated[1].eval40);
  // the page writes 4 significant digits
  const shown = async (testId: string) => Number(((await page.getByTestId(testId).textContent()) ?? '').replace(/^\s*best\s*/, '').split(/\s/)[0]);
  expect(Math.abs((await shown('stat-eval40')) / record.progress.lastEval40 - 1)).toBeLessThan(1e-3);
  expect(Math.abs((await shown('stat-best-eval40')) / record.progress.bestEval40 - 1)).toBeLessThan(1e-3);
  await page.screenshot({ path: `${SHOTS}/run-stopped-evaluated.png` });
});
