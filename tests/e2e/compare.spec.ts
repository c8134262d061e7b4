/**
 * The Compare view in Debian's Chromium through its own `nca-lab serve` (real worker processes): two saved models
 * (an ES and an Adam run written into a fresh workspace), a suite run from the interface with progress, the loss
 * chart, the growth strip and the hyperparameter table, a colour edited, and the chart downloaded as SVG (legend,
 * axis labels, the edited colour), PNG (the chosen size and DPI, white corners) and CSV; the growth strip downloaded
 * as one SVG (embedded pixelated frames, labels as text) and one PNG on the same layout; a running suite cancelled.
 * Screenshots go to test-results/screenshots/.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from './fixtures';
import { pngDpi } from '../../src/core/figures/png-dpi';
import { decodePng } from '../../src/services/export/png';
import { OwnLab, SHOTS, watchForProblems } from './bridge';
import { writeEsAndAdamRuns } from './saved-runs';

const OUT = 'test-results/compare';
let lab: OwnLab | null = null;
const runIds: string[] = [];

test.beforeAll(async () => {
  lab = await OwnLab.open('compare', async (workspace) => {
    runIds.push(...(await writeEsAndAdamRuns(workspace, { es: 'ES carrot', adam: 'Adam carrot' })));
  });
});

test.afterAll(async () => {
  await lab?.close();
});

test('runs a suite from the Compare view and downloads its figures', async ({ page }) => {
  test.setTimeout(120_000);
  const problems = watchForProblems(page);
  await page.goto(lab!.url('#/compare'));
  await expect(page.getByRole('heading', { name: 'Compare', level: 1 })).toBeVisible();
  for (const id of runIds) await page.locator(`input[data-run="${id}"]`).check();
  await page.getByTestId('suite').selectOption('erase-bottom');
  await page.getByTestId('run-suite').click();
  const results = page.getByTestId('experiment-results');
  await expect(results).toBeVisible({ timeout: 60_000 });
  await expect(results.locator('.experiment-chart canvas')).toHaveCount(1);
  await expect(page.getByTestId('growth-strip').locator('tbody tr')).toHaveCount(2);
  await expect(page.getByTestId('growth-strip').locator('thead th')).toHaveText(['', '40', '50', '51', '60', '80', '100', '150', '200']);

  // hyperparameters: only what differs, then everything
  const rows = page.getByTestId('hyperparameters').locator('tbody tr');
  const differing = await rows.count();
  await expect(rows.filter({ hasText: 'Optimizer' })).toContainText('ES');
  await page.getByTestId('hide-equal').uncheck();
  expect(await rows.count()).toBeGreaterThan(differing);
  await expect(rows.filter({ hasText: 'Fire rate' })).toHaveCount(1);
  // the view scrolls inside the shell: a tall window shows all of it
  await page.setViewportSize({ width: 1440, height: 2400 });
  await page.screenshot({ path: `${SHOTS}/compare-results.png` });
  await page.setViewportSize({ width: 1280, height: 800 });

  // an edited colour reaches the exported SVG
  await page.locator(`input[data-colour="${runIds[0]}"]`).fill('#123456');
  const [svgDownload] = await Promise.all([page.waitForEvent('download'), results.getByTestId('export-svg').first().click()]);
  expect(svgDownload.suggestedFilename()).toBe('erase-bottom-9x9-carrot.svg');
  const svg = await readFile((await svgDownload.path())!, 'utf8');
  expect(svg).toContain('<title>9x9 carrot</title>');
  expect(svg).toMatch(/<text[^>]*>Adam carrot<\/text>/);
  expect(svg).toMatch(/<text[^>]*>ES carrot<\/text>/);
  expect(svg).toContain('>Update steps</text>');
  expect(svg).toContain('>log₁₀(loss)</text>');
  expect(svg).toContain('stroke="#123456"');
  expect(svg).toContain('stroke="#00bfbf"');

  // PNG at 5 × 4 in, 100 DPI: 500 × 400 px, white corners, the DPI in the file
  await page.getByTestId('fig-width').fill('5');
  await page.getByTestId('fig-height').fill('4');
  await page.getByTestId('fig-dpi').fill('100');
  const [pngDownload] = await Promise.all([page.waitForEvent('download'), results.getByTestId('export-png').first().click()]);
  const bytes = await readFile((await pngDownload.path())!);
  const png = decodePng(bytes);
  expect([png.width, png.height]).toEqual([500, 400]);
  for (const [x, y] of [[0, 0], [499, 0], [0, 399], [499, 399]]) {
    const i = (y * png.width + x) * 4;
    expect(Array.from(png.data.slice(i, i + 4))).toEqual([255, 255, 255, 255]);
  }
  expect(pngDpi(new Uint8Array(bytes))).toBe(100);

  const [csvDownload] = await Promise.all([page.waitForEvent('download'), results.getByTestId('export-csv').first().click()]);
  const csv = (await readFile((await csvDownload.path())!, 'utf8')).trimEnd().split('\n');
  expect(csv[0]).toBe('suite,protocol,model,label,optimizer,pool,target,repeat,seed,index,updates_applied,loss');
  expect(csv).toHaveLength(1 + 2 * 400);

  // the growth strip as one SVG: every frame an embedded PNG drawn pixelated, the row labels and headings as text
  await page.locator('section', { has: page.getByTestId('growth-strip') }).screenshot({ path: `${SHOTS}/compare-growth-strip.png` });
  const labels = await page.getByTestId('growth-strip').locator('tbody th').allTextContents();
  expect(labels).toHaveLength(2);
  const [stripSvgDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('strip-svg').click()]);
  expect(stripSvgDownload.suggestedFilename()).toBe('erase-bottom-strip.svg');
  const stripSvg = await readFile((await stripSvgDownload.path())!, 'utf8');
  await mkdir(OUT, { recursive: true });
  await writeFile(join(OUT, 'strip.svg'), stripSvg);
  const images = [...stripSvg.matchAll(/<image x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)"[^>]*style="image-rendering:pixelated" href="data:image\/png;base64,[A-Za-z0-9+/=]+"\/>/g)]
    .map((m) => m.slice(1, 5).map(Number));
  expect(images).toHaveLength(2 * 8);
  const escaped = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  for (const label of labels) expect(stripSvg).toContain(`text-anchor="end">${escaped(label.trim())}</text>`);
  for (const c of ['40', '50', '51', '60', '80', '100', '150', '200']) expect(stripSvg).toContain(`text-anchor="middle">${c}</text>`);
  expect(stripSvg).toContain('column = step index k');

  // and as one PNG on the same layout: larger than the frames alone, the frames where
  // the SVG has its images (a grey hairline just outside each), dark text left of the rows and above the columns
  const [stripPngDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('strip-png').click()]);
  expect(stripPngDownload.suggestedFilename()).toBe('erase-bottom-strip.png');
  const stripPng = decodePng(await readFile((await stripPngDownload.path())!));
  await stripPngDownload.saveAs(join(OUT, 'strip.png'));
  const svgSize = /<svg [^>]*width="(\d+)" height="(\d+)"/.exec(stripSvg)!;
  expect([stripPng.width, stripPng.height]).toEqual([Number(svgSize[1]), Number(svgSize[2])]);
  // the frames alone, as the plain strip puts them (gaps of at most 8 px at these scales)
  expect(stripPng.width).toBeGreaterThan(images.slice(0, 8).reduce((a, i) => a + i[2], 0) + 7 * 8);
  expect(stripPng.height).toBeGreaterThan(images[0][3] + images[8][3] + 8);
  const px = (x: number, y: number) => Array.from(stripPng.data.slice((y * stripPng.width + x) * 4, (y * stripPng.width + x) * 4 + 4));
  for (const [x, y, w, h] of images) {
    expect(px(x - 1, y + (h >> 1))).toEqual([200, 200, 200, 255]);
    expect(px(x + w, y + (h >> 1))).toEqual([200, 200, 200, 255]);
  }
  const dark = (x0: number, x1: number, y0: number, y1: number) => {
    let n = 0;
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (stripPng.data[(y * stripPng.width + x) * 4] < 128) n++;
    return n;
  };
  const [fx, fy, , fh] = images[0];
  expect(dark(0, fx - 8, fy, fy + fh)).toBeGreaterThan(20); // the first row's label
  expect(dark(0, fx - 8, images[8][1], images[8][1] + fh)).toBeGreaterThan(20); // the second's
  for (const [x, y, w] of images.slice(0, 8)) expect(dark(x, x + w, y - 24, y - 2)).toBeGreaterThan(5); // the headings
  expect(problems).toEqual([]);
});

test('cancels a running suite', async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto(lab!.url(`#/compare?runs=${runIds.join(',')}`));
  await page.getByTestId('suite').selectOption('thesis');
  await page.getByTestId('repeats').fill('20');
  await page.getByTestId('run-suite').click();
  await expect(page.getByTestId('experiment-progress')).toBeVisible();
  await page.getByTestId('cancel-suite').click();
  await expect(page.getByTestId('experiment-ended')).toContainText('Cancelled');
  await page.screenshot({ path: `${SHOTS}/compare-cancelled.png`, fullPage: true });
});
