/**
 * How the e2e tests reach the lab through its browser bridge (`nca-lab serve`): a lab on a fresh workspace (the
 * global setup's, shared by targets.spec, or a spec's own: filled before it starts, started again after a crash,
 * stopped with Ctrl+C at the end); the screenshots folder; and the console and page errors a clean page must not have.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { startServe, type ServeProcess } from './serve-process';

/** Where the specs' screenshots go (beside Playwright's own output, which it empties on start). */
export const SHOTS = 'test-results/screenshots';

/** The address of the lab the global setup started (the access token in its query), with more query and a hash. */
export function sharedLabUrl(query = '', hash = ''): string {
  const url = process.env.NCA_LAB_E2E_URL;
  if (!url) throw new Error('NCA_LAB_E2E_URL is not set: the global setup did not start `nca-lab serve`');
  return `${url}${query}${hash}`;
}

/** Console errors (CSP violations among them) and page errors from now on: a clean page has none. */
export function watchForProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  return problems;
}

/** A spec's own lab: a fresh workspace behind its own `nca-lab serve`. */
export class OwnLab {
  /** the workspace (`ws` in `dir`; made by whoever first writes to it: prepare, or serve) */
  readonly workspace: string;
  private current: ServeProcess | null = null;

  /** `dir`: a temporary folder of the spec's own, around the workspace, for files that are not the lab's */
  private constructor(readonly dir: string, private readonly env: NodeJS.ProcessEnv) {
    this.workspace = join(dir, 'ws');
  }

  /**
   * Makes a fresh workspace, lets `prepare` fill it (runs, models) and starts `nca-lab serve` on it; the screenshots
   * folder exists afterwards. A failure on the way removes it all again. `env`: more environment for serve.
   */
  static async open(name: string, prepare?: (workspace: string) => Promise<void>, env: NodeJS.ProcessEnv = {}): Promise<OwnLab> {
    const lab = new OwnLab(await mkdtemp(join(tmpdir(), `nca-lab-e2e-${name}-`)), env);
    try {
      await prepare?.(lab.workspace);
      await lab.startAgain();
      await mkdir(SHOTS, { recursive: true });
      return lab;
    } catch (err) {
      await lab.current?.stop();
      await rm(lab.dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** The running `nca-lab serve`. */
  get serve(): ServeProcess {
    if (!this.current) throw new Error('nca-lab serve is not running');
    return this.current;
  }

  /** The lab's address with a view's hash, e.g. url('#/compare'). */
  url(hash = ''): string {
    return `${this.serve.url}${hash}`;
  }

  /** Starts a new `nca-lab serve` on the same workspace (after the last one crashed or was stopped). */
  async startAgain(): Promise<void> {
    this.current = await startServe(this.workspace, this.env);
  }

  /** Stops `nca-lab serve` with SIGINT (Ctrl+C), removes the workspace and `dir`, and resolves to serve's exit code. */
  async close(): Promise<number | null> {
    try {
      return (await this.current?.stop()) ?? null;
    } finally {
      await rm(this.dir, { recursive: true, force: true });
    }
  }
}
