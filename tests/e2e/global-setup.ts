/**
 * Starts the real `nca-lab serve` (bin/nca-lab.js, as a user would) on a free port against a temporary
 * workspace, hands its tokenised address to the tests in NCA_LAB_E2E_URL, and stops it with SIGINT afterwards
 * (so the "runs until Ctrl+C" path is exercised too). Needs the built renderer: run through `npm run test:e2e`.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe } from './serve-process';

export default async function globalSetup(): Promise<() => Promise<void>> {
  if (!existsSync(join(process.cwd(), 'out', 'renderer', 'index.html'))) {
    throw new Error('out/renderer is missing: run `npm run test:e2e` (it builds first) or `npm run build`');
  }
  const workspace = await mkdtemp(join(tmpdir(), 'nca-lab-e2e-'));
  const serve = await startServe(workspace);
  process.env.NCA_LAB_E2E_URL = serve.url;
  process.env.NCA_LAB_E2E_WORKSPACE = workspace;

  return async () => {
    const code = await serve.stop();
    await rm(workspace, { recursive: true, force: true });
    if (code !== 0) throw new Error(`nca-lab serve did not stop cleanly on SIGINT (exit: ${String(code)}):\n${serve.output()}`);
  };
}
