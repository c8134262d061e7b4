/**
 * A run trained by `nca-lab train` beside `nca-lab serve` on the same workspace, seen in Debian's Chromium: the
 * Runs row and the run page follow it through its files (the generation advancing, the process that trains it,
 * its workers), and the window's Stop reaches the CLI, which writes its checkpoint and model and exits cleanly.
 * Every wait is for a state reached (a generation seen in the page, the CLI's exit), never for an amount of work.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test, type Page } from './fixtures';
import { OwnLab, SHOTS } from './bridge';

// test size: carrot-9, population 8, one worker; no limit: the window stops it
const TRAIN = ['train', '--optimizer', 'es', '--preset', 'thesis-es', '--target', 'carrot-9', '--seed', '4', '--set', 'es.population=8',
  '--workers', '1', '--set', 'evalEvery=5', '--set', 'checkpointEvery=5', '--name', 'from the terminal', '--json'];
/** a generous ceiling for each state to be reached on a loaded machine; no work is timed against it */
const REACHED = { timeout: 180_000, intervals: [250] };

let lab: OwnLab;
let cli: ChildProcess;
let cliExit: Promise<number | null>;

function countIn(text: string | null): number {
  return Number((text ?? '').replace(/[^\d]/g, '') || 0);
}

async function rowGeneration(page: Page, runId: string): Promise<number> {
  const row = page.locator(`tr[data-run="${runId}"]`);
  if ((await row.count()) === 0) return -1;
  return countIn(await row.locator('td.numeric').first().locator('span').first().textContent());
}

test.describe.serial('a CLI run beside the window', () => {
  let page: Page;
  let runId = '';

  test.beforeAll(async ({ browser }) => {
    lab = await OwnLab.open('live-cli');
    cli = spawn(process.execPath, [join(process.cwd(), 'bin', 'nca-lab.js'), ...TRAIN, '--workspace', lab.workspace], { stdio: ['ignore', 'pipe', 'pipe'] });
    cliExit = new Promise((resolve) => cli.once('exit', (code) => resolve(code)));
    runId = await new Promise<string>((resolve, reject) => {
      let buf = '';
      cli.stdout!.on('data', (d) => {
        buf += d;
        const m = /"event":"run","runId":"([^"]+)"/.exec(buf);
        if (m) resolve(m[1]);
      });
      void cliExit.then((code) => reject(new Error(`nca-lab train exited with ${code} before it created its run`)));
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  });
  test.afterAll(async () => {
    await page?.close().catch(() => undefined);
    if (cli && cli.exitCode === null) cli.kill('SIGKILL');
    const code = await lab?.close();
    expect(code, lab?.serve.output()).toBe(0);
  });

  test('the Runs row follows the CLI run: its generation advances', async () => {
    await page.goto(lab.url('#/runs'));
    await expect.poll(() => rowGeneration(page, runId), REACHED).toBeGreaterThanOrEqual(2);
    const first = await rowGeneration(page, runId);
    await expect(page.locator(`tr[data-run="${runId}"]`)).toContainText('from the terminal');
    await expect(page.locator(`tr[data-run="${runId}"]`)).toContainText(/running/i);
    // pushed from the files as the CLI writes them, with no reload
    await expect.poll(() => rowGeneration(page, runId), REACHED).toBeGreaterThan(first);
  });

  test('the run page says which process trains it, on how many workers, and its numbers advance', async () => {
    await page.goto(lab.url(`#/runs/${encodeURIComponent(runId)}`));
    await expect(page.getByTestId('status-reason')).toContainText(`training in nca-lab train (process ${cli.pid} on `, REACHED);
    await expect(page.getByTestId('status-reason')).toContainText('with 1 worker process');
    await expect.poll(async () => countIn(await page.getByTestId('stat-generation').textContent()), REACHED).toBeGreaterThanOrEqual(2);
    const seen = countIn(await page.getByTestId('stat-generation').textContent());
    await expect.poll(async () => countIn(await page.getByTestId('stat-generation').textContent()), REACHED).toBeGreaterThan(seen);
    await expect(page.getByTestId('stat-throughput')).toContainText('gen/s', REACHED);
    // the chart reads the rows the CLI wrote
    await expect.poll(async () => countIn((await page.locator('.chart-note').textContent())?.split('point')[0] ?? ''), REACHED).toBeGreaterThanOrEqual(2);
    const shot = join(SHOTS, 'live-cli-run.png');
    await page.screenshot({ path: shot, fullPage: true });
    if (process.env.NCA_LAB_SCREENS) {
      await mkdir(process.env.NCA_LAB_SCREENS, { recursive: true });
      await copyFile(shot, join(process.env.NCA_LAB_SCREENS, 'live-cli-run.png'));
    }
    // Delete is not offered while another process trains it
    await expect(page.getByRole('button', { name: 'Delete…' })).toBeDisabled();
  });

  test('the window\'s Stop reaches the CLI, which ends cleanly', async () => {
    await page.getByTestId('stop').click();
    expect(await cliExit).toBe(0);
    await expect(page.getByTestId('status-reason')).toContainText('stopped by the user', REACHED);
    await expect(page.getByRole('button', { name: 'Delete…' })).toBeEnabled();
  });
});
