/**
 * Starts the real `nca-lab serve` (bin/nca-lab.js, as a user would) on a free port against a temporary
 * workspace, hands its tokenised address to the tests in NCA_LAB_E2E_URL, and stops it with SIGINT afterwards
 * (so the "runs until Ctrl+C" path is exercised too). Needs the built renderer: run through `npm run test:e2e`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { OwnLab } from './bridge';

export default async function globalSetup(): Promise<() => Promise<void>> {
  if (!existsSync(join(process.cwd(), 'out', 'renderer', 'index.html'))) {
    throw new Error('out/renderer is missing: run `npm run test:e2e` (it builds first) or `npm run build`');
  }
  const lab = await OwnLab.open('shared');
  process.env.NCA_LAB_E2E_URL = lab.url();
  process.env.NCA_LAB_E2E_WORKSPACE = lab.workspace;

  return async () => {
    const code = await lab.close();
    if (code !== 0) throw new Error(`nca-lab serve did not stop cleanly on SIGINT (exit: ${String(code)}):\n${lab.serve.output()}`);
  };
}
