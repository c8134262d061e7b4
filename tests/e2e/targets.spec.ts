/**
 * The Targets view in a real browser through `nca-lab serve`: the six built-ins drawn cell for cell, a PNG
 * imported (by file input and by drag and drop) and previewed at a chosen size, a text file renamed .png
 * refused with the service's message. Each state is screenshotted into test-results/screenshots/.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from './fixtures';
import { encodePng } from '../../src/services/export/png';
import type { BrowserGlobals, CanvasInPage } from './browser-types';
import { sharedLabUrl, SHOTS, watchForProblems } from './bridge';
import { startServe } from './serve-process';

/** A size×size PNG: an opaque red disc on a transparent background. */
function discPng(size: number): Buffer {
  const px = new Uint8Array(size * size * 4);
  const c = (size - 1) / 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if ((x - c) ** 2 + (y - c) ** 2 <= (size * 0.4) ** 2) px.set([220, 20, 20, 255], (y * size + x) * 4);
    }
  }
  return encodePng(px, size, size);
}

/** The RGBA bytes of a canvas and its drawn/CSS sizes. */
async function canvasPixels(page: Page, selector: string): Promise<CanvasPixels> {
  return page.locator(selector).evaluate((el) => {
    const canvas = el as unknown as CanvasInPage;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    const style = (globalThis as unknown as BrowserGlobals).getComputedStyle(canvas);
    return {
      width: canvas.width,
      height: canvas.height,
      cssWidth: parseFloat(style.width),
      rendering: style.imageRendering,
      data: Array.from(data),
    };
  });
}

interface CanvasPixels {
  width: number;
  height: number;
  cssWidth: number;
  rendering: string;
  data: number[];
}

function rgbaAt(p: CanvasPixels, x: number, y: number): number[] {
  const i = (y * p.width + x) * 4;
  return p.data.slice(i, i + 4);
}

test.describe('Targets view', () => {
  test('shows the six built-in targets, crisp, and both backends', async ({ page }) => {
    const problems = watchForProblems(page);
    await page.goto(sharedLabUrl('', '#/targets'));

    await expect(page.getByRole('heading', { level: 1, name: 'Targets' })).toBeVisible();
    // the navigation lists real views only (others join as they are built): Runs first, the views of runs, Targets
    const nav = await page.getByRole('navigation', { name: 'Views' }).getByRole('link').allTextContents();
    expect(nav.slice(0, 3).map((t) => t.trim())).toEqual(['Runs', 'New run', 'Overlay']);
    expect(nav.map((t) => t.trim())).toContain('Targets');

    const cards = page.getByTestId('builtin-gallery').locator('figure');
    await expect(cards).toHaveCount(6);
    await expect(cards.locator('.name')).toHaveText(['🥕carrot-9', '🥕carrot-15', '🐰rabbit-9', '🐰rabbit-15', '🦎lizard-40', '🦎lizard-2018-40']);
    await expect(page.locator('[data-target="lizard-40"] .meta')).toHaveText(['40×40 px', 'padding 16', 'canvas 72×72']);
    await expect(page.locator('[data-target="carrot-9"] .meta')).toHaveText(['9×9 px', 'canvas 9×9']);

    // carrot-9: one canvas pixel per cell, zoomed ×16 with nearest-neighbour rendering
    const carrot = await canvasPixels(page, '[data-target="carrot-9"] canvas');
    expect([carrot.width, carrot.height, carrot.cssWidth, carrot.rendering]).toEqual([9, 9, 144, 'pixelated']);
    expect(rgbaAt(carrot, 0, 0)).toEqual([255, 255, 255, 255]); // transparent corner on white
    let coloured = 0; // orange (root) or green (leaves) cells
    for (let y = 0; y < 9; y++) {
      for (let x = 0; x < 9; x++) {
        const [r, g, b] = rgbaAt(carrot, x, y);
        if (r - b > 60 || g - b > 60) coloured++;
      }
    }
    expect(coloured).toBeGreaterThan(10);
    // lizard-40 on its 72×72 canvas: the 16-cell padding is white
    const lizard = await canvasPixels(page, '[data-target="lizard-40"] canvas');
    expect([lizard.width, lizard.height, lizard.cssWidth]).toEqual([72, 72, 144]);
    expect(rgbaAt(lizard, 8, 36)).toEqual([255, 255, 255, 255]);

    await expect(page.getByTestId('node-backend')).toContainText(/Node backend\s*(tensorflow|wasm|cpu)/);
    await expect(page.getByTestId('renderer-backend')).toContainText(/Renderer backend\s*(webgl|wasm|cpu)/, { timeout: 30_000 });
    await expect(page.locator('.status-bar')).toContainText(process.env.NCA_LAB_E2E_WORKSPACE ?? '');

    await page.screenshot({ path: `${SHOTS}/targets-gallery.png` });
    expect(problems).toEqual([]);
  });

  test('imports a PNG and previews it at the chosen size', async ({ page }) => {
    const problems = watchForProblems(page);
    await page.goto(sharedLabUrl('', '#/targets'));
    await expect(page.getByTestId('builtin-gallery').locator('figure')).toHaveCount(6);

    await page.getByTestId('import-file').setInputFiles({ name: 'red-disc.png', mimeType: 'image/png', buffer: discPng(64) });
    const preview = page.getByTestId('import-preview');
    await expect(preview).toBeVisible();
    await expect(page.locator('.preview-caption')).toContainText('red-disc');
    await expect(page.locator('.preview-caption')).toContainText('15×15 px');
    let drawn = await canvasPixels(page, '[data-testid="import-preview"] canvas');
    expect([drawn.width, drawn.height, drawn.cssWidth]).toEqual([15, 15, 210]);
    const [r, g, b, a] = rgbaAt(drawn, 7, 7);
    expect(a).toBe(255);
    expect(r).toBeGreaterThan(200);
    expect(g).toBeLessThan(40);
    expect(b).toBeLessThan(40);
    expect(rgbaAt(drawn, 0, 0)).toEqual([255, 255, 255, 255]);

    // another size and some padding re-import the same file
    await page.getByRole('button', { name: '40', exact: true }).click();
    await expect(page.locator('.preview-caption')).toContainText('40×40 px');
    await page.getByLabel('Padding').fill('4');
    await page.getByLabel('Padding').dispatchEvent('change');
    await expect(page.locator('.preview-caption')).toContainText('40×40 px · padding 4 · canvas 48×48');
    drawn = await canvasPixels(page, '[data-testid="import-preview"] canvas');
    expect([drawn.width, drawn.height]).toEqual([48, 48]);
    expect(rgbaAt(drawn, 2, 24)).toEqual([255, 255, 255, 255]);

    // the three imports of one image are one target kept in the workspace, at the size and padding chosen last
    const kept = page.getByTestId('imported-gallery').locator('[data-imported^="red-disc-"]');
    await expect(kept).toHaveCount(1);
    await expect(kept).toContainText('40×40 px');
    await expect(kept).toContainText('from red-disc.png');
    await page.getByRole('region', { name: 'Import an image' }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/targets-import-preview.png` });
    expect(problems).toEqual([]);
  });

  test('imports a file dropped on the drop zone', async ({ page }) => {
    const problems = watchForProblems(page);
    await page.goto(sharedLabUrl('', '#/targets'));
    await page.getByRole('button', { name: '9', exact: true }).click();
    const bytes = Array.from(discPng(32));
    const dataTransfer = await page.evaluateHandle((b) => {
      const browser = globalThis as unknown as BrowserGlobals;
      const dt = new browser.DataTransfer();
      dt.items.add(new browser.File([new Uint8Array(b)], 'dropped.png', { type: 'image/png' }));
      return dt;
    }, bytes);
    await page.getByTestId('drop-zone').dispatchEvent('drop', { dataTransfer });
    await expect(page.locator('.preview-caption')).toContainText('dropped');
    await expect(page.locator('.preview-caption')).toContainText('9×9 px');
    const drawn = await canvasPixels(page, '[data-testid="import-preview"] canvas');
    expect([drawn.width, drawn.height]).toEqual([9, 9]);
    expect(problems).toEqual([]);
  });

  test('shows the service\'s message for a text file renamed .png', async ({ page }) => {
    const problems = watchForProblems(page);
    await page.goto(sharedLabUrl('', '#/targets'));
    await expect(page.getByTestId('builtin-gallery').locator('figure')).toHaveCount(6);
    await page.getByTestId('import-file').setInputFiles({
      name: 'notes.png',
      mimeType: 'image/png',
      buffer: Buffer.from('Shopping list:\n- carrots\n- more carrots\n'),
    });
    const error = page.getByTestId('import-error');
    await expect(error).toBeVisible();
    await expect(error).toContainText('Could not import notes.png.');
    await expect(error).toContainText('notes.png: not an image (PNG, JPEG or WebP expected');
    await expect(page.getByTestId('import-preview')).toHaveCount(0);
    await page.getByRole('region', { name: 'Import an image' }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/targets-import-error.png` });
    expect(problems).toEqual([]);
  });

  test('runs tfjs on wasm in the page when asked, under the CSP', async ({ page }) => {
    const problems = watchForProblems(page);
    const wasmResponses: string[] = [];
    page.on('response', (r) => {
      if (r.url().endsWith('.wasm')) wasmResponses.push(`${r.status()} ${r.headers()['content-type']}`);
    });
    await page.goto(sharedLabUrl('&backend=wasm', '#/targets'));
    await expect(page.getByTestId('renderer-backend')).toContainText(/Renderer backend\s*wasm/, { timeout: 30_000 });
    expect(wasmResponses.length).toBeGreaterThan(0);
    expect(new Set(wasmResponses)).toEqual(new Set(['200 application/wasm']));
    expect(problems).toEqual([]);
  });

  test.describe('without the token', () => {
    // the refusal is the point: the browser logs the 403 as a failed load
    test.use({ expectedConsoleErrors: [/status of 403 \(Forbidden\)/] });
    test('the page is refused without the token', async ({ page }) => {
      const url = new URL(sharedLabUrl());
      const response = await page.goto(`${url.origin}/`);
      expect(response?.status()).toBe(403);
      await expect(page.locator('body')).toContainText('open the address that `nca-lab serve` printed');
    });
  });
});

test.describe('Targets view when the built-ins are missing', () => {
  let dir: string;
  test.beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nca-lab-e2e-resources-'));
    await mkdir(join(dir, 'resources', 'targets'), { recursive: true });
  });
  test.afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('shows the error state with the service\'s message, and an empty state for an empty catalogue', async ({ page }) => {
    const broken = await startServe(join(dir, 'ws'), { NCA_LAB_RESOURCES: join(dir, 'resources') });
    try {
      await page.goto(`${broken.url}#/targets`);
      const error = page.getByTestId('targets-error');
      await expect(error).toContainText('The built-in targets could not be loaded.');
      await expect(error).toContainText('cannot read the built-in target list');
      await expect(error).toContainText('targets.json');
      await page.screenshot({ path: `${SHOTS}/targets-load-error.png` });

      // the catalogue appears (an empty one): Try again shows the empty state
      await writeFile(join(dir, 'resources', 'targets', 'targets.json'), JSON.stringify({ _doc: 'empty', targets: [] }));
      await page.getByRole('button', { name: 'Try again' }).click();
      await expect(page.getByTestId('targets-empty')).toContainText('No built-in targets were found.');
      await page.screenshot({ path: `${SHOTS}/targets-empty.png` });
    } finally {
      expect(await broken.stop()).toBe(0);
    }
  });
});
