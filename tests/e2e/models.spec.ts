/**
 * Models to play with from the first minute (issue 13), in a real browser through `nca-lab serve` on the global
 * setup's fresh workspace: the Playground opens on the first built-in model, the built-ins are listed first, the
 * perception rotation turns the grown pattern, and the Models view makes a GIF of a built-in model with an erase
 * in one click, imports a Distill demo file and deletes it again. Screenshots go to test-results/screenshots/.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
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
});
