/**
 * A run's model exported from the Models view and imported back, in Debian's Chromium through its own
 * `nca-lab serve`: an ES and an Adam run written into a fresh workspace; each run card's "Export (lab)" downloads
 * one `<run id>.nca-model.json`, which "Import model files…" reads back under the run's name, with its shape and
 * the same losses the run card measured in the page. Screenshots go to test-results/screenshots/.
 */
import { join } from 'node:path';
import { expect, test } from './fixtures';
import { OwnLab, SHOTS, watchForProblems } from './bridge';
import { writeEsAndAdamRuns } from './saved-runs';

let lab: OwnLab | null = null;
const runs: { id: string; name: string }[] = [];

test.beforeAll(async () => {
  const names = { es: 'ES carrot for export', adam: 'Adam carrot for export' };
  lab = await OwnLab.open('model-export', async (workspace) => {
    const ids = await writeEsAndAdamRuns(workspace, names);
    runs.push({ id: ids[0], name: names.es }, { id: ids[1], name: names.adam });
  });
});

test.afterAll(async () => {
  await lab?.close();
});

test('a run\'s model exported from the Models view imports back under the run\'s name and grows the same', async ({ page }) => {
  const problems = watchForProblems(page);
  await page.goto(lab!.url('#/models'));
  for (const run of runs) {
    const card = page.getByTestId(`run-model-${run.id}`);
    // the page measures the run's newest parameters once: 40/200/1000-update losses
    const measured = card.locator('p.losses');
    await expect(measured).toContainText('t=1000', { timeout: 60_000 });
    const losses = (await measured.textContent())!.replace(/^\s*newest:\s*/, '').trim();
    const size = await card.locator('p', { hasText: 'target' }).first().textContent();

    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), card.getByTestId(`run-export-lab-${run.id}`).click()]);
    expect(download.suggestedFilename()).toBe(`${run.id}.nca-model.json`);
    const path = join(lab!.dir, download.suggestedFilename());
    await download.saveAs(path);
    await page.getByTestId('models-import-files').setInputFiles(path);
    await expect(page.getByTestId('models-message')).toContainText(`Imported ${run.name} (`, { timeout: 60_000 });
    const id = /\(([a-z0-9._-]+)\)\.$/.exec((await page.getByTestId('models-message').textContent())!.trim())![1];
    const back = page.getByTestId(`model-card-${id}`);
    await expect(back.locator('h3')).toHaveText(run.name);
    await expect(back.getByTestId('model-losses')).toHaveText(losses);
    // where it came from: the run, and the generation its model was saved at
    await expect(back).toContainText(`NCA Lab run "${run.name}" (${run.id}) at ${run.name.startsWith('ES') ? 'generation' : 'iteration'} 1`);
    // the same target on the same canvas as the run
    const target = /target \S+ on \d+×\d+/.exec(size!)![0];
    await expect(back).toContainText(target);
  }
  await page.locator('section[aria-labelledby="imported-title"]').screenshot({ path: join(SHOTS, 'models-run-export-round-trip.png') });
  expect(problems).toEqual([]);
});
