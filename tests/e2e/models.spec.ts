/**
 * Models to play with from the first minute, in a real browser through `nca-lab serve` on the global
 * setup's fresh workspace: the Playground opens on the first built-in model, the built-ins are listed first, the
 * perception rotation turns the grown pattern, and the Models view makes a GIF of a built-in model with an erase
 * in one click, imports a Distill demo file and deletes it again; a model exported in the lab's format or as
 * Distill JSON imports back as itself (name, shape, losses, thumbnail, origin); "Fine-tune…" opens New Run with the
 * model chosen in "Start from", and the run records where it started. Screenshots go to test-results/screenshots/.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from './fixtures';
import { sharedLabUrl, SHOTS, watchForProblems } from './bridge';

const DISTILL = join('..', 'shared', 'data', 'distill');

test.describe('Models', () => {
  test('a fresh workspace opens the Playground on a built-in model; rotation turns it', async ({ page }) => {
    const problems = watchForProblems(page);
    await page.goto(sharedLabUrl('', '#/playground'));
    await expect(page.locator('[data-testid="playground-stage"] canvas')).toHaveCount(1, { timeout: 30_000 });
    await expect(page.getByTestId('model-chips')).toContainText('Distill lizard (growing)');
    await expect(page.getByTestId('model-chips')).toContainText('built-in model');
    await expect(page.getByTestId('model-chips')).toContainText('trained on 72×72');
    // built-ins are listed first, the Distill lizards in their three variants
    const options = await page.getByTestId('model-library').locator('option').allTextContents();
    expect(options.slice(0, 3).map((o) => o.split(' · ')[0])).toEqual(['Distill lizard (growing)', 'Distill lizard (persistent)', 'Distill lizard (regenerating)']);

    await page.getByTestId('model-library').selectOption('distill-lizard-persistent');
    await page.getByTestId('library-load').click();
    await expect(page.getByTestId('model-chips')).toContainText('Distill lizard (persistent)');
    await page.getByTestId('perception-angle').fill('90');
    await page.getByTestId('perception-angle').dispatchEvent('change');
    await expect(page.getByTestId('perception-angle')).toHaveValue('90');
    await page.screenshot({ path: join(SHOTS, 'models-playground-builtin.png') });
    expect(problems).toEqual([]);
  });

  test('the Models view lists every model; a GIF with an erase is one click; imports come and go', async ({ page }) => {
    const problems = watchForProblems(page);
    await page.goto(sharedLabUrl('', '#/models'));
    await expect(page.getByRole('heading', { level: 1, name: 'Models' })).toBeVisible();
    const card = page.getByTestId('model-card-distill-lizard-persistent');
    await expect(card).toBeVisible({ timeout: 30_000 });
    await expect(card.getByTestId('model-losses')).toContainText('t=1000');
    await expect(card).toContainText('CC-BY-4.0');
    await expect(card).toContainText('Mordvintsev, Randazzo, Niklasson, Levin');
    await expect(card.locator('img.thumb')).toHaveJSProperty('naturalWidth', 72);

    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), card.getByTestId('model-gif').click()]);
    expect(download.suggestedFilename()).toBe('distill-lizard-persistent-erase.gif');
    const gifPath = join('test-results', 'distill-lizard-persistent-erase.gif');
    await download.saveAs(gifPath);
    const gif = await readFile(gifPath);
    expect(gif.subarray(0, 6).toString('latin1')).toBe('GIF89a');
    // logical screen: the 72×72 canvas scaled to at least 256 px (×4 = 288)
    expect([gif.readUInt16LE(6), gif.readUInt16LE(8)]).toEqual([288, 288]);
    await expect(page.getByTestId('models-message')).toContainText('201 frames, erased by circle@200');

    // import a Distill demo file: it joins the imported models with its source; then delete it
    await page.getByTestId('models-import-files').setInputFiles(join(DISTILL, 'ex3_lizard.json'));
    const imported = page.getByTestId('model-card-distill-lizard-regenerating-2');
    await expect(imported).toBeVisible({ timeout: 60_000 });
    await expect(imported).toContainText('Distill demo model ex3_lizard.json');
    await page.screenshot({ path: join(SHOTS, 'models-view.png'), fullPage: true });
    await imported.getByTestId('model-delete').click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await expect(imported).toHaveCount(0);
    expect(problems).toEqual([]);
  });

  test('a model exported from the Models view imports back as itself, in the lab\'s format and as Distill JSON', async ({ page }) => {
    const problems = watchForProblems(page);
    await page.goto(sharedLabUrl('', '#/models'));
    const source = page.getByTestId('model-card-es-carrot-9');
    await expect(source.getByTestId('model-losses')).toBeVisible({ timeout: 30_000 });
    const name = (await source.locator('h3').textContent())!.trim();
    const losses = await source.getByTestId('model-losses').textContent();
    const sizes = await source.locator('p', { hasText: 'parameters' }).textContent();
    const thumb = await source.locator('img.thumb').getAttribute('src');

    /** Clicks an export button, takes the download and imports it back; returns the imported model's card. */
    const exportAndImport = async (button: string, file: string) => {
      const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), source.getByTestId(button).click()]);
      expect(download.suggestedFilename()).toBe(file);
      const path = join('test-results', file);
      await download.saveAs(path);
      await page.getByTestId('models-import-files').setInputFiles(path);
      await expect(page.getByTestId('models-message')).toContainText(`Imported ${name} (`, { timeout: 60_000 });
      const id = /\(([a-z0-9._-]+)\)\.$/.exec((await page.getByTestId('models-message').textContent())!.trim())![1];
      return page.getByTestId(`model-card-${id}`);
    };

    // the lab's format: one file, back under its own name, and it grows the same (losses and thumbnail)
    const lab = await exportAndImport('model-export-lab', 'es-carrot-9.nca-model.json');
    await expect(lab.locator('h3')).toHaveText(name);
    await expect(lab.getByTestId('model-losses')).toHaveText(losses!);
    await expect(lab.locator('p', { hasText: 'parameters' })).toHaveText(sizes!);
    expect(await lab.locator('img.thumb').getAttribute('src')).toBe(thumb);

    // the Distill demo's format: the carrot keeps its hidden-32 shape and its origin, not the article's
    const distill = await exportAndImport('model-export-distill', 'es-carrot-9.distill.json');
    await expect(distill.locator('h3')).toHaveText(name);
    await expect(distill.locator('p', { hasText: 'parameters' })).toHaveText(sizes!);
    await expect(distill).toContainText('hidden 32');
    await expect(distill).not.toContainText('8,336 parameters');
    await expect(distill).not.toContainText('CC-BY');
    await expect(distill).not.toContainText('Mordvintsev');
    await expect(distill).toContainText('Exported by NCA Lab in the Distill demo\'s format');
    await expect(distill).toContainText('target carrot-9');
    await page.locator('section[aria-labelledby="imported-title"]').screenshot({ path: join(SHOTS, 'models-export-round-trip.png') });

    // leave the shared workspace as it was
    for (const card of [lab, distill]) {
      await card.getByTestId('model-delete').click();
      await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
      await expect(card).toHaveCount(0);
    }
    expect(problems).toEqual([]);
  });

  test('Fine-tune… opens New Run starting from the model, with its shape; the run page says where it started', async ({ page }) => {
    const problems = watchForProblems(page);
    await page.goto(sharedLabUrl('', '#/models'));
    await page.getByTestId('model-card-es-carrot-9').getByTestId('model-fine-tune').click();
    await expect(page.getByRole('heading', { level: 1, name: 'New run' })).toBeVisible();
    const start = page.getByTestId('start-from');
    await expect(start).toHaveValue('library:es-carrot-9', { timeout: 30_000 });
    // built-in models are listed first, after the fresh initialisation
    const options = await start.locator('option').allTextContents();
    expect(options[0]).toContain('a fresh initialisation');
    expect(options[1]).toContain('Distill lizard (growing)');
    await expect(page.getByTestId('start-from-note')).toContainText('channels 16, hidden 32, layer-1 bias on, layer-2 bias off');
    await expect(page.getByTestId('summary-start-from')).toHaveText('built-in model "ES carrot-9 (es-256)" (es-carrot-9)');

    // an Adam preset keeps the start model's shape (the es-256 model has the layer-1 bias): a shape that does not fit is refused
    await page.getByRole('radio', { name: 'thesis-adam', exact: true }).check({ force: true });
    await page.getByTestId('show-all-fields').check();
    const bias1 = page.locator('#field-model-bias1');
    await expect(bias1).toBeChecked();
    await bias1.uncheck();
    await expect(page.getByTestId('form-problems')).toContainText('cannot start from built-in model "ES carrot-9 (es-256)" (es-carrot-9): its model has channels 16, hidden 32, layer-1 bias on');
    await expect(page.getByTestId('create-run')).toBeDisabled();
    await bias1.check();
    await expect(page.getByTestId('form-problems')).toHaveCount(0);

    // back to a fresh initialisation, then the built-in Adam model: its shape comes with it
    await start.selectOption('');
    await expect(page.getByTestId('summary-start-from')).toHaveText('a fresh initialisation (torch, from the seed)');
    await start.selectOption('library:thesis-adam-carrot-9');
    await expect(bias1).toBeChecked();
    await page.locator('#field-stop-maxGenerations').fill('5');
    await page.getByTestId('run-name-input').fill('Adam from the built-in');
    await page.getByLabel('Start training at once').uncheck();
    await page.screenshot({ path: join(SHOTS, 'new-run-start-from.png'), fullPage: true });
    await page.getByTestId('create-run').click();

    await expect(page).toHaveURL(/#\/runs\/\d{8}-\d{6}-adam-carrot-9-[0-9a-f]{4}$/);
    const label = 'built-in model "Adam carrot-9 (thesis-adam)" (thesis-adam-carrot-9)';
    await expect(page.getByTestId('run-start-from')).toHaveText(`started from ${label}`);
    await expect(page.getByTestId('config-start-from')).toHaveText(label);
    // the run's own page offers the same for its model once it has parameters (none yet: not started)
    await expect(page.getByTestId('fine-tune')).toBeDisabled();
    // leave the shared workspace as it was
    await page.getByRole('button', { name: 'Delete…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await expect(page).toHaveURL(/#\/runs$/);
    expect(problems).toEqual([]);
  });
});
