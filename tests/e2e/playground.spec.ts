/**
 * The Playground in a real browser through `nca-lab serve`, against its own workspace: a model trained here with
 * the CLI (thesis-es on carrot-9) is loaded, played, erased (bottom half, scheduled at step 51) and exported as a
 * GIF whose frames and size are checked; a brush stroke must be on the canvas in the next frame; models written
 * with LabStore (40×40 and Mordvintsev's 72×72) measure the replay speed in headless Chromium (printed, not
 * asserted); models side by side; model files opened from disk. Screenshots go to test-results/screenshots/.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from './fixtures';
import sharp from 'sharp';
import { initParams, paramLayout } from '../../src/core/nca/config';
import { Philox } from '../../src/core/rng/philox';
import { LabStore } from '../../src/services/store/lab-store';
import { configFromPreset, ncaConfigOf } from '../../src/shared/training-config';
import type { CanvasInPage } from './browser-types';
import { OwnLab, SHOTS, watchForProblems } from './bridge';

const OUT = 'test-results/playground';

let lab: OwnLab;
let esRun: string;
let run40: string;
let run72: string;

/** A model whose layer 2 is random (not zero), so it grows and keeps the whole canvas busy: the worst case for speed. */
async function writeRandomModel(store: LabStore, preset: string, target: { name: string; size: number; padding: number }, seed: number): Promise<string> {
  const config = configFromPreset(preset);
  config.target = { ...config.target, ...target };
  const run = await store.createRun(config, { backend: null, name: `random ${preset} ${target.size + 2 * target.padding}×${target.size + 2 * target.padding}` });
  const nca = ncaConfigOf(run.config);
  const rng = new Philox(seed);
  const params = initParams(nca, 'torch', () => rng.uniform());
  const L = paramLayout(nca);
  for (let i = 0; i < L.kernel1.size; i++) params[L.kernel1.offset + i] = (rng.uniform() * 2 - 1) * 0.3;
  await store.writeModel(run.id, params, { config: run.config, generation: 0, loss: null });
  return run.id;
}

test.beforeAll(async () => {
  test.setTimeout(180_000);
  lab = await OwnLab.open('playground', async (workspace) => {
    // a real model: thesis-es on carrot-9 for 300 generations, trained by the CLI as a user would
    const train = spawnSync(process.execPath, [
      join(process.cwd(), 'bin', 'nca-lab.js'), 'train', '--optimizer', 'es', '--preset', 'thesis-es', '--target', 'carrot-9',
      '--max-generations', '300', '--seed', '7', '--workspace', workspace, '--json',
    ], { encoding: 'utf8', timeout: 150_000 });
    if (train.status !== 0) throw new Error(`training failed (${train.status}):\n${train.stdout}\n${train.stderr}`);
    const summary = JSON.parse(train.stdout.trim().split('\n').pop()!);
    esRun = summary.runId;
    const store = new LabStore(workspace, { versions: { lab: 'e2e', tfjs: '4.22.0', node: process.version } });
    run40 = await writeRandomModel(store, 'thesis-es', { name: 'lizard-40', size: 40, padding: 0 }, 2);
    run72 = await writeRandomModel(store, 'mordvintsev-growing', { name: 'lizard-40', size: 40, padding: 16 }, 3);
  });
  await mkdir(OUT, { recursive: true });
});

test.afterAll(async () => {
  const code = await lab?.close();
  expect(code).toBe(0);
});

async function openPlayground(page: Page, runId: string): Promise<void> {
  await page.goto(lab.url('#/playground'));
  await expect(page.getByRole('heading', { level: 1, name: 'Playground' })).toBeVisible();
  await page.getByTestId('model-run').selectOption(runId);
  await page.getByTestId('model-load').click();
  await expect(page.locator('[data-testid="playground-stage"] canvas')).toHaveCount(1);
  await expect(page.getByTestId('engine-kind')).toContainText('WebAssembly SIMD');
}

async function stepCount(page: Page): Promise<number> {
  return Number((await page.getByTestId('step-counter').textContent())!.replace(/[^0-9]/g, ''));
}

async function goTo(page: Page, t: number): Promise<void> {
  await page.getByTestId('go-to').fill(String(t));
  await page.getByTestId('go-to').dispatchEvent('change');
  await expect(page.getByTestId('step-counter')).toHaveText(`t = ${t}`);
}

/** The RGBA bytes of model m's canvas (one pixel per cell). */
async function cells(page: Page, m = 0): Promise<{ width: number; height: number; data: number[] }> {
  return page.locator(`[data-testid="playground-stage"] canvas[data-model="${m}"]`).evaluate((el) => {
    const c = el as unknown as CanvasInPage;
    return { width: c.width, height: c.height, data: Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data) };
  });
}

function rowsWhite(p: { width: number; data: number[] }, from: number, to: number): boolean {
  for (let y = from; y < to; y++) {
    for (let x = 0; x < p.width; x++) {
      const i = (y * p.width + x) * 4;
      if (p.data[i] !== 255 || p.data[i + 1] !== 255 || p.data[i + 2] !== 255) return false;
    }
  }
  return true;
}

test.describe('Playground', () => {
  test('plays a trained model, erases the bottom half at step 51 and exports a GIF of it', async ({ page }) => {
    const problems = watchForProblems(page);
    await openPlayground(page, esRun);
    await expect(page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Playground' })).toHaveAttribute('aria-current', 'page');
    await expect(page.getByTestId('model-chips')).toContainText('checkpoint at generation 300');
    await expect(page.getByTestId('step-counter')).toHaveText('t = 0');
    const seed = await cells(page);
    expect([seed.width, seed.height]).toEqual([9, 9]);
    expect(seed.data.slice((4 * 9 + 4) * 4, (4 * 9 + 4) * 4 + 4)).toEqual([0, 0, 0, 255]); // the seed cell: black

    // play at 60 steps/s for a moment
    await page.getByTestId('speed').selectOption('60');
    await page.getByTestId('play').click();
    await expect.poll(() => stepCount(page), { timeout: 10_000 }).toBeGreaterThanOrEqual(20);
    await page.getByTestId('play').click();
    const paused = await stepCount(page);
    await page.waitForTimeout(300);
    expect(await stepCount(page)).toBe(paused);
    await page.screenshot({ path: `${SHOTS}/playground-playing.png` });

    // schedule the thesis's bottom-half erase at step 51, then play past it
    await goTo(page, 10);
    await page.getByRole('button', { name: 'at step' }).click();
    await page.getByTestId('damage-at').fill('51');
    await page.getByTestId('erase-bottom').click();
    await expect(page.getByTestId('damage-log').locator('li')).toHaveCount(1);
    await expect(page.getByTestId('damage-log')).toContainText('t 51');
    await expect(page.getByTestId('damage-log')).toContainText('erase the bottom half (thesis)');
    await page.getByTestId('speed').selectOption('120');
    await page.getByTestId('play').click();
    await expect.poll(() => stepCount(page), { timeout: 10_000 }).toBeGreaterThan(80);
    await page.getByTestId('play').click();

    // at t = 50 the bottom half holds part of the carrot; at 51 rows 5–8 (S//2 + 1 …) are white
    await goTo(page, 50);
    expect(rowsWhite(await cells(page), 5, 9)).toBe(false);
    await goTo(page, 51);
    const erased = await cells(page);
    expect(rowsWhite(erased, 5, 9)).toBe(true);
    expect(rowsWhite(erased, 0, 5)).toBe(false);
    // stepping back and forth gives the same state as before (history re-simulates the same replay)
    await page.getByTestId('step-back').click();
    await page.getByTestId('step-forward').click();
    await expect(page.getByTestId('step-counter')).toHaveText('t = 51');
    expect((await cells(page)).data).toEqual(erased.data);
    await goTo(page, 60);
    await page.locator('main.content').evaluate((el) => el.scrollTo(0, 0));
    await page.screenshot({ path: `${SHOTS}/playground-bottom-erase.png` });

    // export updates 0 … 60 as a GIF at ×4, 20 fps: 61 frames of 36×36 px; frame 51 has the white bottom
    const gifPanel = page.getByTestId('export-panel');
    // the scale field shows the scale a GIF gets unless changed: at least 256 px a side (9 cells × 29)
    await expect(gifPanel.getByLabel('GIF scale')).toHaveValue('29');
    await gifPanel.screenshot({ path: `${SHOTS}/playground-export-scale.png` });
    await gifPanel.getByLabel('GIF first step').fill('0');
    await gifPanel.getByLabel('GIF last step').fill('60');
    await gifPanel.getByLabel('GIF scale').fill('4');
    await gifPanel.getByLabel('GIF frames per second').fill('20');
    await expect(page.getByTestId('export-gif')).toHaveText('GIF (61 frames)');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-gif').click()]);
    const gifPath = join(OUT, 'bottom-erase.gif');
    await download.saveAs(gifPath);
    expect(download.suggestedFilename()).toMatch(/-t0-60\.gif$/);
    const meta = await sharp(gifPath, { animated: true }).metadata();
    expect([meta.pages, meta.width, meta.pageHeight]).toEqual([61, 36, 36]);
    expect(new Set(meta.delay)).toEqual(new Set([50]));
    const frame51 = await sharp(gifPath, { page: 51 }).ensureAlpha().raw().toBuffer();
    for (let y = 5 * 4; y < 36; y++) for (let x = 0; x < 36; x++) expect(frame51[(y * 36 + x) * 4]).toBe(255);
    // the GIF's frame 51 is the canvas at t = 51, cell for cell
    for (let cell = 0; cell < 81; cell++) {
      const gi = ((Math.floor(cell / 9) * 4 + 1) * 36 + (cell % 9) * 4 + 1) * 4;
      expect(Array.from(frame51.subarray(gi, gi + 3))).toEqual(erased.data.slice(cell * 4, cell * 4 + 3));
    }
    await sharp(gifPath, { page: 51 }).png().toFile(join(OUT, 'bottom-erase-frame51.png'));
    await expect(page.getByTestId('export-done')).toContainText('61 frames, 36×36 px');

    // the loss CSV: t = 0 … frontier, the thesis index beside it; the loss jumps at t = 51
    const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
    const csv = (await readFile(await csvDownload.path(), 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('t,thesis_k,loss');
    expect(csv[1]).toMatch(/^0,,0\.0896/);
    const at = (t: number) => Number(csv[t + 1].split(',')[2]);
    expect(csv[52].startsWith('51,50,')).toBe(true);
    expect(at(51)).toBeGreaterThan(at(50));
    // the thesis strip (frame k = state after k updates) at the default steps, labelled by default: the model's name
    // at the left, "t = N" above each column (frames of 99 px in columns of 99 px and gaps of 6 px, headings 24 px high)
    await expect(page.getByTestId('strip-labels')).toBeChecked();
    const [labelledDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-strip').click()]);
    const labelledPath = join(OUT, 'strip-labelled.png');
    await labelledDownload.saveAs(labelledPath);
    const labelled = await sharp(labelledPath).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const lw = labelled.info.width;
    expect(lw).toBeGreaterThan(10 * 99 + 9 * 6);
    expect(labelled.info.height).toBeGreaterThan(99);
    const gridLeft = lw - 10 * (99 + 6);
    const darkIn = (img: { data: Buffer; info: { width: number } }, x0: number, x1: number, y0: number, y1: number) => {
      let n = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (img.data[(y * img.info.width + x) * 4] < 128) n++;
      return n;
    };
    expect(darkIn(labelled, 0, gridLeft - 6, 24, 24 + 99)).toBeGreaterThan(20); // the row label
    for (let c = 0; c < 10; c++) expect(darkIn(labelled, gridLeft + c * 105, gridLeft + c * 105 + 99, 0, 22)).toBeGreaterThan(10); // t = N

    // without labels: the plain strip, whose frames are the labelled strip's, pixel for pixel
    await page.getByTestId('strip-labels').uncheck();
    const [stripDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-strip').click()]);
    const stripPath = join(OUT, 'strip.png');
    await stripDownload.saveAs(stripPath);
    const strip = await sharp(stripPath).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([strip.info.width, strip.info.height]).toEqual([10 * 99 + 9 * 6, 99]);
    for (let c = 0; c < 10; c++) {
      for (let y = 0; y < 99; y += 3) {
        const row = (img: typeof strip, x: number, yy: number) => Array.from(img.data.subarray((yy * img.info.width + x) * 4, (yy * img.info.width + x + 99) * 4));
        expect(row(labelled, gridLeft + c * 105, 24 + y)).toEqual(row(strip, c * 105, y));
      }
    }

    // the GIF with a caption band: the model's name and t = N above every frame, the frame below it unchanged
    await page.getByTestId('gif-labels').check();
    await gifPanel.getByLabel('GIF every n-th step').fill('10');
    await gifPanel.getByLabel('GIF scale').fill('20');
    await expect(page.getByTestId('export-gif')).toHaveText('GIF (7 frames)');
    await page.getByTestId('export-panel').screenshot({ path: `${SHOTS}/playground-export-labels.png` });
    const [captioned] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-gif').click()]);
    const captionedPath = join(OUT, 'captioned.gif');
    await captioned.saveAs(captionedPath);
    const cmeta = await sharp(captionedPath, { animated: true }).metadata();
    const band = cmeta.pageHeight! - 180;
    expect([cmeta.pages, cmeta.width]).toEqual([7, 180]);
    expect(band).toBeGreaterThan(10);
    await expect(page.getByTestId('export-done')).toContainText(`7 frames, 180×${180 + band} px`);
    const bands: string[] = [];
    for (const [pageNo, t] of [[0, 0], [5, 50], [6, 60]]) {
      const f = await sharp(captionedPath, { page: pageNo }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      expect(darkIn(f, 0, 90, 0, band)).toBeGreaterThan(10); // the name, left
      expect(darkIn(f, 130, 180, 0, band)).toBeGreaterThan(5); // t = N, right
      bands.push(f.data.subarray(0, 180 * band * 4).toString('base64'));
      // below the band, the same cells as the plain GIF's frame at t (its frames are every step, at ×4)
      const plainFrame = await sharp(gifPath, { page: t }).ensureAlpha().raw().toBuffer();
      for (let cell = 0; cell < 81; cell++) {
        const [cy, cx] = [Math.floor(cell / 9), cell % 9];
        const ci = ((band + cy * 20 + 10) * 180 + cx * 20 + 10) * 4;
        const pi = ((cy * 4 + 1) * 36 + cx * 4 + 1) * 4;
        expect(Array.from(f.data.subarray(ci, ci + 4))).toEqual(Array.from(plainFrame.subarray(pi, pi + 4)));
      }
      if (t === 60) await sharp(captionedPath, { page: pageNo }).png().toFile(join(OUT, 'captioned-t60.png'));
    }
    expect(new Set(bands).size).toBe(3);
    expect(problems).toEqual([]);
  });

  test('a brush stroke is on the canvas in the next frame', async ({ page }) => {
    const problems = watchForProblems(page);
    await openPlayground(page, esRun);
    await goTo(page, 40);
    const before = await cells(page);
    const canvas = page.locator('[data-testid="playground-stage"] canvas[data-model="0"]');
    const box = (await canvas.boundingBox())!;
    const cell = box.width / 9;
    // a probe: when the pointer goes down, note the time and read the cell in the next animation frame
    await canvas.evaluate((el) => {
      const c = el as unknown as CanvasInPage & { addEventListener: (t: string, f: () => void, o: object) => void };
      const g = globalThis as unknown as { requestAnimationFrame: (f: (now: number) => void) => void; performance: { now(): number }; __probe?: unknown };
      c.addEventListener('pointerdown', () => {
        const t0 = g.performance.now();
        g.requestAnimationFrame(() => {
          g.__probe = { ms: g.performance.now() - t0, pixel: Array.from(c.getContext('2d')!.getImageData(4, 4, 1, 1).data) };
        });
      }, { capture: true, once: true });
    });
    await page.mouse.move(box.x + 4.5 * cell, box.y + 4.5 * cell);
    await page.mouse.down();
    await page.mouse.move(box.x + 6.5 * cell, box.y + 4.5 * cell, { steps: 4 });
    await page.mouse.up();
    const probe = await page.evaluate(() => (globalThis as unknown as { __probe: { ms: number; pixel: number[] } }).__probe);
    console.log(`brush stroke: the erased cell was white in the next animation frame, ${probe.ms.toFixed(1)} ms after pointerdown`);
    expect(probe.pixel).toEqual([255, 255, 255, 255]);
    expect(before.data.slice((4 * 9 + 4) * 4, (4 * 9 + 4) * 4 + 3)).not.toEqual([255, 255, 255]);
    await expect(page.getByTestId('damage-log')).toContainText('brush at (4, 4) radius 2');
    const after = await cells(page);
    // the stroke went right along row 4: cells (4, 4) … (4, 6) and their radius-2 discs are erased
    for (const x of [2, 3, 4, 5, 6, 7, 8]) expect(after.data.slice((4 * 9 + x) * 4, (4 * 9 + x) * 4 + 3)).toEqual([255, 255, 255]);
    await page.locator('main.content').evaluate((el) => el.scrollTo(0, 0));
    await page.screenshot({ path: `${SHOTS}/playground-brush.png` });
    expect(problems).toEqual([]);
  });

  test('replays a 40×40 model fast enough, side by side with another (speed printed)', async ({ page }) => {
    test.setTimeout(120_000);
    const problems = watchForProblems(page);
    await openPlayground(page, run40);
    const cells40 = await cells(page);
    expect([cells40.width, cells40.height]).toEqual([40, 40]);

    const measure = async (label: string, seconds: number) => {
      await page.getByTestId('speed').selectOption('0');
      // as fast as possible stops at the timeline's end (1,000 steps by default): far enough not to stop while measured
      await page.getByTestId('timeline-end').fill('1000000');
      await page.getByTestId('timeline-end').dispatchEvent('change');
      const t0 = await stepCount(page);
      const start = Date.now();
      await page.getByTestId('play').click();
      await page.waitForTimeout(seconds * 1000);
      const shown = await page.getByTestId('steps-per-second').textContent();
      await page.getByTestId('play').click();
      const t1 = await stepCount(page);
      const rate = (t1 - t0) / ((Date.now() - start) / 1000);
      console.log(`${label}: ${t1 - t0} updates in ${((Date.now() - start) / 1000).toFixed(2)} s = ${rate.toFixed(0)} steps/s (the page shows "${shown?.trim()}")`);
      return rate;
    };
    const rate40 = await measure('40×40 thesis-es model (hidden 32), headless Chromium', 3);
    expect(rate40).toBeGreaterThan(0);
    // the canvas is full of living cells by now: the measurement is of a busy grid, not of an empty one
    const busy = await cells(page);
    let coloured = 0;
    for (let i = 0; i < 1600; i++) if (busy.data[i * 4] !== 255 || busy.data[i * 4 + 1] !== 255 || busy.data[i * 4 + 2] !== 255) coloured++;
    console.log(`40×40: ${coloured} of 1600 cells not white at t = ${await stepCount(page)}`);
    await page.locator('main.content').evaluate((el) => el.scrollTo(0, 0));
    await page.screenshot({ path: `${SHOTS}/playground-40x40.png` });

    // side by side: the carrot model joins on the 40×40 canvas, both curves on one chart
    await page.getByTestId('side-by-side').check();
    await page.getByTestId('model-run').selectOption(esRun);
    await expect(page.getByTestId('model-load')).toHaveText('Add side by side');
    await page.getByTestId('model-load').click();
    await expect(page.locator('[data-testid="playground-stage"] canvas')).toHaveCount(2);
    await expect(page.getByTestId('step-counter')).toHaveText('t = 0');
    expect((await cells(page, 1)).width).toBe(40);
    await page.getByTestId('speed').selectOption('120');
    await page.getByTestId('play').click();
    await expect.poll(() => stepCount(page), { timeout: 10_000 }).toBeGreaterThanOrEqual(120);
    await page.getByTestId('play').click();
    await expect(page.getByTestId('current-loss')).toHaveCount(2);
    await page.locator('main.content').evaluate((el) => el.scrollTo(0, 0));
    await page.screenshot({ path: `${SHOTS}/playground-side-by-side.png` });
    // a labelled strip of both: one row per model with its name at the left (frames of 120 px, headings 27 px high)
    await page.getByTestId('export-panel').getByLabel('Strip steps').fill('0, 40, 120');
    const [both] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-strip').click()]);
    await both.saveAs(join(OUT, 'strip-side-by-side.png'));
    const strip2 = await sharp(await both.path()).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    expect(strip2.info.width).toBeGreaterThan(3 * 120 + 2 * 2);
    expect(strip2.info.height).toBe(27 + 2 * 120 + 2 * 6);
    const left2 = strip2.info.width - 3 * 126;
    for (const r of [0, 1]) {
      let n = 0;
      for (let y = 27 + r * 126; y < 27 + r * 126 + 120; y++) for (let x = 0; x < left2 - 6; x++) if (strip2.data[(y * strip2.info.width + x) * 4] < 128) n++;
      expect(n).toBeGreaterThan(20);
    }
    await measure('side by side: 40×40 + carrot-9 on 40×40', 2);

    // Mordvintsev's size: hidden 128 on 72×72
    await page.getByTestId('side-by-side').uncheck();
    await page.getByTestId('model-run').selectOption(run72);
    await page.getByTestId('model-load').click();
    await expect(page.locator('[data-testid="playground-stage"] canvas')).toHaveCount(1);
    expect((await cells(page)).width).toBe(72);
    await measure('72×72 mordvintsev-growing model (hidden 128)', 3);
    expect(problems).toEqual([]);
  });

  test('damage tools, extra seed cells and views; a saved replay loads back to the same states', async ({ page }) => {
    const problems = watchForProblems(page);
    // from the run's page, as a user would
    await page.goto(lab.url(`#/runs/${esRun}`));
    await page.getByTestId('open-playground').click();
    await expect(page.getByRole('heading', { level: 1, name: 'Playground' })).toBeVisible();
    await expect(page.getByTestId('model-chips')).toContainText('thesis-es');
    await page.getByTestId('canvas-size').fill('15');
    await page.getByTestId('canvas-size').dispatchEvent('change');
    await expect(page.locator('[data-testid="playground-stage"] canvas')).toHaveJSProperty('width', 15);
    const canvas = page.locator('[data-testid="playground-stage"] canvas[data-model="0"]');
    // the page scrolls to the fields typed into: bring the canvas back and measure it before pointing at a cell
    const at = async (y: number, x: number) => {
      await page.locator('main.content').evaluate((el) => el.scrollTo(0, 0));
      const box = (await canvas.boundingBox())!;
      return { x: box.x + (x + 0.5) * (box.width / 15), y: box.y + (y + 0.5) * (box.height / 15) };
    };

    // a second seed cell at (2, 2): both grow
    await page.getByTestId('tool-seed').click();
    const c22 = await at(2, 2);
    await page.mouse.click(c22.x, c22.y);
    await expect(page.locator('.seed-mark')).toHaveCount(2);
    const seeded = await cells(page);
    expect(seeded.data.slice((2 * 15 + 2) * 4, (2 * 15 + 2) * 4 + 4)).toEqual([0, 0, 0, 255]);
    expect(seeded.data.slice((7 * 15 + 7) * 4, (7 * 15 + 7) * 4 + 4)).toEqual([0, 0, 0, 255]);

    // rectangle by drag at t = 20, FGSM after every update 21…40, noise and a random circle scheduled at 45 and 50
    await goTo(page, 20);
    await page.getByTestId('tool-rect').click();
    const [c00, c34] = [await at(0, 0), await at(3, 4)];
    await page.mouse.move(c00.x, c00.y);
    await page.mouse.down();
    await page.mouse.move(c34.x, c34.y, { steps: 3 });
    await page.mouse.up();
    await expect(page.getByTestId('damage-log')).toContainText('erase rows 0–3, cols 0–4');
    const rect = await cells(page);
    for (let y = 0; y < 4; y++) for (let x = 0; x < 5; x++) expect(rect.data.slice((y * 15 + x) * 4, (y * 15 + x) * 4 + 3)).toEqual([255, 255, 255]);
    await page.getByRole('button', { name: 'at step' }).click();
    await page.getByTestId('damage-at').fill('21');
    await page.getByLabel('FGSM epsilon').fill('0.01');
    await page.getByText('every step until').click();
    await page.getByLabel('FGSM until step').fill('40');
    await page.getByTestId('apply-fgsm').click();
    await page.getByTestId('damage-at').fill('45');
    await page.getByTestId('apply-noise').click();
    await page.getByTestId('damage-at').fill('50');
    await page.getByTestId('erase-circle').click();
    await expect(page.getByTestId('damage-log').locator('li')).toHaveText([
      /t 20\s*erase rows 0–3, cols 0–4/, /t 21–40\s*FGSM ε 0\.01, clamp all/, /t 45\s*noise σ 0\.05/, /t 50\s*erase circle \(M\)/,
    ]);
    await goTo(page, 60);
    const before = await cells(page);
    for (const v of ['alpha', '4', '15']) {
      await page.getByTestId('view-select').selectOption(v);
      await expect(page.locator('[data-testid="playground-stage"] canvas')).toHaveAttribute('aria-label', v === 'alpha' ? /alpha after 60 updates/ : /hidden \d+ \(channel \d+\) after 60 updates/);
    }
    await page.locator('main.content').evaluate((el) => el.scrollTo(0, 0));
    await page.screenshot({ path: `${SHOTS}/playground-hidden-channel.png` });
    await page.getByTestId('view-select').selectOption('rgb');
    await page.getByTestId('damage-panel').scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/playground-damage-log.png` });

    // save the replay, clear everything, load it back: the same log and the same state at t = 60
    const [saved] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save-recording').click()]);
    const recording = JSON.parse(await readFile(await saved.path(), 'utf8'));
    expect(recording).toMatchObject({ format: 'nca-lab-growth-recording', height: 15, width: 15, seeds: [[7, 7], [2, 2]], steps: 60 });
    expect(recording.damage).toHaveLength(4);
    expect(recording.models).toEqual([{ name: expect.any(String), runId: esRun, generation: 300 }]);
    await page.getByRole('button', { name: 'Clear' }).click();
    await expect(page.getByTestId('damage-log')).toHaveCount(0);
    await page.getByTestId('recording-file').setInputFiles({ name: 'replay.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(recording)) });
    await expect(page.getByTestId('step-counter')).toHaveText('t = 60');
    await expect(page.getByTestId('damage-log').locator('li')).toHaveCount(4);
    expect((await cells(page)).data).toEqual(before.data);
    expect(problems).toEqual([]);
  });

  test('opens a model folder\'s files from disk and refuses a malformed model.json', async ({ page }) => {
    const problems = watchForProblems(page);
    await page.goto(lab.url('#/playground'));
    const folder = join(lab.workspace, 'runs', esRun, 'model');
    await page.getByTestId('model-files').setInputFiles([join(folder, 'model.json'), join(folder, 'weights.bin')]);
    await expect(page.getByTestId('model-chips')).toContainText('model.json + weights.bin');
    await expect(page.getByTestId('model-chips')).toContainText('trained on 9×9');
    await expect(page.getByTestId('current-loss')).toHaveText(/0\.08966/);

    const bad = join(lab.dir, 'bad');
    await mkdir(bad, { recursive: true });
    await writeFile(join(bad, 'model.json'), '{"weightsManifest": [');
    await page.getByTestId('model-files').setInputFiles([join(bad, 'model.json')]);
    await expect(page.getByTestId('model-error')).toContainText('model.json: not a model: the file is not JSON');
    await expect(page.getByTestId('model-error')).not.toContainText(tmpdir());
    await writeFile(join(bad, 'weights.bin'), Buffer.alloc(12));
    await page.getByTestId('model-files').setInputFiles([join(folder, 'model.json'), join(bad, 'weights.bin')]);
    await expect(page.getByTestId('model-error')).toContainText('weights.bin: wrong size: 12 bytes');
    await page.locator('main.content').evaluate((el) => el.scrollTo(0, 0));
    await page.screenshot({ path: `${SHOTS}/playground-bad-model.png` });
    // the model loaded before is still there
    await expect(page.locator('[data-testid="playground-stage"] canvas')).toHaveCount(1);
    expect(problems).toEqual([]);
  });
});
