/** Making a run look trained by another process in tests: its lock claimed in the name of a given pid. */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { RUN_LOCK } from '../../../src/services/training/run-lock';
import { processStartToken } from '../../../src/services/resources/process-identity';

/**
 * Writes the run's lock as process `pid` of this machine holds it (a real claim record, its start read from
 * /proc where there is one), replacing whatever lock was there. `host` other than this machine's makes an owner
 * that cannot be asked.
 */
export function lockRunFor(runDir: string, pid: number, opts: { host?: string; command?: string } = {}): void {
  const dir = join(runDir, RUN_LOCK);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  const record = {
    pid, host: opts.host ?? hostname(), start: processStartToken(pid), startedAt: new Date().toISOString(),
    command: opts.command ?? 'nca-lab train', nonce: 'test', released: false,
  };
  writeFileSync(join(dir, 'claim-1'), JSON.stringify(record));
}

/** Removes the run's lock as a user would after its owner stopped. */
export function clearRunLock(runDir: string): void {
  rmSync(join(runDir, RUN_LOCK), { recursive: true, force: true });
}
