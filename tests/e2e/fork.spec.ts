/**
 * Forking a run, as a researcher does it, in Chromium through its own `nca-lab serve`: Fork… on a run that is
 * training (created in the New Run form, real workers), changing a hyperparameter besides the stop condition; the
 * fork trains to its own limit with the changed setting. Then a fork of a paused, a stopped, a finished, a failed
 * and an interrupted run (written beforehand as `nca-lab train` would leave them), each changing a different
 * setting; a value out of range is refused under its field as in the New Run form; a fork the service refuses
 * shows its message and Cancel closes the dialog.
 */
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test, type Page } from './fixtures';
import { LabStore } from '../../src/services/store/lab-store';
import { paramCount } from '../../src/core/nca/config';
import { configFromPreset, ncaConfigOf, type RunConfig } from '../../src/shared/training-config';
import type { RunStatus } from '../../src/shared/run-record';
import { OwnLab, SHOTS, watchForProblems } from './bridge';

let lab: OwnLab;
let store: LabStore;
/** the prepared runs, by the status they were left in */
const prepared = new Map<string, string>();
const STATES: RunStatus[] = ['paused', 'stopped', 'finished', 'failed', 'running'];

function smallEs(): RunConfig {
  const c = configFromPreset('es-256');
  if (c.optimizer !== 'es') throw new Error('es-256 is an ES preset');
  c.es.population = 8;
  c.es.workers = 1;
  return c;
}

async function setField(page: Page, path: string, value: string): Promise<void> {
  await page.locator(`#field-${path.replace(/\./g, '-')}`).fill(value);
}

function runIdFromUrl(page: Page): string {
  const m = /#\/runs\/([^/?]+)/.exec(page.url());
  if (!m) throw new Error(`not on a run's page: ${page.url()}`);
  return decodeURIComponent(m[1]);
}

test.beforeAll(async () => {
  test.setTimeout(120_000);
  lab = await OwnLab.open('fork', async (workspace) => {
    const s = new LabStore(workspace);
    for (const status of STATES) {
      const run = await s.createRun(smallEs(), { backend: null, name: `left ${status}` });
      const n = paramCount(ncaConfigOf(run.config));
      await s.writeCheckpoint(run.id, { generation: 12, evaluations: 96, wallSeconds: 3, params: new Float32Array(n).fill(0.01), arrays: {}, scalars: {}, pool: null, rng: null });
      // a run left `running` is found cut off when the lab starts: interrupted
      await s.updateRun(run.id, { status, statusReason: status === 'failed' ? 'the loss became NaN at generation 13' : null });
      prepared.set(status === 'running' ? 'interrupted' : status, run.id);
    }
  });
  store = new LabStore(lab.workspace);
});

test.afterAll(async () => {
  const code = await lab?.close();
  expect(code, lab?.serve.output()).toBe(0);
});

test('forks a run while it trains, changing σ and the limit; the fork trains with them', async ({ page }) => {
  test.setTimeout(240_000);
  const problems = watchForProblems(page);
  await page.goto(lab.url('#/new'));
  await setField(page, 'es.workers', '1');
  await setField(page, 'es.population', '8');
  await setField(page, 'checkpointEvery', '200');
  await setField(page, 'stop.maxGenerations', '');
  await page.getByTestId('run-name-input').fill('Still training');
  await page.getByTestId('create-run').click();
  await expect(page).toHaveURL(/#\/runs\/\d{8}-/);
  const sourceId = runIdFromUrl(page);
  await expect(page.getByTestId('run-status')).toHaveText('running', { timeout: 60_000 });
  // a checkpoint written while it trains (the one at generation 0 is the start)
  await expect.poll(() => page.locator('[data-testid="checkpoints"] tbody tr').count(), { timeout: 120_000 }).toBeGreaterThanOrEqual(2);

  await page.getByTestId('fork').click();
  const dialog = page.getByRole('dialog', { name: 'Fork Still training' });
  await expect(dialog).toBeVisible();
  await dialog.getByTestId('fork-show-settings').click();
  // the model's shape is the checkpoint's: shown, not editable
  await expect(dialog.locator('#field-model-hidden')).toBeDisabled();
  await setField(page, 'es.sigma', '-1');
  await expect(dialog.locator('[data-field="es.sigma"]')).toContainText('σ (noise std)');
  await expect(dialog.locator('[data-field="es.sigma"] .problem')).toBeVisible();
  await expect(dialog.getByTestId('confirm')).toBeDisabled();
  await setField(page, 'es.sigma', '0.03');
  // the run trains on meanwhile (a newer checkpoint may replace the one chosen): the limit is read from the choice
  const limit = Number(await dialog.getByTestId('fork-generation').inputValue()) + 1000;
  await setField(page, 'stop.maxGenerations', String(limit));
  await expect(dialog.getByTestId('fork-changes')).toContainText('σ (noise std)');
  await expect(dialog.getByTestId('fork-changes')).toContainText('→ 0.03');
  await page.screenshot({ path: `${SHOTS}/fork-running.png` });
  await page.screenshot({ path: '/work/notes/screens/ux-fork-dialog.png' }).catch(() => undefined);
  await dialog.getByTestId('confirm').click();
  await expect(page).not.toHaveURL(new RegExp(sourceId));
  await expect(page.getByTestId('run-status')).toHaveText('finished', { timeout: 180_000 });
  const fork = await store.getRun(runIdFromUrl(page));
  const from = fork.forkedFrom!.generation;
  expect(from).toBeGreaterThanOrEqual(200);
  await expect(page.getByTestId('run-name')).toHaveText(`Still training · fork @${from}`);
  expect(fork.config.optimizer === 'es' && fork.config.es.sigma).toBe(0.03);
  expect(fork.progress.generation).toBe(limit);

  // the source trained on meanwhile; stop it
  await page.goto(lab.url(`#/runs/${sourceId}`));
  await expect(page.getByTestId('run-status')).toHaveText('running');
  await page.getByTestId('stop').click();
  await expect(page.getByTestId('run-status')).toHaveText('stopped', { timeout: 60_000 });
  expect(problems).toEqual([]);
});

const CHANGES: Record<string, { path: string; value: string; read: (c: RunConfig) => unknown; expected: unknown }> = {
  paused: { path: 'es.population', value: '12', read: (c) => c.optimizer === 'es' && c.es.population, expected: 12 },
  stopped: { path: 'es.lr', value: '0.002', read: (c) => c.optimizer === 'es' && c.es.lr, expected: 0.002 },
  finished: { path: 'stepsMax', value: '90', read: (c) => c.stepsMax, expected: 90 },
  failed: { path: 'model.fireRate', value: '0.4', read: (c) => c.model.fireRate, expected: 0.4 },
  interrupted: { path: 'evalEvery', value: '7', read: (c) => c.evalEvery, expected: 7 },
};

for (const [status, change] of Object.entries(CHANGES)) {
  test(`forks a ${status} run, changing ${change.path}`, async ({ page }) => {
    const problems = watchForProblems(page);
    const id = prepared.get(status)!;
    await page.goto(lab.url(`#/runs/${id}`));
    await expect(page.getByTestId('run-status')).toHaveText(status);
    await page.getByTestId('fork').click();
    const dialog = page.getByRole('dialog', { name: `Fork left ${status === 'interrupted' ? 'running' : status}` });
    await expect(dialog).toBeVisible();
    await dialog.getByTestId('fork-show-settings').click();
    await setField(page, change.path, change.value);
    await setField(page, 'stop.maxGenerations', '40');
    await dialog.getByTestId('fork-start').uncheck();
    await dialog.getByTestId('confirm').click();
    await expect(page).not.toHaveURL(new RegExp(id));
    await expect(page.getByTestId('run-status')).toHaveText('paused');
    const fork = await store.getRun(runIdFromUrl(page));
    expect(change.read(fork.config)).toBe(change.expected);
    expect(fork.forkedFrom).toEqual({ runId: id, generation: 12 });
    expect(problems).toEqual([]);
  });
}

test('a fork the lab refuses shows why, and Cancel closes the dialog', async ({ page }) => {
  const problems = watchForProblems(page);
  const id = prepared.get('stopped')!;
  await page.goto(lab.url(`#/runs/${id}`));
  await page.getByTestId('fork').click();
  const dialog = page.getByRole('dialog', { name: 'Fork left stopped' });
  await expect(dialog).toBeVisible();
  // the checkpoint is damaged behind the window's back (a disk error, another program)
  const dir = join(lab.workspace, 'runs', id, 'checkpoints');
  for (const f of await readdir(dir)) await writeFile(join(dir, f), 'not a checkpoint');
  await dialog.getByTestId('confirm').click();
  await expect(dialog.getByTestId('fork-error')).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/fork-refused.png` });
  await expect(dialog.getByTestId('confirm')).toHaveText('Fork');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  expect(problems).toEqual([]);
});
