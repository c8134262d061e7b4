/**
 * Runs compared as a researcher compares them, in Debian's Chromium through its own `nca-lab serve` on a workspace
 * trained by the command line first (test size: three seeds of one ES configuration, an Adam run, and a run
 * fine-tuned from a gallery model that persists):
 *  - persistence at a glance: a run created in the New Run form shows its verdict (persists / overgrows / diverges,
 *    from its growth evaluations' 40- and 1000-step losses) on its page, in a sortable Runs column and in the pickers;
 *  - identity: the pickers, Overlay's legend and CSV and Compare's legend and strip name every run by its own name
 *    (runs of one preset and target differ at their end), the optimizer a mark; gallery models join both views;
 *  - seeds: the three seeds are one expandable row in Runs and one curve with a band in Overlay; hyperparameter
 *    columns sort.
 * Screenshots go to test-results/screenshots/ (identity-*.png).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, test, type Page } from './fixtures';
import { PERSISTENCE_VERDICTS, persistenceVerdict } from '../../src/core/nca/growth-eval';
import { OwnLab, SHOTS, watchForProblems } from './bridge';

const run = promisify(execFile);
let lab: OwnLab;
/** the ids of the CLI's runs: three seeds, the Adam run, the fine-tuned one */
const seeds: string[] = [];
let adam = '';
let fineTuned = '';

async function train(workspace: string, args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ['bin/nca-lab.js', 'train', ...args, '--workers', '1', '--json', '--workspace', workspace], { maxBuffer: 64 << 20 });
  const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as { runId: string; status: string };
  expect(summary.status).toBe('finished');
  return summary.runId;
}

async function runJson(id: string): Promise<{ name: string; progress: { lastEval40: number; lastEval1000: number; verdict: string } }> {
  return JSON.parse(await readFile(join(lab.workspace, 'runs', id, 'run.json'), 'utf8'));
}

/** a gallery model's own name (its model.json), as the window shows it */
async function galleryName(id: string): Promise<string> {
  const json = JSON.parse(await readFile(join('resources', 'models', id, 'model.json'), 'utf8')) as { userDefinedMetadata: { ncaLab: { name: string } } };
  return json.userDefinedMetadata.ncaLab.name;
}

async function setField(page: Page, path: string, value: string): Promise<void> {
  await page.locator(`#field-${path.replace(/\./g, '-')}`).fill(value);
}

test.describe.serial('Runs compared', () => {
  let page: Page;
  let problems: string[];

  test.beforeAll(async ({ browser }) => {
    test.setTimeout(240_000);
    lab = await OwnLab.open('identity', async (ws) => {
      const small = ['--max-generations', '30', '--set', 'es.population=16', '--set', 'evalEvery=10'];
      for (const seed of [1, 2, 3]) seeds.push(await train(ws, ['--preset', 'es-256', '--target', 'carrot-9', '--seed', String(seed), ...small]));
      adam = await train(ws, ['--optimizer', 'adam', '--preset', 'thesis-adam', '--target', 'carrot-9', '--max-generations', '20', '--set', 'evalEvery=10', '--name', 'adam carrot']);
      fineTuned = await train(ws, ['--preset', 'es-256', '--target', 'rabbit-15', '--from', 'es-rabbit-15', '--max-generations', '10', '--set', 'es.population=8', '--set', 'evalEvery=5', '--name', 'rabbit-15 fine-tuned']);
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    problems = watchForProblems(page);
  });

  test.afterAll(async () => {
    await page?.close().catch(() => undefined);
    expect(await lab?.close(), lab?.serve.output()).toBe(0);
  });

  test('a run made in the window shows whether it persists: its page, the Runs column, the pickers', async () => {
    test.setTimeout(120_000);
    await page.goto(lab.url('#/new'));
    await page.getByRole('radio', { name: 'es-256', exact: true }).check({ force: true });
    await setField(page, 'es.population', '6');
    await setField(page, 'es.workers', '1');
    await setField(page, 'stop.maxGenerations', '12');
    await setField(page, 'evalEvery', '5');
    await page.getByTestId('run-name-input').fill('persistence check');
    await page.getByTestId('create-run').click();
    await expect(page).toHaveURL(/#\/runs\/\d{8}-\d{6}-es-carrot-9-[0-9a-f]{4}$/);
    const id = decodeURIComponent(/#\/runs\/([^/?]+)/.exec(page.url())![1]);
    await expect(page.getByTestId('run-status')).toHaveText('finished', { timeout: 90_000 });

    // every evaluation looked 1000 steps ahead; the page says what the record says, and the record is the rule's
    const rows = (await readFile(join(lab.workspace, 'runs', id, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const evals = rows.filter((r) => r.eval40 !== undefined);
    expect(evals.map((r) => r.generation)).toEqual([1, 5, 10, 12]); // and the last step, where it stopped
    expect(evals.every((r) => r.eval1000 !== undefined)).toBe(true);
    const record = await runJson(id);
    expect(record.progress.verdict).toBe(persistenceVerdict(record.progress.lastEval40, record.progress.lastEval1000));
    await expect(page.getByTestId('stat-persistence').getByTestId('verdict')).toHaveText(record.progress.verdict);
    await expect(page.getByTestId('stat-persistence')).toContainText('1000 steps');
    await page.screenshot({ path: `${SHOTS}/identity-run-page.png` });

    // the Runs table sorts by it: persists first (the fine-tuned run), then the rest
    await page.goto(lab.url('#/runs'));
    await page.getByTestId('group-seeds').uncheck();
    await page.getByRole('button', { name: 'Persistence' }).click();
    await expect(page.locator('th', { hasText: 'Persistence' })).toHaveAttribute('aria-sort', 'ascending');
    const order = await page.locator('[data-testid="runs-table"] tbody tr[data-run] [data-testid="verdict"]').allTextContents();
    expect(order).toHaveLength(6);
    expect(order[0]).toBe('persists');
    const rank = order.map((v) => PERSISTENCE_VERDICTS.indexOf(v as never));
    expect(rank.every((r, i) => r >= 0 && (i === 0 || r >= rank[i - 1]))).toBe(true);
    await expect(page.locator(`tr[data-run="${fineTuned}"] [data-testid="verdict"]`)).toHaveText((await runJson(fineTuned)).progress.verdict);
    await page.getByRole('button', { name: 'Persistence' }).click();
    await expect(page.locator('th', { hasText: 'Persistence' })).toHaveAttribute('aria-sort', 'descending');
    expect(await page.locator('[data-testid="runs-table"] tbody tr[data-run] [data-testid="verdict"]').last().textContent()).toBe('persists');

    // and the pickers: every run with its verdict, gallery models with theirs
    await page.goto(lab.url('#/overlay'));
    await expect(page.locator(`label:has(input[data-run="${id}"]) [data-testid="verdict"]`)).toHaveText(record.progress.verdict);
    await expect(page.locator('label:has(input[data-model="es-rabbit-15"]) [data-testid="verdict"]')).toHaveText(/persists|overgrows|diverges/);
    expect(problems).toEqual([]);
  });

  test('every run keeps its name: pickers, Overlay legend and CSV, Compare legend and strip, gallery models beside runs', async () => {
    test.setTimeout(150_000);
    const names = await Promise.all(seeds.map(async (s) => (await runJson(s)).name));
    const gallery = await galleryName('es-carrot-9');
    expect(new Set(names).size).toBe(3);
    await page.goto(lab.url(`#/overlay?runs=${[...seeds, adam].join(',')},es-carrot-9`));
    // the picker shows each name whole, and they differ
    for (const [i, s] of seeds.entries()) await expect(page.locator(`label:has(input[data-run="${s}"]) [data-testid="picker-name"]`)).toHaveText(names[i]);
    await expect(page.locator(`label:has(input[data-run="${adam}"]) .optimizer-mark`)).toHaveText('▲Adam');
    const legend = page.getByTestId('overlay-legend');
    for (const n of [...names, 'adam carrot']) await expect(legend).toContainText(n);
    await expect(legend.locator('tr[data-model="es-carrot-9"]')).toContainText('gallery');
    await page.getByRole('combobox', { name: 'Curve' }).selectOption('eval40');
    await expect(page.getByTestId('overlay-chart')).toBeVisible();
    await page.screenshot({ path: `${SHOTS}/identity-overlay.png`, fullPage: true });
    await page.getByTestId('chart-export').click();
    const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
    const csv = (await readFile((await csvDownload.path())!, 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('run,wallSeconds,eval40,eval40_smoothed');
    const curves = new Set(csv.slice(1).map((l) => l.split(',')[0]));
    expect([...curves].sort()).toEqual([...names, 'adam carrot', gallery].sort());

    // Compare: two runs and a gallery model under a suite; the legend and the strip say their names
    await page.goto(lab.url('#/compare'));
    await page.locator(`input[data-run="${seeds[0]}"]`).check();
    await page.locator(`input[data-run="${adam}"]`).check();
    await page.locator('input[data-model="es-carrot-9"]').check();
    await page.getByTestId('suite').selectOption('erase-bottom');
    await page.getByTestId('run-suite').click();
    const results = page.getByTestId('experiment-results');
    await expect(results).toBeVisible({ timeout: 90_000 });
    await expect(page.getByTestId('growth-strip').locator('tbody th')).toHaveText([names[0], 'adam carrot', gallery]);
    const [svgDownload] = await Promise.all([page.waitForEvent('download'), results.getByTestId('export-svg').first().click()]);
    const svg = await readFile((await svgDownload.path())!, 'utf8');
    // each legend entry is the name (with where it diverged, when it did); never a bare "ES" or "Adam"
    const legendTexts = [...svg.matchAll(/<g class="legend"[^>]*>(.*?)<\/g>/gs)].flatMap((m) => [...m[1].matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => t[1]));
    expect(legendTexts.map((t) => t.replace(/ \(diverged at step \d+\)$/, ''))).toEqual([names[0], 'adam carrot', gallery]);
    await page.setViewportSize({ width: 1440, height: 2000 });
    await page.screenshot({ path: `${SHOTS}/identity-compare.png` });
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(problems).toEqual([]);
  });

  test('seeds are one curve with a band in Overlay and one row in Runs; hyperparameter columns sort', async () => {
    await page.goto(lab.url(`#/overlay?runs=${[...seeds, adam].join(',')}`));
    await page.getByTestId('group-seeds').check();
    await expect(page).toHaveURL(/seeds=1/);
    await expect(page.getByTestId('overlay-seed-chart')).toBeVisible();
    await expect(page.getByTestId('legend-group')).toHaveCount(1);
    await expect(page.getByTestId('legend-group')).toContainText('3 seeds (1, 2, 3)');
    await page.screenshot({ path: `${SHOTS}/identity-overlay-seeds.png`, fullPage: true });
    const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('overlay-seed-chart').getByTestId('chart-export').click().then(() => page.getByTestId('export-csv').click())]);
    const csv = (await readFile((await csvDownload.path())!, 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('group,seeds,wallSeconds,loss_mean,loss_min,loss_max,count');
    const groupRows = csv.slice(1).filter((l) => l.startsWith('es-256 · carrot-9,3,'));
    expect(groupRows.length).toBeGreaterThan(10);
    // where all three runs have a value, the mean lies between the lowest and the highest
    for (const l of groupRows) {
      const [, , , mean, lo, hi, count] = l.split(',');
      if (count === '3') expect(Number(lo) <= Number(mean) && Number(mean) <= Number(hi)).toBe(true);
    }
    expect(csv.some((l) => l.startsWith('adam carrot,1,'))).toBe(true);

    // Runs: the three seeds are one row that opens
    await page.goto(lab.url('#/runs'));
    await page.getByTestId('group-seeds').check();
    const group = page.getByTestId('seed-group');
    await expect(group).toHaveCount(1);
    await expect(group).toContainText('3 seeds (');
    for (const s of seeds) await expect(page.locator(`tr[data-run="${s}"]`)).toHaveCount(0);
    await group.getByTestId('seed-group-toggle').click();
    await expect(group).toHaveAttribute('aria-expanded', 'true');
    for (const s of seeds) await expect(page.locator(`tr[data-run="${s}"]`)).toHaveClass(/member/);
    await page.getByTestId('group-seeds').uncheck();

    // a hyperparameter column sorts, both ways
    await page.getByTestId('columns-button').click();
    await page.locator('input[data-column="es.population"]').check();
    await page.getByTestId('columns-button').click();
    const header = page.locator('th[data-hyper="es.population"]');
    await header.getByRole('button').click();
    await expect(header).toHaveAttribute('aria-sort', 'ascending');
    const cells = () => page.locator('tbody tr[data-run] td[data-hyper="es.population"]').allTextContents();
    const up = await cells();
    const nums = up.filter((t) => t !== '–').map((t) => Number(t.replace(/,/g, '')));
    expect(nums).toEqual([...nums].sort((a, b) => a - b));
    expect(new Set(nums).size).toBeGreaterThan(1);
    expect(up.at(-1)).toBe('–'); // the Adam run has no population: last
    await header.getByRole('button').click();
    await expect(header).toHaveAttribute('aria-sort', 'descending');
    await page.screenshot({ path: `${SHOTS}/identity-runs.png` });
    expect(problems).toEqual([]);
  });

  test('a fine-tuned run shows its model growing at every evaluation, and the page steps through them', async () => {
    await page.goto(lab.url(`#/runs/${fineTuned}`));
    const image = page.getByTestId('evaluation-strip-image');
    // evaluations at 1, 5 and 10 (every 5 generations, and the first): the newest is shown, from the parameters trained
    await expect(image).toHaveAttribute('data-generation', '10');
    await expect(page.getByTestId('evaluation-strip')).toContainText('3 of 3, newest');
    await expect(page.getByTestId('evaluation-strip').locator('.columns span')).toHaveText(['10', '20', '40', '200', '1000']);
    const newest = await image.getAttribute('src');
    await page.getByTestId('evaluation-slider').fill('0');
    await expect(image).toHaveAttribute('data-generation', '1');
    await expect(page.getByTestId('evaluation-at')).toHaveText('generation 1');
    expect(await image.getAttribute('src')).not.toBe(newest);
    await page.getByTestId('evaluation-slider').fill('1');
    await expect(image).toHaveAttribute('data-generation', '5');
    // the strip is the evaluation's own: five frames of the training canvas side by side, 1 px apart
    const png = await readFile(join(lab.workspace, 'runs', fineTuned, 'growth', '5.png'));
    const width = png.readUInt32BE(16);
    const height = png.readUInt32BE(20);
    expect(width).toBe(5 * height + 4);
    await page.screenshot({ path: `${SHOTS}/identity-run-strip.png`, fullPage: true });
  });
});
